/**
 * Corked sends: every frame written to a WebSocket in one event-loop turn
 * leaves in one write (one `writev` system call) instead of one per frame.
 *
 * The first frame of a turn corks the WebSocket's TCP socket; all corked
 * sockets are uncorked together once the turn's synchronous code and its
 * promise continuations have run (`process.nextTick`), or earlier when the
 * corked bytes of a socket pass `CORK_FLUSH_BYTES`.
 *
 * Why `process.nextTick` and not `setImmediate`: an immediate runs only after
 * the poll phase, i.e. after every I/O callback that is ready. On a saturated
 * loop (thousands of sockets with data) that is many milliseconds, and every
 * ack and delivery written meanwhile would wait with it; the experiment that
 * flushed on `setImmediate` saw acks lag behind deliveries. A tick queued from
 * a turn runs before the loop goes back to I/O, so corking adds no latency.
 * It still coalesces what one turn writes to a connection: a publication
 * batch fanned out by the hub, the messages of one Redis read, a replay, an
 * ack and its echo. Unlike `queueMicrotask`, a tick queued from inside a
 * promise continuation waits until the whole microtask queue has drained, so
 * frames written across the `await`s of one turn share the write too.
 *
 * `ws` writes each frame with `socket.cork(); write(header); write(payload);
 * socket.uncork()`; corks nest (Node counts them), so inside an outer cork
 * those writes stay buffered. Node's `Writable.end()` uncorks fully; a later
 * `uncork()` on a socket that is no longer corked, or destroyed, does nothing.
 */
import type { WebSocket } from 'ws';

/** Flush a socket early once this many bytes are corked on it in one turn. */
export const CORK_FLUSH_BYTES = 64 * 1024;

/** The part of `net.Socket` used here. */
interface CorkableSocket {
  cork(): void;
  uncork(): void;
  readonly writableLength: number;
  readonly destroyed: boolean;
}

/** Corked sockets of this turn → their unsent bytes when they were corked. */
let corked = new Map<CorkableSocket, number>();
let flushQueued = false;

function tcpSocket(ws: WebSocket): CorkableSocket | undefined {
  const socket = (ws as unknown as { _socket?: Partial<CorkableSocket> | null })._socket;
  return socket && typeof socket.cork === 'function' && typeof socket.uncork === 'function'
    ? (socket as CorkableSocket)
    : undefined;
}

function flush(): void {
  flushQueued = false;
  const sockets = corked;
  corked = new Map();
  for (const socket of sockets.keys()) socket.uncork();
}

/**
 * Bytes written to `ws` in this turn that corking still holds back. They are
 * not a sign of a slow reader: `ws`'s `bufferedAmount` counts them (it reads
 * the socket's `writableLength`), so the slow-consumer check subtracts them.
 * Exact within a turn: the socket's unsent length only falls when a write
 * completes, and completions of writes that went to the kernel asynchronously
 * arrive as I/O callbacks, never inside the turn that corked.
 */
export function corkedBytes(ws: WebSocket): number {
  const socket = tcpSocket(ws);
  const before = socket === undefined ? undefined : corked.get(socket);
  return before === undefined ? 0 : Math.max(0, socket!.writableLength - before);
}

/** Unsent bytes of `ws` that are not merely corked for this turn. */
export function unsentBytes(ws: WebSocket): number {
  return Math.max(0, ws.bufferedAmount - corkedBytes(ws));
}

/** `ws.send(frame)`, corking the socket until the end of the turn. The caller checks that `ws` is open. */
export function sendCorked(ws: WebSocket, frame: string): void {
  const socket = tcpSocket(ws);
  if (socket === undefined || socket.destroyed) {
    ws.send(frame);
    return;
  }
  let before = corked.get(socket);
  if (before === undefined) {
    before = socket.writableLength;
    socket.cork();
    corked.set(socket, before);
    if (!flushQueued) {
      flushQueued = true;
      process.nextTick(flush);
    }
  }
  ws.send(frame);
  if (socket.writableLength - before > CORK_FLUSH_BYTES) {
    corked.delete(socket);
    socket.uncork();
  }
}
