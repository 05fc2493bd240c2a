import { sql, type CreateTableBuilder, type Kysely, type Migration } from 'kysely';
import type { DialectKind } from './index.js';

/** Sessions, messages and broadcaster accounts. */
export function initial(dialect: DialectKind): Migration {
  // SQLite: AUTOINCREMENT so an id is never handed out twice, even after the
  // newest rows were deleted (messageIds are replay cursors).
  const autoIncrementId = <TB extends string>(table: CreateTableBuilder<TB>): CreateTableBuilder<TB, 'id'> =>
    dialect === 'postgres'
      ? table.addColumn('id', 'bigserial', (col) => col.primaryKey())
      : table.addColumn('id', 'integer', (col) => col.primaryKey().autoIncrement());

  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('sessions')
        .addColumn('id', 'text', (col) => col.primaryKey())
        .addColumn('name', 'text', (col) => col.notNull())
        .addColumn('city', 'text', (col) => col.notNull().defaultTo(''))
        .addColumn('created_at', 'bigint', (col) => col.notNull())
        .addColumn('expires_at', 'bigint', (col) => col.notNull())
        .addColumn('last_message_at', 'bigint')
        .execute();
      // Serves listRecent: ORDER BY coalesce(last_message_at, created_at) DESC, id.
      await db.schema
        .createIndex('sessions_recent_idx')
        .on('sessions')
        .expression(sql`(coalesce(last_message_at, created_at)) desc, id`)
        .execute();

      await autoIncrementId(db.schema.createTable('admins'))
        .addColumn('username', 'text', (col) => col.notNull().unique())
        .addColumn('display_name', 'text', (col) => col.notNull())
        .addColumn('password_hash', 'text', (col) => col.notNull())
        .addColumn('created_at', 'bigint', (col) => col.notNull())
        .addColumn('updated_at', 'bigint', (col) => col.notNull())
        .execute();

      await autoIncrementId(db.schema.createTable('messages'))
        .addColumn('session_id', 'text', (col) => col.notNull().references('sessions.id').onDelete('cascade'))
        .addColumn('direction', 'text', (col) => col.notNull())
        .addColumn('sender_key', 'text', (col) => col.notNull())
        .addColumn('sender_name', 'text', (col) => col.notNull())
        .addColumn('admin_id', 'bigint', (col) => col.references('admins.id').onDelete('set null'))
        .addColumn('client_message_id', 'text')
        .addColumn('text', 'text', (col) => col.notNull())
        .addColumn('created_at', 'bigint', (col) => col.notNull())
        .addCheckConstraint('messages_direction_check', sql`direction in ('listener', 'broadcaster')`)
        // NULLs are distinct: messages without a clientMessageId are never deduplicated.
        .addUniqueConstraint('messages_sender_client_message_unique', ['sender_key', 'client_message_id'])
        .execute();
      // Serves listAfter: WHERE session_id = ? AND id > ? ORDER BY id.
      await db.schema.createIndex('messages_session_id_idx').on('messages').columns(['session_id', 'id']).execute();
    },
  };
}
