/** The team's shared quick replies (contract v1.1 D). */
import type { Kysely, Selectable } from 'kysely';
import type { QuickReplyRecord, QuickReplyRepository } from './live-show-types.js';
import { isUniqueViolation } from './unique-violation.js';
import type { DatabaseSchema, QuickRepliesTable } from './schema.js';

function toRecord(row: Pick<Selectable<QuickRepliesTable>, 'id' | 'shortcut' | 'text'>): QuickReplyRecord {
  return { id: String(row.id), shortcut: row.shortcut, text: row.text };
}

/** A row id from an outside string, or undefined when it cannot be one. */
function rowId(id: string): number | undefined {
  return /^[1-9]\d{0,14}$/.test(id) ? Number(id) : undefined;
}

export class KyselyQuickReplyRepository implements QuickReplyRepository {
  constructor(private readonly db: Kysely<DatabaseSchema>) {}

  async list(): Promise<QuickReplyRecord[]> {
    const rows = await this.db
      .selectFrom('quick_replies')
      .select(['id', 'shortcut', 'text'])
      .orderBy('shortcut')
      .execute();
    return rows.map(toRecord);
  }

  async count(): Promise<number> {
    const row = await this.db
      .selectFrom('quick_replies')
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async create(reply: { shortcut: string; text: string }): Promise<QuickReplyRecord | undefined> {
    const now = Date.now();
    try {
      const row = await this.db
        .insertInto('quick_replies')
        .values({ shortcut: reply.shortcut, text: reply.text, created_at: now, updated_at: now })
        .returning(['id', 'shortcut', 'text'])
        .executeTakeFirstOrThrow();
      return toRecord(row);
    } catch (error) {
      if (isUniqueViolation(error)) return undefined;
      throw error;
    }
  }

  async update(
    id: string,
    change: { shortcut?: string; text?: string },
  ): Promise<QuickReplyRecord | 'missing' | 'taken'> {
    const key = rowId(id);
    if (key === undefined) return 'missing';
    try {
      const row = await this.db
        .updateTable('quick_replies')
        .set({ ...change, updated_at: Date.now() })
        .where('id', '=', key)
        .returning(['id', 'shortcut', 'text'])
        .executeTakeFirst();
      return row === undefined ? 'missing' : toRecord(row);
    } catch (error) {
      if (isUniqueViolation(error)) return 'taken';
      throw error;
    }
  }

  async remove(id: string): Promise<boolean> {
    const key = rowId(id);
    if (key === undefined) return false;
    const result = await this.db.deleteFrom('quick_replies').where('id', '=', key).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }
}
