import { sql, type CreateTableBuilder, type Kysely, type Migration } from 'kysely';
import type { DialectKind } from './index.js';

/**
 * Broadcaster roles and account state, hidden messages, blocks, the token
 * deny-list, the client address a session was opened from (for address
 * blocks; its device id is on the session itself), and the audit log.
 *
 * Accounts that exist before this migration become managers: until now every
 * account could do everything, and a station that upgrades must not find
 * itself without anyone allowed to manage accounts. Accounts created later
 * are `penyiar` unless made managers.
 */
export function moderation(dialect: DialectKind): Migration {
  const autoIncrementId = <TB extends string>(table: CreateTableBuilder<TB>): CreateTableBuilder<TB, 'id'> =>
    dialect === 'postgres'
      ? table.addColumn('id', 'bigserial', (col) => col.primaryKey())
      : table.addColumn('id', 'integer', (col) => col.primaryKey().autoIncrement());

  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .alterTable('admins')
        .addColumn('role', 'text', (col) => col.notNull().defaultTo('penyiar'))
        .execute();
      await db.schema.alterTable('admins').addColumn('disabled_at', 'bigint').execute();
      // Raised when the password changes or the account is disabled: older tokens are refused.
      await db.schema
        .alterTable('admins')
        .addColumn('token_version', 'integer', (col) => col.notNull().defaultTo(0))
        .execute();
      await sql`update admins set role = 'manager'`.execute(db);

      // null: visible; 'mute', 'filter' or 'moderator': why it is hidden.
      await db.schema.alterTable('messages').addColumn('hidden_reason', 'text').execute();

      await db.schema
        .createTable('session_clients')
        .addColumn('session_id', 'text', (col) => col.primaryKey().references('sessions.id').onDelete('cascade'))
        .addColumn('ip', 'text', (col) => col.notNull())
        .execute();

      await autoIncrementId(db.schema.createTable('blocks'))
        // No foreign key: erasing a session must not lift its ban (a block ends when it expires or is lifted).
        .addColumn('session_id', 'text')
        .addColumn('device_id', 'text')
        .addColumn('ip', 'text')
        .addColumn('mode', 'text', (col) => col.notNull())
        .addColumn('reason', 'text')
        .addColumn('until', 'bigint')
        .addColumn('admin_id', 'text', (col) => col.notNull())
        .addColumn('created_at', 'bigint', (col) => col.notNull())
        .addCheckConstraint('blocks_mode_check', sql`mode in ('mute', 'ban')`)
        .execute();
      await db.schema.createIndex('blocks_session_idx').on('blocks').column('session_id').execute();

      await db.schema
        .createTable('revoked_tokens')
        .addColumn('token_id', 'text', (col) => col.primaryKey())
        .addColumn('expires_at', 'bigint', (col) => col.notNull())
        .execute();

      await autoIncrementId(db.schema.createTable('audit_log'))
        .addColumn('at', 'bigint', (col) => col.notNull())
        .addColumn('admin_id', 'text', (col) => col.notNull())
        .addColumn('action', 'text', (col) => col.notNull())
        .addColumn('target', 'text', (col) => col.notNull())
        .addColumn('detail', 'text')
        .execute();

      // Retention (WHERE created_at < cutoff) uses messages_created_at_idx (created_at, id) of 0005:
      // one index fewer to keep up on every message insert.
      await db.schema.createIndex('audit_log_at_idx').on('audit_log').column('at').execute();
    },
  };
}
