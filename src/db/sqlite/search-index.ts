/**
 * SQLite: brings the full-text index (`messages_fts`) up to the newest
 * message, a chunk per transaction (migration 0007 explains why it is not a
 * trigger). Synchronous, on a better-sqlite3 handle: the message writer's
 * thread runs it between batches, at most once a second while messages come
 * (./message-writer-worker.ts), and a search runs it first, so that search
 * always sees every stored message.
 *
 * Each chunk reads the watermark inside its own write transaction, so two
 * handles catching up at once never index a row twice.
 */
import type Database from 'better-sqlite3';

/** Rows per transaction: about a millisecond of the writer's time, so message batches wait little. */
export const SEARCH_INDEX_CHUNK = 500;

export class SearchIndexer {
  private readonly begin: Database.Statement;
  private readonly commit: Database.Statement;
  private readonly rollback: Database.Statement;
  private readonly watermark: Database.Statement<[], { indexed_through: number }>;
  private readonly chunkEnd: Database.Statement<[number, number], { last: number | null }>;
  private readonly index: Database.Statement<[number, number]>;
  private readonly advance: Database.Statement<[number]>;

  constructor(private readonly database: Database.Database) {
    this.begin = database.prepare('begin immediate');
    this.commit = database.prepare('commit');
    this.rollback = database.prepare('rollback');
    this.watermark = database.prepare('select indexed_through from search_index_state where id = 1');
    this.chunkEnd = database.prepare(
      'select max(id) as last from (select id from messages where id > ? order by id limit ?)',
    );
    this.index = database.prepare(
      'insert into messages_fts (rowid, text) select id, text from messages where id > ? and id <= ? order by id',
    );
    this.advance = database.prepare('update search_index_state set indexed_through = ? where id = 1');
  }

  /**
   * Indexes at most one chunk in one transaction; the number of messages
   * indexed (0: the index is complete).
   */
  step(chunk = SEARCH_INDEX_CHUNK): number {
    this.begin.run();
    try {
      const from = this.watermark.get()?.indexed_through ?? 0;
      const last = this.chunkEnd.get(from, chunk)?.last ?? null;
      const indexed = last === null ? 0 : this.index.run(from, last).changes;
      if (last !== null) this.advance.run(last);
      this.commit.run();
      return indexed;
    } catch (error) {
      if (this.database.inTransaction) this.rollback.run();
      throw error;
    }
  }

  /** Indexes everything not yet indexed; the number of messages indexed. */
  catchUp(): number {
    let total = 0;
    for (let indexed = this.step(); indexed > 0; indexed = this.step()) total += indexed;
    return total;
  }
}
