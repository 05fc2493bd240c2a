import { sql, type Kysely, type Migration } from 'kysely';

/**
 * Serves the default session listing, which leaves out sessions without
 * messages: WHERE last_message_at IS NOT NULL ORDER BY last_message_at DESC, id.
 * Partial, so empty sessions (however many) cost it nothing.
 */
export const sessionsActivity: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createIndex('sessions_activity_idx')
      .on('sessions')
      .expression(sql`last_message_at desc, id`)
      .where(sql.ref('last_message_at'), 'is not', null)
      .execute();
  },
};
