import { sql, type Kysely, type Migration } from 'kysely';
import type { DialectKind } from './index.js';

/**
 * SQLite: the full-text index (`messages_fts`, 0005) is kept up to date in
 * chunks instead of by a trigger on every insert (../sqlite/search-index.ts).
 * Indexing a row inside the message's own small transaction cost about as
 * much as the rest of the message's write (FTS5 writes a new segment per
 * commit and merges them); a thousand rows at once cost a few percent of it.
 *
 * - `search_index_state.indexed_through`: the highest message id whose text
 *   is in the index; every message above it is not (ids are handed out in
 *   commit order under SQLite's write lock). It starts at the newest message,
 *   which the insert trigger indexed until now.
 * - The delete and text-update triggers only touch rows that were indexed:
 *   telling FTS5 to delete a row it never saw would corrupt the index.
 *
 * PostgreSQL keeps its GIN index (with its own pending list): nothing changes.
 */
export function deferredSearchIndex(dialect: DialectKind): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      if (dialect === 'postgres') return;
      await sql`create table search_index_state (
        id integer primary key check (id = 1),
        indexed_through integer not null
      )`.execute(db);
      await sql`insert into search_index_state (id, indexed_through)
        select 1, coalesce(max(id), 0) from messages`.execute(db);
      await sql`drop trigger messages_fts_insert`.execute(db);
      await sql`drop trigger messages_fts_delete`.execute(db);
      await sql`drop trigger messages_fts_update`.execute(db);
      const indexed = sql`old.id <= (select indexed_through from search_index_state where id = 1)`;
      await sql`create trigger messages_fts_delete after delete on messages when ${indexed} begin
        insert into messages_fts(messages_fts, rowid, text) values ('delete', old.id, old.text);
      end`.execute(db);
      await sql`create trigger messages_fts_update after update of text on messages when ${indexed} begin
        insert into messages_fts(messages_fts, rowid, text) values ('delete', old.id, old.text);
        insert into messages_fts(rowid, text) values (new.id, new.text);
      end`.execute(db);
    },
  };
}
