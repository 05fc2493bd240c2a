/**
 * Reaps dead peers: once per interval each connection is checked; one that
 * has not answered the ping of its previous check is terminated, the others
 * are pinged again.
 *
 * The checks of an interval are spread over slices so that no single timer
 * callback pings every connection (at 10,000 connections one sweep blocked
 * the event loop for 200–400 ms): at the start of each round (one interval)
 * the connections are snapshotted, and each tick handles the next share of
 * the snapshot. Connections that open mid-round wait for the next round;
 * connections closed meanwhile are skipped.
 *
 * `onPing` is told about every connection pinged (alive at its check): a hook
 * for other once-per-interval work that must be spread the same way.
 */
import type { Connection } from './connection.js';

/** At most this many ticks per interval… */
export const HEARTBEAT_MAX_SLICES = 30;
/** …and ticks at least this far apart (shorter intervals get fewer slices). */
export const HEARTBEAT_MIN_TICK_MS = 100;

/** How many slices an interval is cut into. */
export function heartbeatSlices(intervalMs: number): number {
  return Math.max(1, Math.min(HEARTBEAT_MAX_SLICES, Math.floor(intervalMs / HEARTBEAT_MIN_TICK_MS)));
}

export function startHeartbeat(
  intervalMs: number,
  connections: () => Iterable<Connection>,
  onReap: (connection: Connection) => void,
  onPing?: (connection: Connection) => void,
): () => void {
  const slices = heartbeatSlices(intervalMs);
  let round: Connection[] = [];
  /** The slice of the round the next tick handles. */
  let slice = 0;
  /** Ticks so far; the tick of each connection's last ping is kept below. */
  let ticks = 0;
  const pingedAt = new WeakMap<Connection, number>();

  const check = (connection: Connection): void => {
    const socket = connection.socket;
    if (socket.readyState === socket.CLOSED) return;
    if (!connection.alive) {
      // A connection moves up in the round when connections before it close,
      // so its checks can come closer together than an interval; give a pong
      // at least half an interval before declaring the peer dead.
      if (ticks - (pingedAt.get(connection) ?? -Infinity) < slices / 2) return;
      onReap(connection);
      socket.terminate();
      return;
    }
    connection.alive = false;
    pingedAt.set(connection, ticks);
    try {
      socket.ping();
    } catch {
      // The socket is closing; its close handler cleans up.
      return;
    }
    onPing?.(connection);
  };

  const timer = setInterval(() => {
    if (slice === 0) round = Array.from(connections());
    const start = Math.floor((slice * round.length) / slices);
    const end = Math.floor(((slice + 1) * round.length) / slices);
    for (let i = start; i < end; i++) check(round[i]!);
    ticks++;
    slice = (slice + 1) % slices;
    if (slice === 0) round = []; // hold no closed connection until the next round
  }, intervalMs / slices);
  timer.unref();
  return () => clearInterval(timer);
}
