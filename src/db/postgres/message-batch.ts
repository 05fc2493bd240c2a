/**
 * PostgreSQL: one batch of messages in three round trips whatever its size:
 * take the sessions' order locks, write the batch in one statement, and (after
 * the acks and publications) drop the locks. A batch with duplicates takes one
 * more, to read their first copies.
 *
 * Order across instances: first the connection takes the session-level
 * advisory lock of every session in the batch (in one global order, so two
 * instances never wait for each other in a circle), and keeps them until every
 * message of the batch was acknowledged and published (`release`). The next
 * write into one of these sessions, on any instance, waits for that: one
 * session's messages are stored, and published, in order. The lock is taken in
 * its own statement so that the write's snapshot, taken after it, sees every
 * message the previous holder committed.
 *
 * The write is a single statement, so it commits or fails as a whole without
 * BEGIN and COMMIT round trips. In it:
 * 1. the sessions' rows are locked (`FOR UPDATE`: not deleted meanwhile) and
 *    read: messages into a session that does not exist are refused;
 * 2. replies: each session's newest broadcaster message (one index entry
 *    read per session), to chain `previousMessageId`;
 * 3. one INSERT of the batch's messages into known sessions, in batch order,
 *    doing nothing on a (sender_key, client_message_id) conflict (a
 *    conflicting insert still uncommitted elsewhere makes PostgreSQL wait for
 *    its outcome);
 * 4. lastMessageAt of the sessions that got a new message.
 * Duplicates' first copies are read after the commit; if that read fails,
 * only the duplicates fail (their first copies stay stored, the clients'
 * resends are acked with them).
 */
import { sql, type Kysely, type QueryResult, type RawBuilder } from 'kysely';
import { formatRowId } from '../ids.js';
import { nameStatement } from './dialect.js';
import { adminIdColumn, firstCopyGone, type MessageWriteOutcome } from '../message-write.js';
import type { DatabaseSchema, MessageRow } from '../schema.js';
import type { NewMessage } from '../types.js';

/** First key of the advisory locks that order one session's writes and publications. */
const SESSION_ORDER_LOCK = 0x4c43;

type Db = Kysely<DatabaseSchema>;
/** What the insert hands back of a row: enough to pair it with its message (the rest is the message as given). */
interface InsertedRow {
  id: number;
  session_id: string;
  sender_key: string;
  client_message_id: string | null;
  hidden_reason: string | null;
}
/** A duplicate's first copy, as stored. */
type FirstCopyRow = MessageRow & { sender_key: string; client_message_id: string | null };

const unique = <T>(values: Iterable<T>): T[] => [...new Set(values)];
const dedupKey = (senderKey: string, clientMessageId: string): string => JSON.stringify([senderKey, clientMessageId]);

/**
 * Writes the batch and resolves once it is committed; `release` (called after
 * the batch's acks and publications) drops the session locks and gives the
 * connection back. Rejects, with nothing stored, when the write statement
 * fails; also (stored, but unanswerable) when the rows it returns cannot be
 * paired with the messages, which only a bug would cause.
 */
export function writePostgresBatch(
  db: Db,
  messages: readonly NewMessage[],
): Promise<{ outcomes: MessageWriteOutcome[]; release: () => Promise<void> }> {
  return new Promise((resolve, reject) => {
    db.connection()
      .execute(async (connection) => {
        const sessionIds = unique(messages.map((message) => message.sessionId));
        await executeNamed(
          connection,
          'livechat_lock_sessions',
          sql`select pg_advisory_lock(${SESSION_ORDER_LOCK}, h)
            from (select distinct hashtext(s) as h from unnest(${sessionIds}::text[]) as s order by 1) as locks`,
        );
        try {
          let outcomes: MessageWriteOutcome[];
          try {
            outcomes = await writeBatch(connection, messages);
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
          await executeNamed(connection, 'livechat_unlock_sessions', sql`select pg_advisory_unlock_all()`).catch(
            () => undefined,
          );
        }
      })
      .catch(reject);
  });
}

/** Runs a statement of this module as a named prepared statement (its text is the same on every call). */
function executeNamed<Row>(db: Db, name: string, query: RawBuilder<Row>): Promise<QueryResult<Row>> {
  const compiled = query.compile(db);
  nameStatement(name, compiled.sql);
  return db.executeQuery(compiled);
}

/** What the batch statement answers: one row of JSON arrays. */
interface BatchStatementRow {
  known: string[];
  latest: Array<[sessionId: string, id: number]>;
  inserted: InsertedRow[];
}

async function writeBatch(db: Db, messages: readonly NewMessage[]): Promise<MessageWriteOutcome[]> {
  const now = Date.now();
  const outcomes: Array<MessageWriteOutcome | undefined> = new Array(messages.length);
  const candidates: Array<{ index: number; message: NewMessage; adminId: number | null }> = [];
  for (const [index, message] of messages.entries()) {
    const admin = adminIdColumn(message);
    if ('adminId' in admin) candidates.push({ index, message, adminId: admin.adminId });
    else outcomes[index] = admin;
  }
  if (candidates.length === 0) return outcomes as MessageWriteOutcome[];

  const column = <T>(pick: (item: (typeof candidates)[number]) => T): T[] => candidates.map(pick);
  const replySessions = unique(
    candidates.filter((item) => item.message.direction === 'broadcaster').map((item) => item.message.sessionId),
  );
  const result = await executeNamed(
    db,
    'livechat_write_batch',
    sql<BatchStatementRow>`
    with known as (
      select id from sessions where id = any(${unique(column((item) => item.message.sessionId))}::text[])
      order by id for update
    ),
    latest as (
      select r.session_id, (
        select m.id from messages as m
        where m.session_id = r.session_id and m.direction = 'broadcaster'
        order by m.id desc limit 1
      ) as id
      from unnest(${replySessions}::text[]) as r(session_id)
    ),
    inserted as (
      insert into messages (session_id, direction, sender_key, sender_name, admin_id, client_message_id, text, created_at, hidden_reason)
      select session_id, direction, sender_key, sender_name, admin_id, client_message_id, text, ${now}::bigint, hidden_reason
      from unnest(
        ${column((item) => item.message.sessionId)}::text[],
        ${column((item) => item.message.direction)}::text[],
        ${column((item) => item.message.senderKey)}::text[],
        ${column((item) => item.message.from)}::text[],
        ${column((item) => item.adminId)}::bigint[],
        ${column((item) => item.message.clientMessageId ?? null)}::text[],
        ${column((item) => item.message.text)}::text[],
        ${column((item) => item.message.hiddenReason ?? null)}::text[]
      ) with ordinality as m(session_id, direction, sender_key, sender_name, admin_id, client_message_id, text, hidden_reason, ord)
      where session_id in (select id from known)
      order by ord
      on conflict (sender_key, client_message_id) do nothing
      returning id, session_id, sender_key, client_message_id, hidden_reason
    ),
    touched as (
      update sessions set last_message_at = ${now}::bigint
      where id in (select session_id from inserted where hidden_reason is null or hidden_reason = 'filter')
    )
    select
      (select coalesce(json_agg(id), '[]') from known) as known,
      (select coalesce(json_agg(json_build_array(session_id, id)), '[]') from latest where id is not null) as latest,
      (select coalesce(json_agg(inserted), '[]') from inserted) as inserted`,
  );
  const { known, latest, inserted } = result.rows[0]!;
  const knownSessions = new Set(known);
  const latestReply = new Map(latest.map(([sessionId, id]) => [sessionId, formatRowId(id)]));

  // Rows back to messages: by dedup key when there is one (the first message
  // with a key got the row, later ones are duplicates), else in id order,
  // which is batch order; every pairing is checked.
  const byKey = new Map<string, InsertedRow>();
  const withoutKey: InsertedRow[] = [];
  for (const row of [...inserted].sort((a, b) => a.id - b.id)) {
    if (row.client_message_id === null) withoutKey.push(row);
    else byKey.set(dedupKey(row.sender_key, row.client_message_id), row);
  }
  const duplicates: Array<{ index: number; message: NewMessage }> = [];
  let nextWithoutKey = 0;
  for (const { index, message } of candidates) {
    if (!knownSessions.has(message.sessionId)) {
      outcomes[index] = { ok: false, reason: 'unknown_session', detail: message.sessionId };
      continue;
    }
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
    outcomes[index] = { ok: true, duplicate: false, id: row.id, createdAt: now, previousMessageId };
  }
  if (duplicates.length > 0) await readFirstCopies(db, duplicates, outcomes);
  return outcomes as MessageWriteOutcome[];
}

/**
 * The outcomes of duplicates: their first copies, stored before or earlier in
 * this batch. The batch is committed already, so a failed read fails the
 * duplicates alone.
 */
async function readFirstCopies(
  db: Db,
  duplicates: ReadonlyArray<{ index: number; message: NewMessage }>,
  outcomes: Array<MessageWriteOutcome | undefined>,
): Promise<void> {
  let first: Map<string, FirstCopyRow>;
  try {
    const firstCopies = await sql<FirstCopyRow>`
      select id, session_id, direction, sender_name, text, created_at, hidden_reason, sender_key, client_message_id
      from messages
      where (sender_key, client_message_id) in (
        select * from unnest(
          ${duplicates.map((item) => item.message.senderKey)}::text[],
          ${duplicates.map((item) => item.message.clientMessageId!)}::text[]
        )
      )`.execute(db);
    first = new Map(firstCopies.rows.map((row) => [dedupKey(row.sender_key, row.client_message_id!), row]));
  } catch (error) {
    for (const { index } of duplicates) {
      outcomes[index] = {
        ok: false,
        reason: 'rejected',
        detail: `reading a duplicate's first copy failed: ${String(error)}`,
      };
    }
    return;
  }
  for (const { index, message } of duplicates) {
    const row = first.get(dedupKey(message.senderKey, message.clientMessageId!));
    outcomes[index] =
      row === undefined
        ? { ok: false, reason: 'rejected', detail: firstCopyGone(message).message }
        : { ok: true, row, duplicate: true };
  }
}
