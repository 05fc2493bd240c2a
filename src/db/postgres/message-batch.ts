/**
 * PostgreSQL: one batch of messages in one transaction on one pooled
 * connection, in a fixed number of round trips whatever the batch size
 * (instead of six per message).
 *
 * Order across instances: before the transaction the connection takes the
 * session-level advisory lock of every session in the batch (in one global
 * order, so two instances never wait for each other in a circle), and keeps
 * them until every message of the batch was acknowledged and published
 * (`release`). The next write into one of these sessions, on any instance,
 * waits for that: one session's messages are stored, and published, in order.
 *
 * In the transaction:
 * 1. the sessions' rows are locked (`FOR UPDATE`, as the one-message path
 *    does) and read: messages into a session that does not exist are refused;
 * 2. replies: each session's newest broadcaster message, to chain
 *    `previousMessageId`;
 * 3. one INSERT of all the batch's messages in batch order, doing nothing on a
 *    (sender_key, client_message_id) conflict (a conflicting insert still
 *    uncommitted elsewhere makes PostgreSQL wait for its outcome);
 * 4. lastMessageAt of the sessions that got a new message;
 * 5. for duplicates, their first copies.
 */
import { sql, type Kysely } from 'kysely';
import { formatRowId } from '../ids.js';
import { adminIdColumn, firstCopyGone, type MessageWriteOutcome } from '../message-write.js';
import type { DatabaseSchema, MessageRow } from '../schema.js';
import type { NewMessage } from '../types.js';

/** First key of the advisory locks that order one session's writes and publications. */
const SESSION_ORDER_LOCK = 0x4c43;

type Db = Kysely<DatabaseSchema>;
type InsertedRow = MessageRow & { sender_key: string; client_message_id: string | null };

const unique = <T>(values: Iterable<T>): T[] => [...new Set(values)];
const dedupKey = (senderKey: string, clientMessageId: string): string => JSON.stringify([senderKey, clientMessageId]);

/**
 * Writes the batch and resolves once it is committed; `release` (called after
 * the batch's acks and publications) drops the session locks and gives the
 * connection back. Rejects, with nothing stored, on any database error.
 */
export function writePostgresBatch(
  db: Db,
  messages: readonly NewMessage[],
): Promise<{ outcomes: MessageWriteOutcome[]; release: () => Promise<void> }> {
  return new Promise((resolve, reject) => {
    db.connection()
      .execute(async (connection) => {
        const sessionIds = unique(messages.map((message) => message.sessionId));
        await sql`select pg_advisory_lock(${SESSION_ORDER_LOCK}, h)
          from (select distinct hashtext(s) as h from unnest(${sessionIds}::text[]) as s order by 1) as locks`.execute(
          connection,
        );
        try {
          let outcomes: MessageWriteOutcome[];
          try {
            outcomes = await connection.transaction().execute((trx) => writeInTransaction(trx, messages));
          } catch (error) {
            reject(error);
            return;
          }
          let release!: () => void;
          const released = new Promise<void>((done) => (release = done));
          resolve({ outcomes, release: async () => release() });
          await released;
        } finally {
          // A failed unlock means the connection broke, which releases the locks too.
          await sql`select pg_advisory_unlock_all()`.execute(connection).catch(() => undefined);
        }
      })
      .catch(reject);
  });
}

async function writeInTransaction(trx: Db, messages: readonly NewMessage[]): Promise<MessageWriteOutcome[]> {
  const now = Date.now();
  const sessionIds = unique(messages.map((message) => message.sessionId));
  const known = new Set(
    (
      await sql<{
        id: string;
      }>`select id from sessions where id = any(${sessionIds}::text[]) order by id for update`.execute(trx)
    ).rows.map((row) => row.id),
  );

  const outcomes: Array<MessageWriteOutcome | undefined> = new Array(messages.length);
  const accepted: Array<{ index: number; message: NewMessage; adminId: number | null }> = [];
  for (const [index, message] of messages.entries()) {
    const admin = adminIdColumn(message);
    if (!('adminId' in admin)) {
      outcomes[index] = admin;
    } else if (!known.has(message.sessionId)) {
      outcomes[index] = { ok: false, reason: 'unknown_session', detail: message.sessionId };
    } else {
      accepted.push({ index, message, adminId: admin.adminId });
    }
  }
  if (accepted.length === 0) return outcomes as MessageWriteOutcome[];

  const latestReply = await latestBroadcasterIds(
    trx,
    accepted.map((item) => item.message),
  );
  const column = <T>(pick: (item: (typeof accepted)[number]) => T): T[] => accepted.map(pick);
  const inserted = await sql<InsertedRow>`
    insert into messages (session_id, direction, sender_key, sender_name, admin_id, client_message_id, text, created_at)
    select session_id, direction, sender_key, sender_name, admin_id, client_message_id, text, ${now}::bigint
    from unnest(
      ${column((item) => item.message.sessionId)}::text[],
      ${column((item) => item.message.direction)}::text[],
      ${column((item) => item.message.senderKey)}::text[],
      ${column((item) => item.message.from)}::text[],
      ${column((item) => item.adminId)}::bigint[],
      ${column((item) => item.message.clientMessageId ?? null)}::text[],
      ${column((item) => item.message.text)}::text[]
    ) with ordinality as m(session_id, direction, sender_key, sender_name, admin_id, client_message_id, text, ord)
    order by ord
    on conflict (sender_key, client_message_id) do nothing
    returning id, session_id, direction, sender_name, text, created_at, sender_key, client_message_id`.execute(trx);

  // Rows back to messages: by dedup key when there is one (the first message
  // with a key got the row, later ones are duplicates), else in id order,
  // which is batch order; every pairing is checked.
  const byKey = new Map<string, InsertedRow>();
  const withoutKey: InsertedRow[] = [];
  for (const row of [...inserted.rows].sort((a, b) => a.id - b.id)) {
    if (row.client_message_id === null) withoutKey.push(row);
    else byKey.set(dedupKey(row.sender_key, row.client_message_id), row);
  }
  const duplicates: Array<{ index: number; message: NewMessage }> = [];
  let nextWithoutKey = 0;
  for (const { index, message } of accepted) {
    let row: InsertedRow | undefined;
    if (message.clientMessageId === undefined) {
      row = withoutKey[nextWithoutKey++];
    } else {
      const key = dedupKey(message.senderKey, message.clientMessageId);
      row = byKey.get(key);
      byKey.delete(key);
    }
    if (row === undefined) {
      if (message.clientMessageId === undefined) throw new Error('batch insert returned fewer rows than it inserted');
      duplicates.push({ index, message });
      continue;
    }
    if (row.session_id !== message.sessionId || row.sender_key !== message.senderKey) {
      throw new Error('batch insert returned rows out of order');
    }
    let previousMessageId: string | undefined;
    if (message.direction === 'broadcaster') {
      previousMessageId = latestReply.get(message.sessionId) ?? '0';
      latestReply.set(message.sessionId, formatRowId(row.id));
    }
    outcomes[index] = { ok: true, row, duplicate: false, previousMessageId };
  }

  const touched = unique(inserted.rows.map((row) => row.session_id));
  if (touched.length > 0) {
    await sql`update sessions set last_message_at = ${now}::bigint where id = any(${touched}::text[])`.execute(trx);
  }
  if (duplicates.length > 0) {
    const firstCopies = await sql<InsertedRow>`
      select id, session_id, direction, sender_name, text, created_at, sender_key, client_message_id
      from messages
      where (sender_key, client_message_id) in (
        select * from unnest(
          ${duplicates.map((item) => item.message.senderKey)}::text[],
          ${duplicates.map((item) => item.message.clientMessageId!)}::text[]
        )
      )`.execute(trx);
    const first = new Map(firstCopies.rows.map((row) => [dedupKey(row.sender_key, row.client_message_id!), row]));
    for (const { index, message } of duplicates) {
      const row = first.get(dedupKey(message.senderKey, message.clientMessageId!));
      if (row === undefined) throw firstCopyGone(message);
      outcomes[index] = { ok: true, row, duplicate: true };
    }
  }
  return outcomes as MessageWriteOutcome[];
}

/** The newest broadcaster messageId of each session the batch replies into. */
async function latestBroadcasterIds(trx: Db, messages: readonly NewMessage[]): Promise<Map<string, string>> {
  const sessions = unique(messages.filter((m) => m.direction === 'broadcaster').map((m) => m.sessionId));
  if (sessions.length === 0) return new Map();
  const rows = await sql<{ session_id: string; id: number }>`
    select distinct on (session_id) session_id, id from messages
    where session_id = any(${sessions}::text[]) and direction = 'broadcaster'
    order by session_id, id desc`.execute(trx);
  return new Map(rows.rows.map((row) => [row.session_id, formatRowId(row.id)]));
}
