import { sql, type Kysely, type Selectable } from 'kysely';
import type { DatabaseSchema, SessionsTable } from './schema.js';
import { onConnection, type WriteStatement } from './write-statement.js';
import type { NewSession, SessionListOptions, SessionPage, SessionRecord, SessionRepository } from './types.js';

/** Links followed at most by newestLinked (a chain of sessions one listener made one after another). */
const MAX_LINK_DEPTH = 50;

function toRecord(row: Selectable<SessionsTable>): SessionRecord {
  return {
    id: row.id,
    name: row.name,
    city: row.city,
    createdAt: new Date(row.created_at),
    expiresAt: new Date(row.expires_at),
    lastMessageAt: row.last_message_at === null ? null : new Date(row.last_message_at),
    deviceId: row.device_id,
    previousSessionId: row.previous_session_id,
  };
}

export class KyselySessionRepository implements SessionRepository {
  constructor(
    private readonly db: Kysely<DatabaseSchema>,
    private readonly dialect: 'sqlite' | 'postgres' = 'sqlite',
    /** Where the insert runs (see ./write-statement.ts). */
    private readonly write: WriteStatement = onConnection(db as Kysely<unknown>),
  ) {}

  async create(session: NewSession): Promise<SessionRecord> {
    const query = this.db
      .insertInto('sessions')
      .values({
        id: session.id,
        name: session.name,
        city: session.city,
        created_at: session.createdAt.getTime(),
        expires_at: session.expiresAt.getTime(),
        last_message_at: null,
        device_id: session.deviceId ?? null,
        previous_session_id: session.previousSessionId ?? null,
      })
      .returningAll()
      .compile();
    const [row] = await this.write<Selectable<SessionsTable>>(query);
    if (row === undefined) throw new Error('the session insert returned no row');
    return toRecord(row);
  }

  async get(id: string): Promise<SessionRecord | undefined> {
    const row = await this.db.selectFrom('sessions').selectAll().where('id', '=', id).executeTakeFirst();
    return row === undefined ? undefined : toRecord(row);
  }

  async newestLinked(sessionId: string): Promise<string | undefined> {
    let newest: string | undefined;
    const seen = new Set([sessionId]);
    for (let current = sessionId, depth = 0; depth < MAX_LINK_DEPTH; depth++) {
      const row = await this.db
        .selectFrom('sessions')
        .select('id')
        .where('previous_session_id', '=', current)
        .orderBy('created_at', 'desc')
        .orderBy('id', 'desc')
        .limit(1)
        .executeTakeFirst();
      if (row === undefined || seen.has(row.id)) break;
      seen.add(row.id);
      newest = current = row.id;
    }
    return newest;
  }

  async erase(sessionId: string): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('messages').where('session_id', '=', sessionId).execute();
      // A block keeps its device id and address (a ban must outlive the session) but forgets the session.
      await trx.updateTable('blocks').set({ session_id: null }).where('session_id', '=', sessionId).execute();
      await trx
        .updateTable('sessions')
        .set({ previous_session_id: null })
        .where('previous_session_id', '=', sessionId)
        .execute();
      const deleted = await trx.deleteFrom('sessions').where('id', '=', sessionId).executeTakeFirst();
      return deleted.numDeletedRows > 0n;
    });
  }

  async listRecent({
    limit,
    includeEmpty = false,
    after,
    unanswered,
    withRequests,
    onlyIds,
  }: SessionListOptions): Promise<SessionPage> {
    assertLimit(limit);
    if (onlyIds !== undefined && onlyIds.length === 0) return { sessions: [] };
    // The same expressions as the indexes: sessions_recent_idx (with empty
    // sessions) and the partial sessions_activity_idx (without).
    const activity = includeEmpty ? sql<number>`coalesce(last_message_at, created_at)` : sql<number>`last_message_at`;
    let query = this.db.selectFrom('sessions').selectAll();
    if (!includeEmpty) query = query.where('last_message_at', 'is not', null);
    if (unanswered) {
      // The newest message is the listener's: one index probe (messages_session_id_idx) per session.
      query = query.where(
        (eb) =>
          eb
            .selectFrom('messages')
            .select('messages.direction')
            .whereRef('messages.session_id', '=', 'sessions.id')
            .where('messages.hidden_reason', 'is', null)
            .orderBy('messages.id', 'desc')
            .limit(1),
        '=',
        'listener',
      );
    }
    if (withRequests) {
      query = query.where((eb) =>
        eb.exists(
          eb
            .selectFrom('messages')
            .select('messages.id')
            .whereRef('messages.session_id', '=', 'sessions.id')
            .where('messages.request_key', 'is not', null)
            .where('messages.hidden_reason', 'is', null),
        ),
      );
    }
    if (onlyIds !== undefined) {
      // One bound value whatever the number of ids (no parameter limit).
      const ids = JSON.stringify(onlyIds);
      query = query.where(
        this.dialect === 'postgres'
          ? sql<boolean>`sessions.id in (select jsonb_array_elements_text(${ids}::jsonb))`
          : sql<boolean>`sessions.id in (select value from json_each(${ids}))`,
      );
    }
    if (after !== undefined) {
      query = query.where((eb) =>
        eb.and([
          eb(activity, '<=', after.activityAt),
          eb.or([eb(activity, '<', after.activityAt), eb('id', '>', after.id)]),
        ]),
      );
    }
    const rows = await query
      .orderBy(activity, 'desc')
      .orderBy('id')
      .limit(limit + 1)
      .execute();
    const sessions = rows.slice(0, limit).map(toRecord);
    const last = rows.length > limit ? rows[limit - 1] : undefined;
    return last === undefined
      ? { sessions }
      : { sessions, next: { activityAt: last.last_message_at ?? last.created_at, id: last.id } };
  }
}

export function assertLimit(limit: number): void {
  if (!Number.isSafeInteger(limit) || limit < 0) throw new RangeError(`limit must be a whole number ≥ 0, got ${limit}`);
}
