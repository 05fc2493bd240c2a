/**
 * The widget's transcript as kept in localStorage: pure functions over it
 * (state in, state out), no DOM. Unit-tested in test/unit/widget-transcript.test.ts.
 */
import type { DeliveryUpdate, ListenerOutgoing, Message, PendingMessage } from '../../../src/client/index.js';

export interface OutItem {
  kind: 'out';
  clientMessageId: string;
  text: string;
  status: 'sending' | 'sent' | 'failed';
  reason?: string;
  messageId?: string;
  at: string;
}
export interface InItem {
  kind: 'in';
  messageId: string;
  from: string;
  text: string;
  at: string;
}
export interface NoteItem {
  kind: 'note';
  id: string;
  note: 'newSession';
  at: string;
}
export type Item = OutItem | InItem | NoteItem;

export interface Saved {
  sessionId: string;
  sessionToken: string;
  expiresAt: string;
  name: string;
  city: string;
  lastMessageId?: string;
  items: Item[];
}

export const MAX_KEPT_ITEMS = 300;

export function keyOf(item: Item): string {
  return item.kind === 'out'
    ? `out:${item.clientMessageId}`
    : item.kind === 'in'
      ? `in:${item.messageId}`
      : `note:${item.id}`;
}

/** The items to keep: unacknowledged messages whatever their age; of the rest, the newest up to `max` in all. */
export function trimItems(items: readonly Item[], max = MAX_KEPT_ITEMS): Item[] {
  const excess = items.length - max;
  if (excess <= 0) return [...items];
  let dropped = 0;
  return items.filter((item) => {
    if (dropped >= excess || (item.kind === 'out' && item.status !== 'sent')) return true;
    dropped++;
    return false;
  });
}

/** A saved transcript read back from storage, or undefined when it is not one. */
export function validSaved(value: Saved | undefined): Saved | undefined {
  if (!value || typeof value.sessionToken !== 'string' || !Array.isArray(value.items)) return undefined;
  return value;
}

/** The own messages the client must still deliver (after a reload). */
export function pendingOf(items: readonly Item[]): PendingMessage<ListenerOutgoing>[] {
  return items
    .filter((i): i is OutItem => i.kind === 'out' && i.status !== 'sent')
    .map((i) => ({
      clientMessageId: i.clientMessageId,
      payload: { text: i.text },
      status: i.status === 'failed' ? 'failed' : 'sending',
    }));
}

export function receivedIds(items: readonly Item[]): string[] {
  return items.filter((i): i is InItem => i.kind === 'in').map((i) => i.messageId);
}

export function receivedItem(m: Pick<Message, 'messageId' | 'from' | 'text' | 'createdAt'>): InItem {
  return { kind: 'in', messageId: m.messageId, from: m.from, text: m.text, at: m.createdAt };
}

/** The items after a delivery update of an own message (added the first time it is heard of). */
export function applyDelivery(items: readonly Item[], update: DeliveryUpdate<ListenerOutgoing>, now: string): Item[] {
  const index = items.findIndex((i) => i.kind === 'out' && i.clientMessageId === update.clientMessageId);
  const before: OutItem =
    index >= 0
      ? (items[index] as OutItem)
      : {
          kind: 'out',
          clientMessageId: update.clientMessageId,
          text: update.payload.text,
          status: update.status,
          at: now,
        };
  const { reason: _reason, ...rest } = before;
  const item: OutItem = { ...rest, status: update.status };
  if (update.reason) item.reason = update.reason;
  if (update.messageId) item.messageId = update.messageId;
  if (update.createdAt) item.at = update.createdAt;
  // The ack's text is what the server stored and everyone else sees (markup removed).
  if (update.text !== undefined) item.text = update.text;
  return index >= 0 ? items.map((i, n) => (n === index ? item : i)) : [...items, item];
}

/** Whether an own message is still waiting for the server. */
export function hasWaiting(items: readonly Item[]): boolean {
  return items.some((i) => i.kind === 'out' && i.status === 'sending');
}

/** A message of this session stored by another of its tabs (`message:sent`, or the history): shown as sent. */
export function sentItem(m: Pick<Message, 'messageId' | 'text' | 'createdAt'>): OutItem {
  return {
    kind: 'out',
    clientMessageId: `m:${m.messageId}`,
    text: m.text,
    status: 'sent',
    messageId: m.messageId,
    at: m.createdAt,
  };
}

/**
 * The items with the session's stored history merged in: messages not shown
 * yet are added (the listener's own as sent, the broadcaster's as received),
 * then everything is in time order; messages still waiting stay last.
 */
export function mergeHistory(items: readonly Item[], history: readonly Message[]): Item[] {
  const known = new Set<string>();
  for (const item of items) if (item.kind !== 'note' && item.messageId) known.add(item.messageId);
  const added: Item[] = history
    .filter((m) => !known.has(m.messageId))
    .map((m) => (m.direction === 'broadcaster' ? receivedItem(m) : sentItem(m)));
  if (added.length === 0) return [...items];
  const waiting = (i: Item) => i.kind === 'out' && i.status !== 'sent';
  const settled = [...items.filter((i) => !waiting(i)), ...added].sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
  return [...settled, ...items.filter(waiting)];
}
