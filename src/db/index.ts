/**
 * Storage entry point: `openStore` connects, `store.migrate()` brings the
 * schema up to date (callers decide when).
 */
import type { DatabaseConfig } from '../config.js';
import { createPostgresDialect } from './postgres/dialect.js';
import { createSqliteDialect } from './sqlite/dialect.js';
import { KyselyStore } from './store.js';
import type { Store } from './types.js';

export type * from './types.js';
export { UnknownSessionError } from './errors.js';

export interface OpenStoreOptions {
  database: DatabaseConfig;
  /** SQLite only: FULL (default) makes every acknowledged message survive power loss. */
  sqliteSynchronous?: 'FULL' | 'NORMAL';
  /** PostgreSQL only: connections in the pool (default 10). */
  poolSize?: number;
  /** PostgreSQL only: told when an idle pooled connection fails; the pool replaces it. */
  onConnectionError?: (error: Error) => void;
}

/**
 * Opens the database: the SQLite file (creating its folder) at once, the
 * PostgreSQL pool lazily on the first query. Does not migrate.
 */
export async function openStore(options: OpenStoreOptions): Promise<Store> {
  const { database } = options;
  if (database.kind === 'sqlite') {
    const store = new KyselyStore(
      'sqlite',
      createSqliteDialect({ path: database.path, synchronous: options.sqliteSynchronous ?? 'FULL' }),
    );
    // Hands the open file to Kysely now, so that close() closes it even when
    // the store was never used.
    try {
      await store.ping();
    } catch (error) {
      await store.close();
      throw error;
    }
    return store;
  }
  return new KyselyStore(
    'postgres',
    createPostgresDialect({
      url: database.url,
      poolSize: options.poolSize ?? 10,
      onConnectionError: options.onConnectionError,
    }),
  );
}
