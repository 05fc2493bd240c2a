/**
 * The end-of-run comparison of the fault checker: what the clients were told
 * (acks, deliveries) against what the database holds.
 *
 * - every acknowledged message is stored exactly once, under the messageId
 *   its ack named;
 * - nothing is stored that no client sent, and nothing a client sent is
 *   missing once its outbox drained;
 * - per session, the listener's messages are stored in the order it sent them;
 * - every broadcaster reply reached each listener of its session exactly once,
 *   live or by replay.
 */
import pg from 'pg';
import type { ChaosBroadcaster, ChaosClient, ChaosListener } from './chaos.js';

export interface Row {
  id: string;
  sessionId: string;
  direction: 'listener' | 'broadcaster';
  senderKey: string;
  clientMessageId: string | null;
  text: string;
}

export interface CheckResult {
  sent: number;
  attempts: number;
  acknowledged: number;
  duplicateAcks: number;
  unavailable: number;
  stored: number;
  duplicated: number;
  lost: number;
  /** Sent, never acknowledged although the outbox drained (should be 0). */
  unacknowledged: number;
  /** Rows nobody sent. */
  phantom: number;
  /** Sessions whose listener messages are stored out of send order. */
  outOfOrder: number;
  replies: {
    stored: number;
    expected: number;
    received: number;
    live: number;
    replayed: number;
    duplicated: number;
    lost: number;
  };
  violations: string[];
}

export async function readRows(databaseUrl: string): Promise<Row[]> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const result = await client.query<{
      id: string;
      session_id: string;
      direction: 'listener' | 'broadcaster';
      sender_key: string;
      client_message_id: string | null;
      text: string;
    }>(
      'select id::text as id, session_id, direction, sender_key, client_message_id, text from messages order by messages.id',
    );
    return result.rows.map((r) => ({
      id: r.id,
      sessionId: r.session_id,
      direction: r.direction,
      senderKey: r.sender_key,
      clientMessageId: r.client_message_id,
      text: r.text,
    }));
  } finally {
    await client.end();
  }
}

export interface Sent {
  client: ChaosClient;
  senderKey: string;
  /** clientMessageId → text, in send order. */
  messages: [string, string][];
}

export function check(
  sent: Sent[],
  listeners: ChaosListener[],
  broadcasters: ChaosBroadcaster[],
  rows: Row[],
): CheckResult {
  const violations: string[] = [];
  const byKey = new Map<string, Row[]>();
  for (const row of rows) {
    const key = `${row.senderKey}\u0000${row.clientMessageId ?? ''}`;
    byKey.set(key, [...(byKey.get(key) ?? []), row]);
  }
  const byText = new Map<string, number>();
  for (const row of rows) byText.set(row.text, (byText.get(row.text) ?? 0) + 1);

  const result: CheckResult = {
    sent: 0,
    attempts: 0,
    acknowledged: 0,
    duplicateAcks: 0,
    unavailable: 0,
    stored: 0,
    duplicated: 0,
    lost: 0,
    unacknowledged: 0,
    phantom: 0,
    outOfOrder: 0,
    replies: { stored: 0, expected: 0, received: 0, live: 0, replayed: 0, duplicated: 0, lost: 0 },
    violations,
  };
  const ours = new Set<string>();
  for (const { client, senderKey, messages } of sent) {
    result.attempts += client.stats.attempts;
    result.duplicateAcks += client.stats.duplicateAcks;
    result.unavailable += client.stats.unavailable;
    violations.push(...client.violations.map((v) => `${v.client}: ${v.what}`));
    for (const [clientMessageId, text] of messages) {
      result.sent += 1;
      const matches = byKey.get(`${senderKey}\u0000${clientMessageId}`) ?? [];
      const acked = client.acks.get(clientMessageId);
      if (acked !== undefined) result.acknowledged += 1;
      else result.unacknowledged += 1;
      if (matches.length === 0) {
        if (acked !== undefined) {
          result.lost += 1;
          violations.push(`${client.name}: ${clientMessageId} acknowledged as ${acked} but not stored`);
        }
        continue;
      }
      result.stored += 1;
      for (const row of matches) ours.add(row.id);
      if (matches.length > 1 || (byText.get(text) ?? 0) > 1) {
        result.duplicated += Math.max(matches.length, byText.get(text) ?? 0) - 1;
        violations.push(
          `${client.name}: ${clientMessageId} stored ${Math.max(matches.length, byText.get(text) ?? 0)} times`,
        );
      }
      if (acked !== undefined && matches[0]!.id !== acked) {
        violations.push(`${client.name}: ${clientMessageId} acknowledged as ${acked}, stored as ${matches[0]!.id}`);
      }
      if (matches[0]!.text !== text) violations.push(`${client.name}: ${clientMessageId} stored with another text`);
    }
  }
  for (const row of rows) {
    if (!ours.has(row.id)) {
      result.phantom += 1;
      violations.push(`row ${row.id} (${row.senderKey}/${row.clientMessageId}) was sent by nobody`);
    }
  }

  // Per-session order: the listener's rows, by messageId, are its messages in send order.
  for (const listener of listeners) {
    const mine = sent.find((s) => s.client === listener)!;
    const order = rows
      .filter((r) => r.sessionId === listener.sessionId && r.direction === 'listener')
      .map((r) => r.clientMessageId);
    const expected = mine.messages.map(([id]) => id).filter((id) => order.includes(id));
    if (JSON.stringify(order) !== JSON.stringify(expected)) {
      result.outOfOrder += 1;
      violations.push(`${listener.name}: stored order ${order.join(',')} differs from send order`);
    }
  }

  // Replies: every stored broadcaster row of a session reached that session's listener exactly once.
  const broadcasterKeys = new Set(
    sent.filter((s) => broadcasters.includes(s.client as ChaosBroadcaster)).map((s) => s.senderKey),
  );
  for (const listener of listeners) {
    const replies = rows.filter((r) => r.sessionId === listener.sessionId && r.direction === 'broadcaster');
    result.replies.stored += replies.filter((r) => broadcasterKeys.has(r.senderKey)).length;
    result.replies.expected += replies.length;
    result.replies.live += listener.live;
    result.replies.replayed += listener.replayed;
    for (const reply of replies) {
      const count = listener.received.get(reply.id) ?? 0;
      if (count === 0) {
        result.replies.lost += 1;
        violations.push(`${listener.name}: reply ${reply.id} never arrived`);
      } else {
        result.replies.received += 1;
        if (count > 1) {
          result.replies.duplicated += count - 1;
          violations.push(`${listener.name}: reply ${reply.id} arrived ${count} times`);
        }
      }
    }
    for (const messageId of listener.received.keys()) {
      if (!replies.some((r) => r.id === messageId))
        violations.push(`${listener.name}: received ${messageId}, not a reply of its session`);
    }
  }
  return result;
}

/** One line of figures for the test output. */
export function summary(result: CheckResult): Record<string, number> {
  return {
    sent: result.sent,
    attempts: result.attempts,
    acknowledged: result.acknowledged,
    duplicateAcks: result.duplicateAcks,
    unavailable: result.unavailable,
    stored: result.stored,
    duplicated: result.duplicated,
    lost: result.lost,
    phantom: result.phantom,
    outOfOrder: result.outOfOrder,
    repliesStored: result.replies.stored,
    repliesReceived: result.replies.received,
    repliesLive: result.replies.live,
    repliesReplayed: result.replies.replayed,
    repliesDuplicated: result.replies.duplicated,
    repliesLost: result.replies.lost,
  };
}
