import { sql, type Kysely, type Selectable, type Transaction } from 'kysely';
import { KeyedQueue } from '../keyed-queue.js';
import { UnknownSessionError } from './errors.js';
import { formatRowId, parseRowId } from './ids.js';
import type { DatabaseSchema, MessagesTable } from './schema.js';
import { assertLimit } from './sessions.js';
import type { Direction, InsertOptions, InsertResult, MessageRepository, NewMessage, StoredMessage } from './types.js';

/** First key of the advisory locks that order one session's writes and publications (PostgreSQL). */
const SESSION_ORDER_LOCK = 0x4c43;

type MessageRow = Pick<
  Selectable<MessagesTable>,
  'id' | 'session_id' | 'direction' | 'sender_name' | 'text' | 'created_at'
>;
const messageColumns = ['id', 'session_id', 'direction', 'sender_name', 'text', 'created_at'] as const;

function toStored(row: MessageRow): StoredMessage {
  return {
    messageId: formatRowId(row.id),
    sessionId: row.session_id,
    direction: row.direction,
    from: row.sender_name,
    text: row.text,
    createdAt: new Date(row.created_at),
  };
}

/**
 * The statements of one insert, inside a transaction the caller owns (one
 * message per transaction today; a batching layer can run several, each under
 * its own savepoint).
 *
 * 1. Lock the session row while setting lastMessageAt. Until this transaction
 *    ends, every other insert into the session, from any process, waits here
 *    before it draws an id: ids of one session are drawn and committed in the
 *    same order, so a reader never sees id n+1 without id n.
 * 2. Insert, doing nothing on a (sender_key, client_message_id) conflict. A
 *    conflicting insert that is still uncommitted elsewhere makes PostgreSQL
 *    wait for its outcome, so dedup holds across processes.
 *
 * Resolves with the new row, or undefined on a dedup conflict: the caller must
 * then roll back (to the savepoint), which also restores lastMessageAt.
 */
export async function lockSessionAndInsert(
  trx: Transaction<DatabaseSchema>,
  message: NewMessage,
  now: number,
): Promise<MessageRow | undefined> {
  const adminId = message.adminId === undefined ? null : parseRowId(message.adminId);
  if (adminId === undefined) throw new RangeError(`adminId must be a decimal id, got "${message.adminId}"`);

  const session = await trx
    .updateTable('sessions')
    .set({ last_message_at: now })
    .where('id', '=', message.sessionId)
    .returning('id')
    .executeTakeFirst();
  if (session === undefined) throw new UnknownSessionError(message.sessionId);

  return trx
    .insertInto('messages')
    .values({
      session_id: message.sessionId,
      direction: message.direction,
      sender_key: message.senderKey,
      sender_name: message.from,
      admin_id: adminId,
      client_message_id: message.clientMessageId ?? null,
      text: message.text,
      created_at: now,
    })
    .onConflict((oc) => oc.columns(['sender_key', 'client_message_id']).doNothing())
    .returning(messageColumns)
    .executeTakeFirst();
}

/** Thrown inside the transaction to roll it back when the message is a duplicate. */
class DuplicateMessage extends Error {}

export class KyselyMessageRepository implements MessageRepository {
  private readonly sqliteOrder = new KeyedQueue();

  constructor(
    private readonly db: Kysely<DatabaseSchema>,
    private readonly dialect: 'sqlite' | 'postgres',
  ) {}

  async insert(message: NewMessage, options: InsertOptions = {}): Promise<InsertResult> {
    const { afterCommit } = options;
    if (afterCommit === undefined) return this.insertOn(this.db, message);
    if (this.dialect === 'sqlite') {
      // One process owns a SQLite file: an in-process queue per session holds the next write back.
      return this.sqliteOrder.run(message.sessionId, async () => {
        const result = await this.insertOn(this.db, message);
        await afterCommit(result);
        return result;
      });
    }
    // The row lock of the insert ends at COMMIT; this lock also covers the
    // publication, so the next write of the session (on any instance) is
    // committed - and published - only after this one was published.
    return this.db.connection().execute(async (connection) => {
      await sql`select pg_advisory_lock(${SESSION_ORDER_LOCK}, hashtext(${message.sessionId}))`.execute(connection);
      try {
        const result = await this.insertOn(connection, message);
        await afterCommit(result);
        return result;
      } finally {
        // A failed unlock means the connection broke, which releases the lock too.
        await sql`select pg_advisory_unlock(${SESSION_ORDER_LOCK}, hashtext(${message.sessionId}))`
          .execute(connection)
          .catch(() => undefined);
      }
    });
  }

  private async insertOn(db: Kysely<DatabaseSchema>, message: NewMessage): Promise<InsertResult> {
    // A duplicate's first row is normally found at once; the loop only covers
    // that row being deleted between the conflict and the read.
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        const row = await db.transaction().execute(async (trx) => {
          const inserted = await lockSessionAndInsert(trx, message, Date.now());
          if (inserted === undefined) throw new DuplicateMessage();
          return inserted;
        });
        return { message: toStored(row), duplicate: false };
      } catch (error) {
        if (!(error instanceof DuplicateMessage)) throw error;
      }
      // Only reachable with a clientMessageId: without one nothing can conflict.
      const first = await db
        .selectFrom('messages')
        .select(messageColumns)
        .where('sender_key', '=', message.senderKey)
        .where('client_message_id', '=', message.clientMessageId ?? null)
        .executeTakeFirst();
      if (first !== undefined) return { message: toStored(first), duplicate: true };
    }
    throw new Error(`message ${message.senderKey}/${message.clientMessageId} conflicted, but its first copy is gone`);
  }

  async latestId(sessionId: string, direction?: Direction): Promise<string | undefined> {
    let query = this.db.selectFrom('messages').select('id').where('session_id', '=', sessionId);
    if (direction !== undefined) query = query.where('direction', '=', direction);
    const row = await query.orderBy('id', 'desc').limit(1).executeTakeFirst();
    return row === undefined ? undefined : formatRowId(row.id);
  }

  async listAfter(
    sessionId: string,
    options: { afterMessageId?: string | undefined; limit: number; direction?: Direction | undefined },
  ): Promise<StoredMessage[]> {
    assertLimit(options.limit);
    let query = this.db.selectFrom('messages').select(messageColumns).where('session_id', '=', sessionId);
    if (options.afterMessageId !== undefined) {
      if (!/^\d+$/.test(options.afterMessageId)) {
        throw new RangeError(`afterMessageId must be a messageId, got "${options.afterMessageId}"`);
      }
      const afterId = parseRowId(options.afterMessageId);
      // Larger than any id this store hands out: nothing comes after it.
      if (afterId === undefined) return [];
      query = query.where('id', '>', afterId);
    }
    if (options.direction !== undefined) query = query.where('direction', '=', options.direction);
    const rows = await query.orderBy('id').limit(options.limit).execute();
    return rows.map(toStored);
  }
}
