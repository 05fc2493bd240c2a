/**
 * Experiment (opt-in target `*-cork`), preloaded into a server process to
 * measure a proposed change without touching the server's code: hold each
 * WebSocket's TCP socket corked from its first frame in an event-loop turn
 * until setImmediate, so that all frames written to one connection in that
 * turn leave in one writev() instead of one system call per frame. Broadcaster
 * connections receive a frame per listener message; this is where it counts.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
interface SocketLike {
  cork(): void;
  uncork(): void;
  destroyed: boolean;
}
interface WebSocketPrototype {
  send(this: { _socket?: SocketLike }, data: unknown, options?: unknown, cb?: unknown): void;
}
const WebSocket = require('ws') as { prototype: WebSocketPrototype };
const send = WebSocket.prototype.send;
const corked = new WeakSet<SocketLike>();

WebSocket.prototype.send = function corkedSend(this: { _socket?: SocketLike }, data: unknown, options?: unknown, cb?: unknown): void {
  const socket = this._socket;
  if (socket && !socket.destroyed && !corked.has(socket)) {
    corked.add(socket);
    socket.cork();
    setImmediate(() => {
      corked.delete(socket);
      socket.uncork();
    });
  }
  send.call(this, data, options, cb);
};
