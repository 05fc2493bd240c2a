/**
 * Reaps dead peers: every interval each connection that has not answered the
 * previous ping is terminated, the others are pinged again.
 */
import type { Connection } from './connection.js';

export function startHeartbeat(
  intervalMs: number,
  connections: () => Iterable<Connection>,
  onReap: (connection: Connection) => void,
): () => void {
  const timer = setInterval(() => {
    for (const connection of connections()) {
      if (!connection.alive) {
        onReap(connection);
        connection.socket.terminate();
        continue;
      }
      connection.alive = false;
      try {
        connection.socket.ping();
      } catch {
        // The socket is closing; its close handler cleans up.
      }
    }
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
