import { sql, type Kysely, type Selectable } from 'kysely';
import type { DatabaseSchema, SessionsTable } from './schema.js';
import type { SessionRecord, SessionRepository } from './types.js';

function toRecord(row: Selectable<SessionsTable>): SessionRecord {
  return {
    id: row.id,
    name: row.name,
    city: row.city,
    createdAt: new Date(row.created_at),
    expiresAt: new Date(row.expires_at),
    lastMessageAt: row.last_message_at === null ? null : new Date(row.last_message_at),
  };
}

export class KyselySessionRepository implements SessionRepository {
  constructor(private readonly db: Kysely<DatabaseSchema>) {}

  async create(session: {
    id: string;
    name: string;
    city: string;
    createdAt: Date;
    expiresAt: Date;
  }): Promise<SessionRecord> {
    const row = await this.db
      .insertInto('sessions')
      .values({
        id: session.id,
        name: session.name,
        city: session.city,
        created_at: session.createdAt.getTime(),
        expires_at: session.expiresAt.getTime(),
        last_message_at: null,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return toRecord(row);
  }

  async get(id: string): Promise<SessionRecord | undefined> {
    const row = await this.db.selectFrom('sessions').selectAll().where('id', '=', id).executeTakeFirst();
    return row === undefined ? undefined : toRecord(row);
  }

  async listRecent(limit: number): Promise<SessionRecord[]> {
    assertLimit(limit);
    const rows = await this.db
      .selectFrom('sessions')
      .selectAll()
      // Same expression as the sessions_recent_idx index.
      .orderBy(sql`coalesce(last_message_at, created_at)`, 'desc')
      .orderBy('id')
      .limit(limit)
      .execute();
    return rows.map(toRecord);
  }
}

export function assertLimit(limit: number): void {
  if (!Number.isSafeInteger(limit) || limit < 0) throw new RangeError(`limit must be a whole number ≥ 0, got ${limit}`);
}
