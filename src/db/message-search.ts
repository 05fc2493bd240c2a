/**
 * Full-text search and export paging over all messages (contract v1.1 D).
 *
 * Search words are bound as values, never spliced into a query: on SQLite each
 * word becomes one quoted FTS5 string (a `"` inside doubled), so `OR`, `NEAR`,
 * `*`, `:` or parentheses typed by a broadcaster are searched for as text, not
 * run as query syntax; on PostgreSQL the words go through `plainto_tsquery`,
 * which has no operators at all.
 */
import { sql, type Kysely } from 'kysely';
import type { ExportPosition, ExportRow, MessageSearch } from './live-show-types.js';
import { toStored } from './message-write.js';
import { messageColumns, type DatabaseSchema } from './schema.js';
import type { StoredMessage } from './types.js';

/** An FTS5 query matching every word as a phrase of its own (implicit AND). */
export function fts5Query(words: readonly string[]): string {
  return words.map((word) => `"${word.replaceAll('"', '""')}"`).join(' ');
}

export class KyselyMessageSearch implements MessageSearch {
  constructor(
    private readonly db: Kysely<DatabaseSchema>,
    private readonly dialect: 'sqlite' | 'postgres',
    /** SQLite: brings the full-text index up to the newest message (it is kept up to date in chunks). */
    private readonly catchUpIndex: () => Promise<void>,
  ) {}

  async search(words: readonly string[], limit: number): Promise<StoredMessage[]> {
    if (words.length === 0 || limit <= 0) return [];
    const columns = messageColumns.map((column) => `messages.${column}` as const);
    if (this.dialect === 'postgres') {
      const rows = await this.db
        .selectFrom('messages')
        .select(columns)
        .where(sql<boolean>`to_tsvector('simple', messages.text) @@ plainto_tsquery('simple', ${words.join(' ')})`)
        .where('messages.hidden_reason', 'is', null)
        .orderBy('messages.id', 'desc')
        .limit(limit)
        .execute();
      return rows.map(toStored);
    }
    await this.catchUpIndex();
    const rows = await this.db
      .selectFrom('messages_fts')
      .innerJoin('messages', 'messages.id', 'messages_fts.rowid')
      .select(columns)
      .where(sql<boolean>`messages_fts match ${fts5Query(words)}`)
      .where('messages.hidden_reason', 'is', null)
      .orderBy('messages.id', 'desc')
      .limit(limit)
      .execute();
    return rows.map(toStored);
  }

  async exportPage(
    range: { from: Date; to: Date },
    after: ExportPosition | undefined,
    limit: number,
  ): Promise<ExportRow[]> {
    let query = this.db
      .selectFrom('messages')
      .innerJoin('sessions', 'sessions.id', 'messages.session_id')
      .select([...messageColumns.map((column) => `messages.${column}` as const), 'sessions.city'])
      .where('messages.created_at', '>=', after?.createdAt ?? range.from.getTime())
      .where('messages.created_at', '<', range.to.getTime())
      .where('messages.hidden_reason', 'is', null);
    if (after !== undefined) {
      // Keyset on (created_at, id), the order of messages_created_at_idx: each page is one index range.
      query = query.where((eb) =>
        eb.or([eb('messages.created_at', '>', after.createdAt), eb('messages.id', '>', after.id)]),
      );
    }
    const rows = await query.orderBy('messages.created_at').orderBy('messages.id').limit(limit).execute();
    return rows.map((row) => ({
      ...toStored(row),
      position: { createdAt: row.created_at, id: row.id },
      city: row.city,
    }));
  }
}
