/**
 * Reaps dead peers: once per interval each connection is checked; one that
 * has not answered the ping of its previous check is terminated, the others
 * are pinged again.
 *
 * The checks of an interval are spread over ticks 50 ms apart so that no
 * timer callback handles many connections at once (at 10,000 connections one
 * sweep blocked the event loop for 200–400 ms; 30 slices a round, with a
 * catch-up query per connection, still stopped it for 40–60 ms every second):
 * at the start of each round (one interval) the connections are snapshotted,
 * and each tick handles the next share of the snapshot. Connections that open
 * mid-round wait for the next round; connections closed meanwhile are skipped.
 *
 * `onPinged` is told, once per tick, about the connections pinged in it
 * (alive at their check): a hook for other once-per-interval work that must
 * be spread the same way, and can be done for a tick's share at once.
 */
import type { Connection } from './connection.js';

/** Ticks are this far apart (an interval shorter than two ticks has one slice). */
export const HEARTBEAT_TICK_MS = 50;

/** How many slices (ticks) an interval is cut into. */
export function heartbeatSlices(intervalMs: number): number {
  return Math.max(1, Math.floor(intervalMs / HEARTBEAT_TICK_MS));
}

export function startHeartbeat<C extends Pick<Connection, 'socket' | 'alive'>>(
  intervalMs: number,
  connections: () => Iterable<C>,
  onReap: (connection: C) => void,
  onPinged?: (connections: C[]) => void,
): () => void {
  const slices = heartbeatSlices(intervalMs);
  let round: C[] = [];
  /** The slice of the round the next tick handles. */
  let slice = 0;
  /** Ticks so far; the tick of each connection's last ping is kept below. */
  let ticks = 0;
  const pingedAt = new WeakMap<C, number>();

  /** Whether the connection was pinged (false: closed, reaped or left for later). */
  const check = (connection: C): boolean => {
    const socket = connection.socket;
    if (socket.readyState === socket.CLOSED) return false;
    if (!connection.alive) {
      // A connection moves up in the round when connections before it close,
      // so its checks can come closer together than an interval; give a pong
      // at least half an interval before declaring the peer dead.
      if (ticks - (pingedAt.get(connection) ?? -Infinity) < slices / 2) return false;
      onReap(connection);
      socket.terminate();
      return false;
    }
    connection.alive = false;
    pingedAt.set(connection, ticks);
    try {
      socket.ping();
    } catch {
      // The socket is closing; its close handler cleans up.
      return false;
    }
    return true;
  };

  const timer = setInterval(() => {
    if (slice === 0) round = Array.from(connections());
    const start = Math.floor((slice * round.length) / slices);
    const end = Math.floor(((slice + 1) * round.length) / slices);
    const pinged: C[] = [];
    for (let i = start; i < end; i++) if (check(round[i]!)) pinged.push(round[i]!);
    if (pinged.length > 0) onPinged?.(pinged);
    ticks++;
    slice = (slice + 1) % slices;
    if (slice === 0) round = []; // hold no closed connection until the next round
  }, intervalMs / slices);
  timer.unref();
  return () => clearInterval(timer);
}
