import { Kysely, Migrator, sql, type Dialect } from 'kysely';
import { KyselyAdminRepository } from './admins.js';
import { KyselyMessageRepository } from './messages.js';
import { migrationProvider } from './migrations/index.js';
import type { DatabaseSchema } from './schema.js';
import { KyselySessionRepository } from './sessions.js';
import type { AdminRepository, MessageRepository, SessionRepository, Store } from './types.js';

/** The one Store implementation: the same queries on both dialects. */
export class KyselyStore implements Store {
  readonly sessions: SessionRepository;
  readonly messages: MessageRepository;
  readonly admins: AdminRepository;
  private readonly db: Kysely<DatabaseSchema>;
  private closing: Promise<void> | undefined;

  constructor(
    readonly dialect: 'sqlite' | 'postgres',
    kyselyDialect: Dialect,
  ) {
    this.db = new Kysely<DatabaseSchema>({ dialect: kyselyDialect });
    this.sessions = new KyselySessionRepository(this.db);
    this.messages = new KyselyMessageRepository(this.db);
    this.admins = new KyselyAdminRepository(this.db);
  }

  /**
   * Kysely's Migrator serialises concurrent runs: a session advisory lock on
   * PostgreSQL, the IMMEDIATE transaction on SQLite (see ./sqlite/dialect.ts).
   */
  async migrate(): Promise<void> {
    const migrator = new Migrator({ db: this.db, provider: migrationProvider(this.dialect) });
    const { error, results } = await migrator.migrateToLatest();
    if (error !== undefined) {
      const failed = results?.find((result) => result.status === 'Error')?.migrationName;
      const what = failed === undefined ? 'database migration failed' : `database migration ${failed} failed`;
      throw new Error(`${what}: ${describe(error)}`, { cause: error });
    }
  }

  async ping(): Promise<void> {
    await sql`select 1`.execute(this.db);
  }

  close(): Promise<void> {
    this.closing ??= this.db.destroy();
    return this.closing;
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
