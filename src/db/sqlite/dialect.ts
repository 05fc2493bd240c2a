/**
 * SQLite connection set-up: one better-sqlite3 handle per store.
 *
 * Two changes to Kysely's stock SQLite dialect, both for several processes
 * sharing one database file:
 * - transactions start with BEGIN IMMEDIATE: the write lock is taken (waiting
 *   up to busy_timeout) when the transaction begins, so a transaction never
 *   fails half-way with SQLITE_BUSY because another process wrote in between;
 * - migrations run in one transaction (SQLite has transactional DDL). Kysely's
 *   SQLite adapter takes no migration lock; the IMMEDIATE transaction is that
 *   lock, so two instances starting together run each migration once.
 *
 * Kysely's driver prepares every statement again on each query; the handle it
 * gets here keeps the prepared statements by SQL text instead (Kysely emits the
 * same text for the same query shape, so the cache almost always hits).
 *
 * better-sqlite3 is synchronous: while one handle waits for the lock, its whole
 * thread waits. Two stores on the same file inside one process can therefore
 * stall each other for busy_timeout; use one store per process.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import {
  CompiledQuery,
  SqliteAdapter,
  SqliteDialect,
  SqliteDriver,
  type DatabaseConnection,
  type DialectAdapter,
  type Driver,
  type SqliteDatabase,
  type SqliteDialectConfig,
  type SqliteStatement,
} from 'kysely';

export interface SqliteOptions {
  /** File path, or `:memory:`. */
  path: string;
  synchronous: 'FULL' | 'NORMAL';
  busyTimeoutMs?: number;
}

class ImmediateTransactionDriver extends SqliteDriver {
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }
}

class TransactionalDdlAdapter extends SqliteAdapter {
  override get supportsTransactionalDdl(): boolean {
    return true;
  }
}

export class LiveChatSqliteDialect extends SqliteDialect {
  readonly #config: SqliteDialectConfig;

  constructor(
    /** How the file was opened, for the message writer's own handle (./message-writer.ts). */
    readonly options: SqliteOptions,
    /** The handle Kysely uses; an in-memory database's messages are written on it too. */
    readonly handle: Database.Database,
  ) {
    const config = { database: withStatementCache(handle) };
    super(config);
    this.#config = config;
  }

  override createDriver(): Driver {
    return new ImmediateTransactionDriver(this.#config);
  }

  override createAdapter(): DialectAdapter {
    return new TransactionalDdlAdapter();
  }
}

/** Most statements kept prepared; beyond it the cache starts over (only odd query shapes get there). */
const STATEMENT_CACHE_SIZE = 256;

/** The handle Kysely uses: better-sqlite3 with prepared statements reused by SQL text. */
function withStatementCache(database: Database.Database): SqliteDatabase {
  const statements = new Map<string, SqliteStatement>();
  return {
    prepare(sql: string): SqliteStatement {
      let statement = statements.get(sql);
      if (statement === undefined) {
        statement = database.prepare(sql);
        if (statements.size >= STATEMENT_CACHE_SIZE) statements.clear();
        statements.set(sql, statement);
      }
      return statement;
    },
    close(): void {
      statements.clear();
      database.close();
    },
  };
}

/**
 * Opens a better-sqlite3 handle on the file (creating its folder) with the
 * connection pragmas; every handle on the file is opened this way.
 */
export function openSqliteHandle(options: SqliteOptions): Database.Database {
  const inMemory = options.path === ':memory:';
  if (!inMemory) mkdirSync(dirname(options.path), { recursive: true });
  const database = new Database(options.path);
  try {
    // busy_timeout first: switching to WAL needs a lock another process may hold.
    const busyTimeoutMs = options.busyTimeoutMs ?? 5000;
    database.pragma(`busy_timeout = ${busyTimeoutMs}`);
    if (!inMemory) switchToWal(database, busyTimeoutMs);
    database.pragma(`synchronous = ${options.synchronous}`);
    database.pragma('foreign_keys = ON');
  } catch (error) {
    database.close();
    throw error;
  }
  return database;
}

/**
 * `journal_mode = WAL`, tried again until `timeoutMs` has passed while
 * another process holds the lock it needs: on a new file that several
 * processes open at once, SQLite answers SQLITE_BUSY here without waiting
 * for its busy timeout.
 */
function switchToWal(database: Database.Database, timeoutMs: number): void {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      database.pragma('journal_mode = WAL');
      return;
    } catch (error) {
      if ((error as { code?: unknown }).code !== 'SQLITE_BUSY' || Date.now() >= deadline) throw error;
      // Opening is synchronous: a short blocking pause before the next try.
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
    }
  }
}

/** Opens the database file and the Kysely dialect on it. */
export function createSqliteDialect(options: SqliteOptions): LiveChatSqliteDialect {
  return new LiveChatSqliteDialect(options, openSqliteHandle(options));
}
