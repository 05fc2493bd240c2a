/**
 * Deleting what is older than the retention period, a small batch at a time:
 * each call is one short statement per table, so the message path (and, on
 * SQLite, the single writer) never waits long behind it. Every statement is
 * idempotent: instances running it at the same time only share the work.
 */
import { sql, type Kysely } from 'kysely';
import type { DatabaseSchema } from './schema.js';
import type { RetentionRepository } from './types.js';

export class KyselyRetentionRepository implements RetentionRepository {
  constructor(private readonly db: Kysely<DatabaseSchema>) {}

  async deleteOlderThan(cutoff: Date, batchSize: number): Promise<number> {
    const before = cutoff.getTime();
    // Messages first (by the created_at index), oldest first.
    const messages = await this.db
      .deleteFrom('messages')
      .where('id', 'in', (eb) =>
        eb.selectFrom('messages').select('id').where('created_at', '<', before).orderBy('id').limit(batchSize),
      )
      .executeTakeFirst();
    let deleted = Number(messages.numDeletedRows);
    if (deleted >= batchSize) return deleted;
    // Sessions with no activity since the cutoff and no message left (newer
    // messages keep their session); where they came from goes with them.
    const sessions = await this.db
      .deleteFrom('sessions')
      .where('id', 'in', (eb) =>
        eb
          .selectFrom('sessions')
          .select('id')
          .where(sql<number>`coalesce(last_message_at, created_at)`, '<', before)
          .where('expires_at', '<', before)
          .where((inner) =>
            inner.not(
              inner.exists(
                inner.selectFrom('messages').select('messages.id').whereRef('messages.session_id', '=', 'sessions.id'),
              ),
            ),
          )
          .limit(batchSize - deleted),
      )
      .executeTakeFirst();
    deleted += Number(sessions.numDeletedRows);
    const now = Date.now();
    const blocks = await this.db.deleteFrom('blocks').where('until', '<', now).executeTakeFirst();
    const tokens = await this.db.deleteFrom('revoked_tokens').where('expires_at', '<', now).executeTakeFirst();
    const audit = await this.db
      .deleteFrom('audit_log')
      .where('id', 'in', (eb) => eb.selectFrom('audit_log').select('id').where('at', '<', before).limit(batchSize))
      .executeTakeFirst();
    return deleted + Number(blocks.numDeletedRows) + Number(tokens.numDeletedRows) + Number(audit.numDeletedRows);
  }
}
