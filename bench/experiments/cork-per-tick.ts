/**
 * Experiment (opt-in target `*-cork`), preloaded into a server process to
 * measure a proposed change without touching the server's code: hold each
 * WebSocket's TCP socket corked from its first frame in an event-loop turn
 * until setImmediate, so that all frames written to one connection in that
 * turn leave in one writev() instead of one system call per frame (flushing
 * early past 64 KiB). Broadcaster connections receive a frame per listener
 * message; this is where it counts.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
interface SocketLike {
  cork(): void;
  uncork(): void;
  destroyed: boolean;
  writableLength: number;
}
interface WebSocketPrototype {
  send(this: { _socket?: SocketLike }, data: unknown, options?: unknown, cb?: unknown): void;
}
const WebSocket = require('ws') as { prototype: WebSocketPrototype };
const send = WebSocket.prototype.send;
const corked = new WeakSet<SocketLike>();
/**
 * Flush early past this much corked data: corked bytes count as unsent, and
 * the server drops a connection whose unsent data passes its slow-consumer
 * limit (1 MiB by default) — a burst must not look like a slow consumer.
 */
const FLUSH_BYTES = 64 * 1024;

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
  if (socket && corked.has(socket) && socket.writableLength > FLUSH_BYTES) {
    corked.delete(socket);
    socket.uncork();
  }
};
