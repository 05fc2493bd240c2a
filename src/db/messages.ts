import { sql, type Kysely, type Selectable } from 'kysely';
import { UnknownSessionError } from './errors.js';
import { GroupCommit, type WriteOutcome } from './group-commit.js';
import { PreparedQuery } from './prepared-query.js';
import type { LiveChatSqliteDialect } from './sqlite/dialect.js';
import { SqliteMessageWriter } from './sqlite/message-writer.js';
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

type Db = Kysely<DatabaseSchema>;

/** The message path's queries, compiled once per store (see ./prepared-query.ts). */
function messagePathQueries(db: Db) {
  return {
    /** The session's newest broadcaster message. */
    previousBroadcaster: new PreparedQuery(db, (db, param: (name: 'sessionId') => never) =>
      db
        .selectFrom('messages')
        .select('id')
        .where('session_id', '=', param('sessionId'))
        .where('direction', '=', 'broadcaster')
        .orderBy('id', 'desc')
        .limit(1),
    ),
    /** Inserts, doing nothing on a (sender_key, client_message_id) conflict. */
    insert: new PreparedQuery(
      db,
      (
        db,
        param: (
          name: 'sessionId' | 'direction' | 'senderKey' | 'from' | 'adminId' | 'clientMessageId' | 'text' | 'now',
        ) => never,
      ) =>
        db
          .insertInto('messages')
          .values({
            session_id: param('sessionId'),
            direction: param('direction'),
            sender_key: param('senderKey'),
            sender_name: param('from'),
            admin_id: param('adminId'),
            client_message_id: param('clientMessageId'),
            text: param('text'),
            created_at: param('now'),
          })
          .onConflict((oc) => oc.columns(['sender_key', 'client_message_id']).doNothing())
          .returning(messageColumns),
    ),
    /** Sets lastMessageAt, locking the session row until the transaction ends (PostgreSQL). */
    touchSession: new PreparedQuery(db, (db, param: (name: 'sessionId' | 'now') => never) =>
      db
        .updateTable('sessions')
        .set({ last_message_at: param('now') })
        .where('id', '=', param('sessionId'))
        .returning('id'),
    ),
    /** The first copy of a message whose (senderKey, clientMessageId) conflicted. */
    firstCopy: new PreparedQuery(db, (db, param: (name: 'senderKey' | 'clientMessageId') => never) =>
      db
        .selectFrom('messages')
        .select(messageColumns)
        .where('sender_key', '=', param('senderKey'))
        .where('client_message_id', '=', param('clientMessageId')),
    ),
    sessionExists: new PreparedQuery(db, (db, param: (name: 'sessionId') => never) =>
      db.selectFrom('sessions').select('id').where('id', '=', param('sessionId')),
    ),
  };
}
type MessagePathQueries = ReturnType<typeof messagePathQueries>;

/** The session's newest broadcaster messageId before this insert ('0' when none). */
async function previousBroadcasterId(
  queries: MessagePathQueries,
  trx: Db,
  message: NewMessage,
): Promise<string | undefined> {
  if (message.direction !== 'broadcaster') return undefined;
  const row = await queries.previousBroadcaster.first(trx, { sessionId: message.sessionId });
  return row === undefined ? '0' : formatRowId(row.id);
}

function insertValues(message: NewMessage, now: number) {
  const adminId = message.adminId === undefined ? null : parseRowId(message.adminId);
  if (adminId === undefined) throw new RangeError(`adminId must be a decimal id, got "${message.adminId}"`);
  return {
    sessionId: message.sessionId,
    direction: message.direction,
    senderKey: message.senderKey,
    from: message.from,
    adminId,
    clientMessageId: message.clientMessageId ?? null,
    text: message.text,
    now,
  };
}

function findFirstCopy(queries: MessagePathQueries, db: Db, message: NewMessage): Promise<MessageRow | undefined> {
  return queries.firstCopy.first(db, {
    senderKey: message.senderKey,
    clientMessageId: message.clientMessageId ?? null,
  });
}

/**
 * PostgreSQL: the statements of one insert, in its own transaction.
 *
 * 1. Lock the session row while setting lastMessageAt. Until this transaction
 *    ends, every other insert into the session, from any process, waits here
 *    before it draws an id: ids of one session are drawn and committed in the
 *    same order, so a reader never sees id n+1 without id n.
 * 2. Read the session's previous broadcaster messageId (broadcaster messages).
 * 3. Insert, doing nothing on a (sender_key, client_message_id) conflict. A
 *    conflicting insert that is still uncommitted elsewhere makes PostgreSQL
 *    wait for its outcome, so dedup holds across processes.
 *
 * Resolves with the new row, or undefined on a dedup conflict: the caller must
 * then roll back, which also restores lastMessageAt.
 */
async function lockSessionAndInsert(
  queries: MessagePathQueries,
  trx: Db,
  message: NewMessage,
  now: number,
): Promise<{ row: MessageRow; previousMessageId: string | undefined } | undefined> {
  const values = insertValues(message, now);
  const session = await queries.touchSession.first(trx, { sessionId: message.sessionId, now });
  if (session === undefined) throw new UnknownSessionError(message.sessionId);
  const previousMessageId = await previousBroadcasterId(queries, trx, message);
  const row = await queries.insert.first(trx, values);
  return row === undefined ? undefined : { row, previousMessageId };
}

/** Thrown inside the transaction to roll it back when the message is a duplicate. */
class DuplicateMessage extends Error {}

export class KyselyMessageRepository implements MessageRepository {
  private readonly queries: MessagePathQueries;
  /** SQLite: messages are written in batches, one transaction per event-loop turn. */
  private readonly sqliteBatches: GroupCommit<NewMessage, InsertResult> | undefined;
  private readonly sqliteWriter: SqliteMessageWriter | undefined;

  constructor(
    private readonly db: Kysely<DatabaseSchema>,
    /** The SQLite dialect the store was opened with; undefined on PostgreSQL. */
    sqlite: LiveChatSqliteDialect | undefined,
  ) {
    this.queries = messagePathQueries(db);
    if (sqlite === undefined) return;
    const { queries } = this;
    const writer = new SqliteMessageWriter(
      sqlite.options,
      sqlite.handle,
      {
        previousBroadcaster: queries.previousBroadcaster.statement,
        insert: queries.insert.statement,
        touchSession: queries.touchSession.statement,
        firstCopy: queries.firstCopy.statement,
        sessionExists: queries.sessionExists.statement,
      },
      (task) => db.connection().execute(async () => task()),
    );
    this.sqliteWriter = writer;
    this.sqliteBatches = new GroupCommit((messages) => this.writeSqliteBatch(writer, messages));
  }

  /** Stops the SQLite message writer; call once no insert is in progress. */
  close(): Promise<void> {
    return this.sqliteWriter?.close() ?? Promise.resolve();
  }

  async insert(message: NewMessage, options: InsertOptions = {}): Promise<InsertResult> {
    const { afterCommit } = options;
    // One process owns a SQLite file; the batches are committed, then acked
    // and published, in the order the messages came.
    if (this.sqliteBatches) return this.sqliteBatches.submit(message, afterCommit);
    if (afterCommit === undefined) return this.insertOnPostgres(this.db, message);
    // The row lock of the insert ends at COMMIT; this lock also covers the
    // publication, so the next write of the session (on any instance) is
    // committed - and published - only after this one was published.
    return this.db.connection().execute(async (connection) => {
      await sql`select pg_advisory_lock(${SESSION_ORDER_LOCK}, hashtext(${message.sessionId}))`.execute(connection);
      try {
        const result = await this.insertOnPostgres(connection, message);
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

  /** Writes a batch through the SQLite message writer and turns its outcomes into results or errors. */
  private async writeSqliteBatch(
    writer: SqliteMessageWriter,
    messages: readonly NewMessage[],
  ): Promise<Array<WriteOutcome<InsertResult>>> {
    const outcomes = await writer.write(messages);
    return outcomes.map((outcome, index): WriteOutcome<InsertResult> => {
      if (outcome.ok) {
        const { row, duplicate, previousMessageId } = outcome;
        return {
          ok: true,
          value: duplicate
            ? { message: toStored(row), duplicate }
            : { message: toStored(row), duplicate, previousMessageId },
        };
      }
      if (outcome.reason === 'unknown_session')
        return { ok: false, error: new UnknownSessionError(messages[index]!.sessionId) };
      if (outcome.reason === 'invalid_admin') return { ok: false, error: new RangeError(outcome.detail) };
      return { ok: false, error: new Error(outcome.detail) };
    });
  }

  private async insertOnPostgres(db: Kysely<DatabaseSchema>, message: NewMessage): Promise<InsertResult> {
    // A duplicate's first row is normally found at once; the loop only covers
    // that row being deleted between the conflict and the read.
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        const inserted = await db.transaction().execute(async (trx) => {
          const result = await lockSessionAndInsert(this.queries, trx, message, Date.now());
          if (result === undefined) throw new DuplicateMessage();
          return result;
        });
        return { message: toStored(inserted.row), duplicate: false, previousMessageId: inserted.previousMessageId };
      } catch (error) {
        if (!(error instanceof DuplicateMessage)) throw error;
      }
      // Only reachable with a clientMessageId: without one nothing can conflict.
      const first = await findFirstCopy(this.queries, db, message);
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
