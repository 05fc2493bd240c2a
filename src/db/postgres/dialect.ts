/**
 * PostgreSQL connection set-up: a pg pool owned by the store.
 */
import pg from 'pg';
import { PostgresDialect } from 'kysely';

export interface PostgresOptions {
  url: string;
  poolSize: number;
  connectionTimeoutMs?: number;
  /** A query without an answer after this long fails, and its connection is dropped (default 10000). */
  queryTimeoutMs?: number;
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

/** Statement texts run as named prepared statements, by text. */
const statementNames = new Map<string, string>();

/**
 * Runs `text` as the named prepared statement `name` from now on: each pooled
 * connection parses it once instead of on every call (and PostgreSQL may
 * keep its plan). Only for a fixed statement, on the
 * hot path: the same text on every call, whatever its parameters.
 */
export function nameStatement(name: string, text: string): void {
  const known = statementNames.get(text);
  if (known !== undefined && known !== name) throw new Error(`statement already named "${known}", not "${name}"`);
  statementNames.set(text, name);
}

/**
 * A pg client whose queries have a deadline (and which runs the statements
 * named by `nameStatement` as prepared statements). A server that stops answering
 * without closing the connection (a network partition, a frozen host) would
 * otherwise hold a query - and the message waiting on it - forever: no error,
 * no ack. At the deadline the connection is destroyed, which fails every
 * query on it (the message is answered `error:unavailable`; a transaction
 * that never reached COMMIT is rolled back by the server) and makes the pool
 * discard it.
 */
function clientWithDeadline(timeoutMs: number): typeof pg.Client {
  return class DeadlineClient extends pg.Client {
    override query(...args: unknown[]): any {
      const [text, values] = args;
      const name = typeof text === 'string' ? statementNames.get(text) : undefined;
      if (name !== undefined && Array.isArray(values) && args.length === 2) args = [{ name, text, values }];
      const result = (pg.Client.prototype.query as (...a: unknown[]) => unknown).apply(this, args);
      if (result instanceof Promise) {
        const timer = setTimeout(() => {
          const stream = (this as unknown as { connection?: { stream?: { destroy(error?: Error): void } } }).connection
            ?.stream;
          const error = Object.assign(new Error(`no answer to a query within ${timeoutMs} ms; connection dropped`), {
            code: 'ETIMEDOUT',
          });
          stream?.destroy(error);
        }, timeoutMs);
        const clear = () => clearTimeout(timer);
        result.then(clear, clear);
      }
      return result;
    }
  };
}

export function createPostgresDialect(options: PostgresOptions): PostgresDialect {
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.poolSize,
    connectionTimeoutMillis: options.connectionTimeoutMs ?? 5000,
    Client: clientWithDeadline(options.queryTimeoutMs ?? 10_000),
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
