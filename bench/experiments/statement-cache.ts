/**
 * Experiment (opt-in target `*-stmtcache`), preloaded into a server process
 * to measure a proposed change without touching the server's code: reuse
 * better-sqlite3 prepared statements by SQL text instead of preparing every
 * statement again on each query (Kysely's SQLite driver calls prepare() per
 * query). Kysely emits the same SQL text for the same query shape, so a small
 * cache hits almost always.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
type Statement = unknown;
interface DatabasePrototype {
  prepare(this: object, sql: string): Statement;
}
const Database = require('better-sqlite3') as { prototype: DatabasePrototype };
const prepare = Database.prototype.prepare;
const caches = new WeakMap<object, Map<string, Statement>>();
const LIMIT = 256;

Database.prototype.prepare = function cachedPrepare(this: object, sql: string): Statement {
  let cache = caches.get(this);
  if (!cache) caches.set(this, (cache = new Map()));
  let statement = cache.get(sql);
  if (statement === undefined) {
    statement = prepare.call(this, sql);
    if (cache.size < LIMIT) cache.set(sql, statement);
  }
  return statement;
};
