/**
 * The dashboard's model: pure functions over plain data (state in, state out),
 * no DOM, no timers, no network. The sync module feeds them what arrives; the
 * views show what they return. Unit-tested in test/unit/dashboard-model.test.ts.
 */
import type { BroadcasterOutgoing, DeliveryUpdate, Message, SessionSummary } from '../../../src/client/index.js';

export interface Conversation {
  readonly sessionId: string;
  readonly name: string;
  readonly city: string;
  readonly online: boolean;
  readonly lastMessageAt: string | null;
  /** Known messages, in stored order (complete when `loaded === 'yes'`). */
  readonly messages: readonly Message[];
  readonly ids: ReadonlySet<string>;
  readonly loaded: 'no' | 'loading' | 'yes' | 'error';
  /**
   * The last messageId known when the connection was lost: everything up to
   * it is known, anything after it may have been missed. Messages that arrive
   * live after the reconnect must not move it, or a gap would go unnoticed.
   */
  readonly resyncFrom?: string;
  /**
   * The session list's `lastMessageAt` up to which this conversation was last
   * checked (fetched, or deliberately left unloaded): the periodic resync
   * fetches a session only when its `lastMessageAt` moved on from here.
   */
  readonly checkedAt?: string | null;
  readonly unread: number;
  readonly typing: boolean;
  /** Local time first seen, for ordering sessions without messages. */
  readonly seenAt: number;
  /** A mute or ban on the session (see moderation-model.ts). */
  readonly block?: SessionBlock;
}

export interface SessionBlock {
  readonly mode: 'mute' | 'ban';
  /** ISO-8601; null: no end. */
  readonly until: string | null;
  readonly by?: string;
}

export interface PendingReply {
  clientMessageId: string;
  sessionId: string;
  text: string;
  status: 'sending' | 'sent' | 'failed';
  reason?: string;
  messageId?: string;
}

/** `initial`: after login; `reconnect`: after every later connection:success; `periodic`: while connected. */
export type SyncMode = 'initial' | 'reconnect' | 'periodic';

/** Sessions whose history is loaded up front (for last message and unread count). */
export const PRELOAD_SESSIONS = 30;
/** The most sessions a sync lists (page after page), most recent activity first. */
export const MAX_LISTED_SESSIONS = 2000;
/** A session not yet listed showed up: how many of the newest sessions (empty ones too) to list for its name. */
export const REFRESH_SESSIONS = 100;
/** Read markers kept (the most recent sessions). */
export const MAX_READ_MARKERS = 500;

/** Stored order of two messageIds (the protocol's ids are decimal numbers as strings). */
export function compareIds(a: string, b: string): number {
  if (a.length !== b.length) return a.length - b.length;
  return a < b ? -1 : a > b ? 1 : 0;
}

export function newConversation(sessionId: string, name: string | undefined, now: number): Conversation {
  return {
    sessionId,
    name: name ?? '…',
    city: '',
    online: false,
    lastMessageAt: null,
    messages: [],
    ids: new Set(),
    loaded: 'no',
    unread: 0,
    typing: false,
    seenAt: now,
  };
}

export function lastMessageId(conv: Conversation): string | undefined {
  return conv.messages[conv.messages.length - 1]?.messageId;
}

/** Adds the messages not known yet, in stored order; `added` lists them (the same conversation when none). */
export function mergeMessages(
  conv: Conversation,
  messages: readonly Message[],
): { conv: Conversation; added: Message[] } {
  const fresh = new Set<string>();
  const added: Message[] = [];
  for (const m of messages) {
    if (conv.ids.has(m.messageId) || fresh.has(m.messageId)) continue;
    fresh.add(m.messageId);
    added.push(m);
  }
  if (added.length === 0) return { conv, added };
  const ids = new Set([...conv.ids, ...fresh]);
  const newest = conv.messages[conv.messages.length - 1];
  const inOrder =
    (!newest || compareIds(newest.messageId, added[0]!.messageId) < 0) &&
    added.every((m, i) => i === 0 || compareIds(added[i - 1]!.messageId, m.messageId) < 0);
  const all = [...conv.messages, ...added];
  if (!inOrder) all.sort((a, b) => compareIds(a.messageId, b.messageId));
  const last = all[all.length - 1]!;
  const lastMessageAt =
    !conv.lastMessageAt || Date.parse(last.createdAt) >= Date.parse(conv.lastMessageAt)
      ? last.createdAt
      : conv.lastMessageAt;
  return { conv: { ...conv, messages: all, ids, lastMessageAt }, added };
}

/** A listener message waiting for an answer; a muted listener's (stored hidden) never rings nor counts. */
export function countsAsUnread(m: Message): boolean {
  return m.direction === 'listener' && m.reason !== 'mute';
}

/** Unread after a full load: listener messages after both the read marker and the last reply. */
export function computeUnread(messages: readonly Message[], marker: string | undefined): number {
  let unread = 0;
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i]!;
    if (m.direction === 'broadcaster') break;
    if (marker && compareIds(m.messageId, marker) <= 0) break;
    if (countsAsUnread(m)) unread++;
  }
  return unread;
}

export function totalUnread(conversations: Iterable<Conversation>): number {
  let n = 0;
  for (const conv of conversations) n += conv.unread;
  return n;
}

/** The read markers with `sessionId` read up to `messageId`, keeping only the newest `max` sessions. */
export function withReadMarker(
  markers: Readonly<Record<string, string>>,
  sessionId: string,
  messageId: string,
  max = MAX_READ_MARKERS,
): Record<string, string> {
  const next: Record<string, string> = { ...markers };
  delete next[sessionId];
  next[sessionId] = messageId;
  const keys = Object.keys(next);
  for (const key of keys.slice(0, Math.max(0, keys.length - max))) delete next[key];
  return next;
}

/** One session-list entry taken in; `changed` says whether anything the list shows changed. */
export function applySummary(
  conv: Conversation | undefined,
  s: SessionSummary,
  now: number,
): { conv: Conversation; changed: boolean } {
  const base = conv ?? newConversation(s.sessionId, s.name, now);
  const newer =
    s.lastMessageAt !== null && (!base.lastMessageAt || Date.parse(s.lastMessageAt) > Date.parse(base.lastMessageAt));
  const block = listedBlock(base.block, s.blocked);
  const changed =
    !conv || base.name !== s.name || base.city !== s.city || base.online !== s.online || newer || block !== base.block;
  if (!changed) return { conv: base, changed };
  const { block: _old, ...rest } = base;
  return {
    conv: {
      ...rest,
      name: s.name,
      city: s.city,
      online: s.online,
      lastMessageAt: newer ? s.lastMessageAt : base.lastMessageAt,
      ...(block ? { block } : {}),
    },
    changed,
  };
}

/** The block a session listing reports, keeping the one held (with its `by`) when it is the same. */
function listedBlock(
  held: SessionBlock | undefined,
  listed: { mode: 'mute' | 'ban'; until: string | null } | undefined,
): SessionBlock | undefined {
  if (!listed) return undefined;
  const same =
    held &&
    held.mode === listed.mode &&
    (held.until === null
      ? listed.until === null
      : listed.until !== null && Date.parse(held.until) === Date.parse(listed.until));
  return same ? held : { mode: listed.mode, until: listed.until };
}

/**
 * Whether the session list says a session may hold messages this dashboard has
 * not got: its `lastMessageAt` moved on since the last check and is not the
 * time of the newest message held. Compared for difference, not only for
 * "later": the clocks of several instances may disagree a little, so a message
 * stored after the newest one held may carry an earlier time.
 */
export function isBehind(conv: Conversation, s: SessionSummary): boolean {
  if (s.lastMessageAt === null || s.lastMessageAt === conv.checkedAt || conv.loaded === 'loading') return false;
  const newest = conv.messages[conv.messages.length - 1];
  return !newest || Date.parse(newest.createdAt) !== Date.parse(s.lastMessageAt);
}

export interface SyncPlan {
  /** Sessions to fetch (or top up), in list order. */
  load: string[];
  /** Sessions left unloaded on purpose: their `checkedAt` becomes the listed `lastMessageAt`. */
  skip: string[];
}

/**
 * What a sync fetches. Periodic: only sessions that are behind. Otherwise:
 * loaded conversations are topped up (GET …?after=<last id>); others are
 * loaded when near the top of the list or when they changed since `before`
 * (the `lastMessageAt` held when the sync started); the open one always.
 */
export function planSync(
  mode: SyncMode,
  sessions: readonly SessionSummary[],
  conversations: ReadonlyMap<string, Conversation>,
  before: ReadonlyMap<string, string | null>,
  selected: string | undefined,
): SyncPlan {
  const plan: SyncPlan = { load: [], skip: [] };
  sessions.forEach((s, rank) => {
    const conv = conversations.get(s.sessionId);
    if (!conv) return;
    if (mode === 'periodic') {
      if (isBehind(conv, s)) plan.load.push(conv.sessionId);
      return;
    }
    if (s.lastMessageAt === null && conv.messages.length === 0) return;
    const changed = mode !== 'initial' && before.get(s.sessionId) !== s.lastMessageAt;
    if (conv.loaded === 'yes' || rank < PRELOAD_SESSIONS || changed) plan.load.push(conv.sessionId);
    else plan.skip.push(conv.sessionId);
  });
  if (mode !== 'periodic' && selected && conversations.has(selected) && !plan.load.includes(selected))
    plan.load.push(selected);
  return plan;
}

/** The sync to run after the current one: the widest asked for. */
export function widerSync(current: SyncMode | undefined, asked: SyncMode): SyncMode {
  const width = { periodic: 0, reconnect: 1, initial: 2 } as const;
  return current === undefined || width[asked] > width[current] ? asked : current;
}

/** Where a load of the conversation starts: after the resync point, or after the newest held; all when not loaded. */
export function loadAfter(conv: Conversation): string | undefined {
  if (conv.loaded !== 'yes') return undefined;
  return conv.resyncFrom !== undefined ? conv.resyncFrom || undefined : lastMessageId(conv);
}

/**
 * A load's result taken in: the messages merged, the unread count brought up
 * to date. `fresh` is how many count as new unread listener messages.
 * `viewing` is true while the conversation is being looked at (then nothing is unread).
 */
export function applyLoad(
  conv: Conversation,
  messages: readonly Message[],
  options: { wasLoaded: boolean; resyncFrom: string | undefined; marker: string | undefined; initial: boolean },
): { conv: Conversation; added: Message[]; fresh: number } {
  const merged = mergeMessages(conv, messages);
  let next: Conversation = { ...merged.conv, loaded: 'yes' };
  if (next.resyncFrom === options.resyncFrom) {
    const { resyncFrom: _dropped, ...rest } = next;
    next = rest;
  }
  let fresh: number;
  if (!options.wasLoaded) {
    // Whole history now known: unread from the read marker (what arrived live stays counted).
    const unread = Math.max(next.unread, computeUnread(next.messages, options.marker));
    fresh = options.initial ? 0 : unread - next.unread;
    next = { ...next, unread };
  } else {
    fresh = merged.added.filter(countsAsUnread).length;
    next = { ...next, unread: next.unread + fresh };
  }
  return { conv: next, added: merged.added, fresh };
}

/** Listener messages a periodic resync found that were stored after the previous look (`mark`): only these ring. */
export function newerThanMark(added: readonly Message[], mark: number): number {
  return added.filter((m) => countsAsUnread(m) && Date.parse(m.createdAt) > mark).length;
}

/** The newest `lastMessageAt` of a session list, as a number, or `mark` when none is newer. */
export function advanceMark(mark: number | undefined, sessions: readonly SessionSummary[]): number {
  let next = mark;
  for (const s of sessions) {
    if (s.lastMessageAt !== null && (next === undefined || Date.parse(s.lastMessageAt) > next))
      next = Date.parse(s.lastMessageAt);
  }
  return next ?? 0;
}

/**
 * Session ids newest first: sessions with messages by their last message, then
 * those without messages by when first seen, so that empty sessions never push
 * a conversation down.
 */
export function orderSessions(conversations: Iterable<Conversation>): string[] {
  const keyed: { id: string; talked: number; key: number }[] = [];
  for (const conv of conversations) {
    const last = conv.lastMessageAt ? Date.parse(conv.lastMessageAt) : Number.NaN;
    keyed.push({
      id: conv.sessionId,
      talked: Number.isNaN(last) ? 0 : 1,
      key: Number.isNaN(last) ? conv.seenAt : last,
    });
  }
  keyed.sort((a, b) => b.talked - a.talked || b.key - a.key);
  return keyed.map((k) => k.id);
}

/** What the list shows under a session's name: typing, the last message, or a state word. */
export type Preview =
  | { kind: 'typing' }
  | { kind: 'message'; prefix: 'none' | 'you' | 'colleague'; from: string; text: string }
  | { kind: 'hidden'; held: boolean }
  | { kind: 'loading' }
  | { kind: 'blank' }
  | { kind: 'none' };

export function sessionPreview(conv: Conversation, me: string | undefined): Preview {
  if (conv.typing) return { kind: 'typing' };
  const last = conv.messages[conv.messages.length - 1];
  if (last && (last as { hidden?: boolean }).hidden)
    return { kind: 'hidden', held: (last as { reason?: string }).reason === 'filter' };
  if (last) {
    const prefix = last.direction === 'listener' ? 'none' : last.from === me ? 'you' : 'colleague';
    return { kind: 'message', prefix, from: last.from, text: last.text };
  }
  if (conv.loaded === 'loading') return { kind: 'loading' };
  return conv.lastMessageAt ? { kind: 'blank' } : { kind: 'none' };
}

/** The rows of a windowed list to render: the visible ones plus `overscan` on each side. */
export function visibleRange(
  scrollTop: number,
  viewportHeight: number,
  rowHeight: number,
  count: number,
  overscan = 4,
): { start: number; end: number } {
  if (count === 0 || rowHeight <= 0) return { start: 0, end: 0 };
  const first = Math.floor(Math.max(0, scrollTop) / rowHeight);
  const last = Math.ceil((Math.max(0, scrollTop) + Math.max(0, viewportHeight)) / rowHeight);
  return { start: Math.max(0, Math.min(count, first - overscan)), end: Math.min(count, last + overscan) };
}

/** The row a navigation key moves to from `index` (undefined: not a navigation key). */
export function nextRowIndex(key: string, index: number, count: number, pageSize: number): number | undefined {
  if (count === 0) return undefined;
  const to =
    key === 'ArrowDown'
      ? index + 1
      : key === 'ArrowUp'
        ? index - 1
        : key === 'Home'
          ? 0
          : key === 'End'
            ? count - 1
            : key === 'PageDown'
              ? index + pageSize
              : key === 'PageUp'
                ? index - pageSize
                : undefined;
  return to === undefined ? undefined : Math.max(0, Math.min(count - 1, to));
}

/** One row of the conversation: a stored message, or an own reply not stored yet. */
export type ConversationRow = { key: string; message: Message } | { key: string; reply: PendingReply };

/** The conversation's rows: stored messages, then own replies whose stored message has not arrived. */
export function conversationRows(conv: Conversation, pending: Iterable<PendingReply>): ConversationRow[] {
  const rows: ConversationRow[] = conv.messages.map((message) => ({ key: `m:${message.messageId}`, message }));
  for (const reply of pending) {
    if (reply.sessionId !== conv.sessionId || (reply.messageId && conv.ids.has(reply.messageId))) continue;
    rows.push({ key: `p:${reply.clientMessageId}`, reply });
  }
  return rows;
}

/** Own replies whose stored message the conversation now holds: they are shown as that message. */
export function settledReplies(conv: Conversation, pending: Iterable<PendingReply>): string[] {
  const settled: string[] = [];
  for (const reply of pending)
    if (reply.sessionId === conv.sessionId && reply.messageId && conv.ids.has(reply.messageId))
      settled.push(reply.clientMessageId);
  return settled;
}

/** An own reply after a delivery update (a new one when the update is the first heard of it). */
export function applyDelivery(
  reply: PendingReply | undefined,
  update: DeliveryUpdate<BroadcasterOutgoing>,
): PendingReply {
  const next: PendingReply = reply
    ? { ...reply, status: update.status }
    : {
        clientMessageId: update.clientMessageId,
        sessionId: update.payload.sessionId,
        text: update.payload.text,
        status: update.status,
      };
  if (update.reason) next.reason = update.reason;
  if (update.messageId) next.messageId = update.messageId;
  // The ack's text is what the server stored and the listener sees (markup removed).
  if (update.text !== undefined) next.text = update.text;
  return next;
}

/** What the dashboard can say about a listener's presence: nothing certain while it is disconnected itself. */
export type Presence = 'online' | 'offline' | 'unknown';

export function presenceOf(conv: Conversation, connected: boolean): Presence {
  if (!connected) return 'unknown';
  return conv.online ? 'online' : 'offline';
}

/** A reply kept in the browser until the server stored it (the outbox as saved). */
export interface SavedReply {
  clientMessageId: string;
  sessionId: string;
  text: string;
  status: 'sending' | 'failed';
  reason?: string;
}

/** The own replies worth keeping across a reload: every one not stored yet. */
export function repliesToKeep(pending: Iterable<PendingReply>): SavedReply[] {
  const kept: SavedReply[] = [];
  for (const reply of pending) {
    if (reply.status === 'sent') continue;
    const saved: SavedReply = {
      clientMessageId: reply.clientMessageId,
      sessionId: reply.sessionId,
      text: reply.text,
      status: reply.status,
    };
    if (reply.reason) saved.reason = reply.reason;
    kept.push(saved);
  }
  return kept;
}

/** Saved replies read back, dropping whatever is not one (storage is user-editable). */
export function validSavedReplies(raw: unknown): SavedReply[] {
  if (!Array.isArray(raw)) return [];
  return raw.filter(
    (r): r is SavedReply =>
      typeof r === 'object' &&
      r !== null &&
      typeof (r as SavedReply).clientMessageId === 'string' &&
      typeof (r as SavedReply).sessionId === 'string' &&
      typeof (r as SavedReply).text === 'string' &&
      ((r as SavedReply).status === 'sending' || (r as SavedReply).status === 'failed'),
  );
}

/** When to warn that the login ends (ms from `now`): five minutes before, at once when closer. */
export const LOGIN_WARNING_MS = 5 * 60_000;

export function loginWarningDelay(expiresAt: string, now: number, warnMs = LOGIN_WARNING_MS): number | undefined {
  const end = Date.parse(expiresAt);
  if (Number.isNaN(end)) return undefined;
  return Math.max(0, end - warnMs - now);
}
