import { sql, type Kysely, type Migration } from 'kysely';
import type { DialectKind } from './index.js';

/**
 * Song requests and the on-air queue (contract v1.1 D).
 *
 * - `messages.request_title`, `request_artist`: the song a listener asked for with the message;
 *   `request_key`: its grouping key (case-, accent- and space-insensitive), computed at write time.
 *   Written in the message's own insert, so a request is stored with its message or not at all.
 * - `song_requests`: a group of requests a broadcaster gave a status to. Its id is the messageId of
 *   the group's first request and it holds the requests of its key up to `last_message_id`; the
 *   requests of a key after the newest group are that song's open group (no row until it gets one).
 * - `onair_items`: the on-air queue, one row per queued message; `onair_revision`: one counter,
 *   raised with every change, so screens can drop an update older than one they already showed.
 */
export function liveShow(dialect: DialectKind): Migration {
  const bigId = dialect === 'postgres' ? 'bigint' : 'integer';
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema.alterTable('messages').addColumn('request_title', 'text').execute();
      await db.schema.alterTable('messages').addColumn('request_artist', 'text').execute();
      await db.schema.alterTable('messages').addColumn('request_key', 'text').execute();
      // Serves the request groups: WHERE request_key = ? AND id > ?, only over messages that are requests.
      await db.schema
        .createIndex('messages_request_key_idx')
        .on('messages')
        .columns(['request_key', 'id'])
        .where(sql.ref('request_key'), 'is not', null)
        .execute();

      await db.schema
        .createTable('song_requests')
        .addColumn('id', bigId, (col) => col.primaryKey())
        .addColumn('song_key', 'text', (col) => col.notNull())
        .addColumn('last_message_id', bigId, (col) => col.notNull())
        .addColumn('status', 'text', (col) => col.notNull())
        .addColumn('updated_at', 'bigint', (col) => col.notNull())
        .addCheckConstraint('song_requests_status_check', sql`status in ('open', 'played', 'skipped')`)
        .execute();
      await db.schema
        .createIndex('song_requests_key_idx')
        .on('song_requests')
        .columns(['song_key', 'last_message_id'])
        .execute();

      await db.schema
        .createTable('onair_items')
        .addColumn('message_id', bigId, (col) => col.primaryKey().references('messages.id').onDelete('cascade'))
        .addColumn('state', 'text', (col) => col.notNull())
        .addColumn('position', 'bigint', (col) => col.notNull())
        .addColumn('by_name', 'text', (col) => col.notNull())
        .addColumn('updated_at', 'bigint', (col) => col.notNull())
        .addCheckConstraint('onair_items_state_check', sql`state in ('queued', 'on_air', 'used')`)
        .execute();
      // At most one message on air, whatever races between instances.
      await db.schema
        .createIndex('onair_items_one_on_air')
        .on('onair_items')
        .column('state')
        .unique()
        .where(sql.ref('state'), '=', 'on_air')
        .execute();
      await db.schema
        .createTable('onair_revision')
        .addColumn('id', 'integer', (col) => col.primaryKey())
        .addColumn('revision', 'bigint', (col) => col.notNull())
        .execute();
      await sql`insert into onair_revision (id, revision) values (1, 0)`.execute(db);
    },
  };
}
