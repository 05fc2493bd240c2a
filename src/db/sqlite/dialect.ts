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
 * With `synchronous=FULL` on a file, this handle commits with NORMAL instead,
 * and the store answers a call that committed only once a sync of the WAL
 * that started after the commit has finished, on libuv's thread pool
 * (`durableAfter`, ./wal-sync.ts): the guarantee FULL gives, without an
 * fsync on the event loop for every session created or block stored (a
 * show's connection storm creates hundreds a second), and one sync covers
 * the commits of many calls.
 *
 * better-sqlite3 is synchronous: while one handle waits for the lock, its whole
 * thread waits. Two stores on the same file inside one process can therefore
 * stall each other for busy_timeout; use one store per process.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { WalSync } from './wal-sync.js';
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

/** Counts the commits on Kysely's one SQLite connection that wrote something. */
class CommitCounter {
  count = 0;
  /** A statement wrote since the last commit was counted. */
  #wrote = false;

  constructor(
    private readonly handle: Database.Database,
    private readonly cache: StatementCache,
  ) {}

  /** After each statement: a write outside a transaction, or the end of a transaction that wrote, is a commit. */
  ran(sql: string): void {
    if (!this.cache.readonly(sql)) this.#wrote = true;
    if (this.#wrote && !this.handle.inTransaction) {
      this.#wrote = false;
      this.count++;
    }
  }
}

class ImmediateTransactionDriver extends SqliteDriver {
  #counting: DatabaseConnection | undefined;

  constructor(
    config: SqliteDialectConfig,
    private readonly commits: CommitCounter | undefined,
    private readonly walSync: WalSync | undefined,
  ) {
    super(config);
  }

  override async acquireConnection(): Promise<DatabaseConnection> {
    const connection = await super.acquireConnection();
    const commits = this.commits;
    if (commits === undefined) return connection;
    this.#counting ??= {
      executeQuery: async (query) => {
        try {
          return await connection.executeQuery(query);
        } finally {
          commits.ran(query.sql);
        }
      },
      streamQuery: (query, chunkSize) => connection.streamQuery(query, chunkSize),
    };
    return this.#counting;
  }

  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }

  override async destroy(): Promise<void> {
    await super.destroy();
    this.walSync?.close();
  }
}

class TransactionalDdlAdapter extends SqliteAdapter {
  override get supportsTransactionalDdl(): boolean {
    return true;
  }
}

export class LiveChatSqliteDialect extends SqliteDialect {
  readonly #config: SqliteDialectConfig;

  readonly #commits: CommitCounter | undefined;
  readonly #walSync: WalSync | undefined;

  constructor(
    /** How the file was opened, for the message writer's own handle (./message-writer.ts). */
    readonly options: SqliteOptions,
    /** The handle Kysely uses; an in-memory database's messages are written on it too. */
    readonly handle: Database.Database,
    /** Syncs the WAL beside the commits, when the handle was opened to leave that to it (see syncsBesideCommits). */
    walSync?: WalSync,
  ) {
    const cache = new StatementCache(handle);
    const config = { database: cache };
    super(config);
    this.#config = config;
    this.#walSync = walSync;
    this.#commits = walSync === undefined ? undefined : new CommitCounter(handle, cache);
  }

  override createDriver(): Driver {
    return new ImmediateTransactionDriver(this.#config, this.#commits, this.#walSync);
  }

  /**
   * Runs `call`; if anything was committed on this handle meanwhile (by it or
   * by a call beside it), answers only once the WAL is on disk. Without a
   * WalSync (NORMAL, or in memory) it is `call` itself.
   */
  async durableAfter<T>(call: () => Promise<T>): Promise<T> {
    const commits = this.#commits;
    const walSync = this.#walSync;
    if (commits === undefined || walSync === undefined) return call();
    const before = commits.count;
    const result = await call();
    if (commits.count !== before) {
      await new Promise<void>((resolve, reject) =>
        walSync.afterCommit((error) => (error === undefined ? resolve() : reject(error))),
      );
    }
    return result;
  }

  override createAdapter(): DialectAdapter {
    return new TransactionalDdlAdapter();
  }
}

/** Most statements kept prepared; beyond it the cache starts over (only odd query shapes get there). */
const STATEMENT_CACHE_SIZE = 256;

/** The handle Kysely uses: better-sqlite3 with prepared statements reused by SQL text. */
class StatementCache implements SqliteDatabase {
  readonly #statements = new Map<string, Database.Statement>();

  constructor(private readonly database: Database.Database) {}

  prepare(sql: string): SqliteStatement {
    return this.#statement(sql) as unknown as SqliteStatement;
  }

  /** Whether the statement leaves the database as it is (SQLite's own judgement; transaction control counts as read-only). */
  readonly(sql: string): boolean {
    return this.#statement(sql).readonly;
  }

  close(): void {
    this.#statements.clear();
    this.database.close();
  }

  #statement(sql: string): Database.Statement {
    let statement = this.#statements.get(sql);
    if (statement === undefined) {
      statement = this.database.prepare(sql);
      if (this.#statements.size >= STATEMENT_CACHE_SIZE) this.#statements.clear();
      this.#statements.set(sql, statement);
    }
    return statement;
  }
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

/** Whether a handle on this file commits with NORMAL and leaves the WAL's sync to a WalSync beside it (FULL's guarantee). */
export function syncsBesideCommits(options: SqliteOptions): boolean {
  return options.synchronous === 'FULL' && options.path !== ':memory:';
}

/** Opens the database file and the Kysely dialect on it. */
export function createSqliteDialect(options: SqliteOptions): LiveChatSqliteDialect {
  if (!syncsBesideCommits(options)) return new LiveChatSqliteDialect(options, openSqliteHandle(options));
  return new LiveChatSqliteDialect(
    options,
    openSqliteHandle({ ...options, synchronous: 'NORMAL' }),
    new WalSync(`${options.path}-wal`),
  );
}
