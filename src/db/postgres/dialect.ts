/**
 * PostgreSQL connection set-up: a pg pool owned by the store.
 */
import pg from 'pg';
import { PostgresDialect } from 'kysely';

export interface PostgresOptions {
  url: string;
  poolSize: number;
  connectionTimeoutMs?: number;
  /** Told about errors of idle connections (the pool drops them and opens new ones when needed). */
  onConnectionError?: ((error: Error) => void) | undefined;
}

const INT8 = pg.types.builtins.INT8;
const parseInt8 = (value: string): number => Number(value);

/** int8 (bigint, bigserial, count(*)) as JS numbers, for this pool only: epoch milliseconds and ids fit. */
const types: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8 && format !== 'binary'
      ? parseInt8
      : pg.types.getTypeParser(oid, format)) as pg.CustomTypesConfig['getTypeParser'],
};

export function createPostgresDialect(options: PostgresOptions): PostgresDialect {
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.poolSize,
    connectionTimeoutMillis: options.connectionTimeoutMs ?? 5000,
    types,
  });
  // Without listeners, a connection that breaks (server restart, network) would
  // emit an unhandled 'error' and end the process. An idle connection's error
  // reaches the pool; a checked-out connection's error also rejects the query
  // that uses it, so its own listener only has to exist.
  pool.on('error', (error) => options.onConnectionError?.(error));
  pool.on('connect', (client) => {
    client.on('error', () => {});
  });
  return new PostgresDialect({ pool });
}
