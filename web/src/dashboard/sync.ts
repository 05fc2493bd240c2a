/**
 * Keeps the dashboard's state up to date with the server: the broadcaster
 * connection and its events, the REST loads, and the timers (typing, resync).
 *
 * After every reconnect the dashboard asks the REST API for what it may have
 * missed, and while it stays connected it checks the session list now and then
 * (every 30 s and when the tab becomes visible) for messages stored but never
 * announced live: an instance that died between storing a message and
 * publishing it. What arrives goes through the model's pure functions; the
 * regions it changes are marked for the next render.
 */
import {
  LivechatHttpError,
  type BroadcasterClient,
  type BroadcasterOutgoing,
  type DeliveryUpdate,
  type Message,
  type SessionSummary,
} from '../../../src/client/index.js';
import { store } from '../shared/dom.js';
import {
  advanceMark,
  applyDelivery,
  applyLoad,
  applySummary,
  lastMessageId,
  loadAfter,
  MAX_LISTED_SESSIONS,
  mergeMessages,
  newConversation,
  newerThanMark,
  planSync,
  REFRESH_SESSIONS,
  settledReplies,
  widerSync,
  withReadMarker,
  type Conversation,
  type SyncMode,
} from './model.js';
import { READ_KEY, type Dashboard } from './state.js';

const FETCH_CONCURRENCY = 4;
const TYPING_VISIBLE_MS = 8_000;
/** Periodic resync: the least interval (an override is `?resyncMs=` or `data-resync-ms` on #app). */
export const RESYNC_MIN_MS = 1_000;
const RESYNC_DEFAULT_MS = 30_000;
const RESYNC_MAX_MS = 3_600_000;

/** The periodic resync interval from its raw setting: 30 s by default, kept between 1 s and 1 h. */
export function resyncInterval(raw: string | null | undefined): number {
  const value = raw ? Number(raw) : Number.NaN;
  if (!Number.isFinite(value)) return RESYNC_DEFAULT_MS;
  return Math.min(RESYNC_MAX_MS, Math.max(RESYNC_MIN_MS, Math.round(value)));
}

async function inBatches<T>(items: T[], limit: number, run: (item: T) => Promise<void>): Promise<void> {
  const queue = [...items];
  const workers = Array.from({ length: Math.min(limit, queue.length) }, async () => {
    for (let item = queue.shift(); item !== undefined; item = queue.shift()) await run(item);
  });
  await Promise.all(workers);
}

export interface SyncOptions {
  resyncMs: number;
  /** New listener messages arrived that the broadcaster is not looking at. */
  notify(count: number): void;
  /** A listener message arrived live (desktop notifications pick from these). */
  onListenerMessage?(m: Message): void;
  /** A session not seen before came online. */
  onNewListener?(sessionId: string): void;
  /** The own replies not stored yet changed (to keep them in storage). */
  onPendingChange?(): void;
}

export class Sync {
  client: BroadcasterClient | undefined;
  private syncing: Promise<void> | undefined;
  private syncPending: SyncMode | undefined;
  private resyncTimer: ReturnType<typeof setTimeout> | undefined;
  private refreshTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly typingTimers = new Map<string, ReturnType<typeof setTimeout>>();
  lastResyncStart = 0;
  private lastProbe = 0;
  /**
   * The newest `lastMessageAt` of the last session list (server clock): a
   * message that a resync finds and that is not newer than this was already
   * stored at the previous look, so it gets a badge but no sound.
   */
  private resyncMark: number | undefined;

  constructor(
    private readonly dash: Dashboard,
    private readonly options: SyncOptions,
  ) {}

  private get state() {
    return this.dash.state;
  }

  /** Takes a new version of a conversation; the list's order is worked out again when its time moved. */
  put(conv: Conversation): Conversation {
    const before = this.state.conversations.get(conv.sessionId);
    this.state.conversations.set(conv.sessionId, conv);
    if (!before || before.lastMessageAt !== conv.lastMessageAt) this.state.order = undefined;
    if (before?.ids !== conv.ids)
      for (const id of settledReplies(conv, this.state.pending.values())) this.state.pending.delete(id);
    this.dash.loop.invalidate('list', 'title');
    if (this.state.selected === conv.sessionId) this.dash.loop.invalidate('conversation');
    return conv;
  }

  conversationFor(sessionId: string, name?: string): Conversation {
    return this.state.conversations.get(sessionId) ?? this.put(newConversation(sessionId, name, Date.now()));
  }

  isViewing(sessionId: string): boolean {
    return this.state.selected === sessionId && document.visibilityState === 'visible';
  }

  markRead(conv: Conversation): Conversation {
    const last = lastMessageId(conv);
    if (last && this.state.readMarkers[conv.sessionId] !== last) {
      this.state.readMarkers = withReadMarker(this.state.readMarkers, conv.sessionId, last);
      store.set(READ_KEY, this.state.readMarkers);
    }
    return conv.unread === 0 ? conv : this.put({ ...conv, unread: 0 });
  }

  /** Loads (or tops up) one conversation from the REST API; undefined when that failed or was overtaken by a logout. */
  async loadConversation(
    sessionId: string,
    options: { initial: boolean },
  ): Promise<{ added: Message[]; unread: number } | undefined> {
    const c = this.client;
    const conv = this.state.conversations.get(sessionId);
    if (!c || !conv) return undefined;
    const wasLoaded = conv.loaded === 'yes';
    const resyncFrom = conv.resyncFrom;
    const after = loadAfter(conv);
    if (!wasLoaded) this.put({ ...conv, loaded: 'loading' });
    try {
      // Hidden messages too: held ones wait for review, hidden ones show collapsed.
      const messages = await c.getAllMessages(sessionId, after, { includeHidden: true });
      if (c !== this.client) return undefined;
      const current = this.state.conversations.get(sessionId)!;
      const marker = this.state.readMarkers[sessionId];
      const result = applyLoad(current, messages, { wasLoaded, resyncFrom, marker, initial: options.initial });
      const next = this.put(result.conv);
      // The broadcaster opened this conversation and waits for it: no network render gap.
      if (options.initial && this.state.selected === sessionId) this.dash.loop.renderNext('conversation');
      if (!this.isViewing(sessionId)) return { added: result.added, unread: result.fresh };
      this.markRead(next);
      return { added: result.added, unread: 0 };
    } catch {
      const current = this.state.conversations.get(sessionId);
      if (c === this.client && !wasLoaded && current) this.put({ ...current, loaded: 'error' });
      return undefined;
    }
  }

  /** Takes in a session list; returns whether anything shown in the list changed. */
  applySummaries(sessions: readonly SessionSummary[]): boolean {
    let changed = false;
    const now = Date.now();
    for (const s of sessions) {
      if (this.state.erased.has(s.sessionId)) continue;
      const result = applySummary(this.state.conversations.get(s.sessionId), s, now);
      if (result.changed) {
        this.put(result.conv);
        changed = true;
      }
    }
    return changed;
  }

  /**
   * Brings everything up to date from the REST API: the session list, and the
   * messages stored since what the dashboard knows (see `planSync`). One sync
   * at a time; a request meanwhile runs once after it, the widest one asked for.
   */
  sync(mode: SyncMode): Promise<void> {
    if (this.syncing) {
      this.syncPending = widerSync(this.syncPending, mode);
      return this.syncing;
    }
    this.syncing = this.runSync(mode).finally(() => {
      this.syncing = undefined;
      const next = this.syncPending;
      this.syncPending = undefined;
      if (next) void this.sync(next);
    });
    return this.syncing;
  }

  private async runSync(mode: SyncMode): Promise<void> {
    const c = this.client;
    if (!c) return;
    const initial = mode === 'initial';
    try {
      const before = new Map([...this.state.conversations.values()].map((v) => [v.sessionId, v.lastMessageAt]));
      this.lastResyncStart = Date.now();
      const sessions = await c.listSessions({ max: MAX_LISTED_SESSIONS });
      if (c !== this.client) return;
      const previousMark = this.resyncMark;
      const listed = new Map(sessions.map((s) => [s.sessionId, s.lastMessageAt]));
      if (this.applySummaries(sessions) || mode !== 'periodic') this.dash.loop.invalidate('list', 'conversation');
      const plan = planSync(mode, sessions, this.state.conversations, before, this.state.selected);
      for (const id of plan.skip) this.put({ ...this.state.conversations.get(id)!, checkedAt: listed.get(id) ?? null });
      let fresh = 0;
      await inBatches(plan.load, FETCH_CONCURRENCY, async (sessionId) => {
        const result = await this.loadConversation(sessionId, { initial });
        if (!result) return;
        const conv = this.state.conversations.get(sessionId);
        if (conv && listed.has(sessionId)) this.put({ ...conv, checkedAt: listed.get(sessionId) ?? null });
        if (mode !== 'periodic') fresh += result.unread;
        // Sound only for what was stored after the previous look; older finds just get their badge.
        else if (previousMark !== undefined)
          fresh += Math.min(result.unread, newerThanMark(result.added, previousMark));
      });
      this.resyncMark = advanceMark(this.resyncMark, sessions);
      if (!initial) this.options.notify(fresh);
    } catch {
      // The next periodic resync or reconnect tries again.
    }
  }

  /** Runs the periodic resync now (while connected; a reconnect resyncs anyway) and plans the next one. */
  resyncNow(): void {
    const c = this.client;
    if (!c) return;
    clearTimeout(this.resyncTimer);
    if (c.state !== 'open') {
      this.scheduleResync();
      return;
    }
    void this.sync('periodic').finally(() => {
      if (c === this.client) this.scheduleResync();
    });
  }

  scheduleResync(): void {
    clearTimeout(this.resyncTimer);
    this.resyncTimer = setTimeout(() => this.resyncNow(), this.options.resyncMs);
  }

  /** A session not in the list showed up: fetch the list (once things calm down) for its name and city. */
  scheduleSessionsRefresh(): void {
    clearTimeout(this.refreshTimer);
    this.refreshTimer = setTimeout(async () => {
      const c = this.client;
      if (!c) return;
      try {
        // Newest first by creation too: a session that has not written yet is near the top.
        const sessions = await c.listSessions({ includeEmpty: true, max: REFRESH_SESSIONS });
        if (c === this.client) this.applySummaries(sessions);
      } catch {
        // Shown on the next change.
      }
    }, 400);
  }

  onMessage(m: Message): void {
    if (this.state.erased.has(m.sessionId)) return;
    const known = this.state.conversations.has(m.sessionId);
    let conv = this.conversationFor(m.sessionId, m.direction === 'listener' ? m.from : undefined);
    if (!known) this.scheduleSessionsRefresh();
    if (m.direction === 'listener' && conv.name === '…') conv = { ...conv, name: m.from };
    const merged = mergeMessages(conv, [m]);
    if (merged.added.length === 0) return;
    conv = merged.conv;
    if (m.direction === 'listener') {
      this.options.onListenerMessage?.(m);
      conv = this.withTyping(conv, false);
      if (!this.isViewing(conv.sessionId)) {
        this.put({ ...conv, unread: conv.unread + 1 });
        this.options.notify(1);
        return;
      }
    }
    conv = this.put(conv);
    if (this.isViewing(conv.sessionId)) this.markRead(conv);
  }

  onPresence(sessionId: string, online: boolean): void {
    // The erased session's connections closing: no conversation to bring back.
    if (this.state.erased.has(sessionId)) return;
    const known = this.state.conversations.has(sessionId);
    const conv = this.conversationFor(sessionId);
    const next = online ? conv : this.withTyping(conv, false);
    if (next.online !== online || next !== conv) this.put({ ...next, online });
    if (!known) this.scheduleSessionsRefresh();
    if (!known && online) this.options.onNewListener?.(sessionId);
  }

  setTyping(sessionId: string, typing: boolean): void {
    if (this.state.erased.has(sessionId)) return;
    const conv = this.conversationFor(sessionId);
    this.put(this.withTyping(conv, typing));
  }

  /** The conversation with its typing flag set; the flag clears itself after a while. */
  private withTyping(conv: Conversation, typing: boolean): Conversation {
    const id = conv.sessionId;
    clearTimeout(this.typingTimers.get(id));
    this.typingTimers.delete(id);
    if (typing)
      this.typingTimers.set(
        id,
        setTimeout(() => {
          this.typingTimers.delete(id);
          const current = this.state.conversations.get(id);
          if (current?.typing) this.put({ ...current, typing: false });
        }, TYPING_VISIBLE_MS),
      );
    return conv.typing === typing ? conv : { ...conv, typing };
  }

  onDelivery(update: DeliveryUpdate<BroadcasterOutgoing>): void {
    const reply = applyDelivery(this.state.pending.get(update.clientMessageId), update);
    this.state.pending.set(reply.clientMessageId, reply);
    // A sent reply stays visible until its `message:new` (or a resync) brings
    // the stored, cleaned text under its messageId.
    if (this.state.selected === reply.sessionId) this.dash.loop.invalidate('conversation');
    this.options.onPendingChange?.();
  }

  /** `error:session_ended`: the session a reply went to has ended; remember where the listener went on. */
  onSessionEnded(sessionId: string, newSessionId: string | undefined): void {
    this.state.endedSessions.set(sessionId, newSessionId ?? null);
    if (newSessionId && !this.state.conversations.has(newSessionId)) {
      this.conversationFor(newSessionId);
      this.scheduleSessionsRefresh();
    }
    if (this.state.selected === sessionId) this.dash.loop.renderNext('conversation');
  }

  /**
   * Browsers hide the HTTP status of a refused WebSocket upgrade, so a token the
   * server no longer accepts (e.g. its secret changed) looks like a network
   * problem. While reconnecting, ask the REST API now and then: a 401 means
   * "log in again" (`onRefused`), anything else means "keep trying".
   */
  probeToken(onRefused: () => void): void {
    const c = this.client;
    if (!c || Date.now() - this.lastProbe < 30_000) return;
    this.lastProbe = Date.now();
    c.listSessions({ max: 1 }).catch((e: unknown) => {
      if (c === this.client && e instanceof LivechatHttpError && (e.status === 401 || e.status === 403)) onRefused();
    });
  }

  /** Before going offline: remember, per loaded conversation, from where a reconnect must look again. */
  markResyncPoints(): void {
    for (const conv of this.state.conversations.values()) {
      if (conv.loaded === 'yes' && conv.resyncFrom === undefined)
        this.state.conversations.set(conv.sessionId, { ...conv, resyncFrom: lastMessageId(conv) ?? '' });
    }
  }

  /** Forgets the connection, the timers and every conversation (logout). */
  stop(): void {
    const c = this.client;
    this.client = undefined;
    c?.close();
    clearTimeout(this.resyncTimer);
    clearTimeout(this.refreshTimer);
    for (const timer of this.typingTimers.values()) clearTimeout(timer);
    this.typingTimers.clear();
    this.resyncMark = undefined;
  }
}
