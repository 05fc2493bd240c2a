import { sql, type Kysely, type Migration } from 'kysely';
import type { DialectKind } from './index.js';

/**
 * Tables and indexes of the live show tools (contract v1.1 D):
 * - quick_replies: the team's shared `/shortcut` texts;
 * - announcements: what was announced to every listener (the newest is sent to late joiners);
 * - messages by time (export ranges, messages in the last hour) and sessions by creation (sessions today);
 * - full-text search over message text: an FTS5 table kept by triggers on SQLite, an expression
 *   GIN index on PostgreSQL. Both tokenise words as written (no stemming: Indonesian words are
 *   found as typed); SQLite folds case and diacritics, PostgreSQL's 'simple' configuration case.
 */
export function showTools(dialect: DialectKind): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      const id = dialect === 'postgres' ? sql`id bigserial primary key` : sql`id integer primary key autoincrement`;
      await sql`create table quick_replies (
        ${id},
        shortcut text not null unique,
        text text not null,
        created_at bigint not null,
        updated_at bigint not null
      )`.execute(db);
      await sql`create table announcements (
        ${id},
        admin_id bigint references admins(id) on delete set null,
        sender_name text not null,
        text text not null,
        created_at bigint not null
      )`.execute(db);
      await db.schema.createIndex('announcements_created_at_idx').on('announcements').columns(['created_at']).execute();
      await db.schema.createIndex('messages_created_at_idx').on('messages').columns(['created_at', 'id']).execute();
      await db.schema.createIndex('sessions_created_at_idx').on('sessions').columns(['created_at']).execute();

      if (dialect === 'postgres') {
        await sql`create index messages_text_search_idx on messages using gin (to_tsvector('simple', text))`.execute(
          db,
        );
        return;
      }
      await sql`create virtual table messages_fts using fts5(
        text, content='messages', content_rowid='id', tokenize='unicode61 remove_diacritics 2'
      )`.execute(db);
      await sql`create trigger messages_fts_insert after insert on messages begin
        insert into messages_fts(rowid, text) values (new.id, new.text);
      end`.execute(db);
      await sql`create trigger messages_fts_delete after delete on messages begin
        insert into messages_fts(messages_fts, rowid, text) values ('delete', old.id, old.text);
      end`.execute(db);
      await sql`create trigger messages_fts_update after update of text on messages begin
        insert into messages_fts(messages_fts, rowid, text) values ('delete', old.id, old.text);
        insert into messages_fts(rowid, text) values (new.id, new.text);
      end`.execute(db);
      await sql`insert into messages_fts(messages_fts) values ('rebuild')`.execute(db);
    },
  };
}
