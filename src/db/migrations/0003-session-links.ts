import { sql, type Kysely, type Migration } from 'kysely';

/**
 * Listener sessions remember the device that made them and the session they
 * follow (after the previous one expired), so a broadcaster sees one listener.
 * No foreign key: an erased session's successors keep pointing nowhere until
 * the erase clears the link (see KyselySessionRepository.erase).
 */
export const sessionLinks: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema.alterTable('sessions').addColumn('device_id', 'text').execute();
    await db.schema.alterTable('sessions').addColumn('previous_session_id', 'text').execute();
    // Serves newestLinked: WHERE previous_session_id = ? ORDER BY created_at DESC.
    await db.schema
      .createIndex('sessions_previous_idx')
      .on('sessions')
      .expression(sql`previous_session_id, created_at desc`)
      .where(sql.ref('previous_session_id'), 'is not', null)
      .execute();
  },
};
