/**
 * Experiment (opt-in target `*-nockpt`), preloaded into a server process:
 * turns SQLite's automatic WAL checkpoint off (`wal_autocheckpoint = 0`) on
 * the server's connection. By default the connection that commits past 1,000
 * WAL pages copies them into the database file (and syncs it) inside that
 * commit, on the event-loop thread: a periodic stall of every connection.
 * This shows how much of the tail latency those stalls are. Not a production
 * setting as such (the WAL would grow without bound): the fix it points to is
 * checkpointing from a second connection off the event loop.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
interface DatabasePrototype {
  pragma(this: DatabasePrototype, source: string, options?: unknown): unknown;
}
const Database = require('better-sqlite3') as { prototype: DatabasePrototype };
const pragma = Database.prototype.pragma;

Database.prototype.pragma = function pragmaWithoutAutoCheckpoint(this: DatabasePrototype, source: string, options?: unknown): unknown {
  const result = pragma.call(this, source, options);
  if (/^\s*journal_mode\s*=\s*WAL\s*$/i.test(source)) pragma.call(this, 'wal_autocheckpoint = 0');
  return result;
};
