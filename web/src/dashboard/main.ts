/**
 * The broadcasters' dashboard (served at `/dashboard/`).
 *
 * Login, then a live list of listener sessions (online dot, unread count,
 * last message, newest first) and a conversation view with the history from
 * the REST API, a reply box and typing indicators. New listener messages ring
 * a (mutable) sound and show up in the title. After every reconnect the
 * dashboard asks the REST API for what it may have missed, and while it stays
 * connected it checks the session list now and then (every 30 s and when the
 * tab becomes visible) for messages stored but never announced live: an
 * instance that died between storing a message and publishing it.
 */
import {
  connectBroadcaster,
  LivechatHttpError,
  loginBroadcaster,
  MAX_TEXT_LENGTH,
  type BroadcasterClient,
  type BroadcasterOutgoing,
  type DeliveryUpdate,
  type Message,
  type SessionSummary,
} from '../../../src/client/index.js';
import { wireComposer } from '../shared/composer.js';
import { deliveryRow, showDelivery } from '../shared/delivery.js';
import { clear, el, isAtBottom, scrollToBottom, setText, store, syncList } from '../shared/dom.js';
import { formatTime, initialLang, strings, type Lang, type Strings } from '../shared/i18n.js';
import { brand, langToggle } from '../shared/page.js';
import { StatusBar } from '../shared/status-bar.js';
import { Chime } from './sound.js';

const AUTH_KEY = 'suara-pendengar.dashboard.auth';
const READ_KEY = 'suara-pendengar.dashboard.read';
const MUTE_KEY = 'suara-pendengar.dashboard.muted';
/** Sessions whose history is loaded up front (for last message and unread count). */
const PRELOAD_SESSIONS = 30;
const FETCH_CONCURRENCY = 4;
const TYPING_VISIBLE_MS = 8_000;
/** Periodic resync: default interval, and the bounds of an override (`?resyncMs=` or `data-resync-ms` on #app). */
const RESYNC_DEFAULT_MS = 30_000;
const RESYNC_MIN_MS = 1_000;
const RESYNC_MAX_MS = 3_600_000;

interface Auth {
  token: string;
  name: string;
  expiresAt: string;
}

interface Conversation {
  sessionId: string;
  name: string;
  city: string;
  online: boolean;
  lastMessageAt: string | null;
  /** Known messages, in stored order (complete when `loaded === 'yes'`). */
  messages: Message[];
  ids: Set<string>;
  loaded: 'no' | 'loading' | 'yes' | 'error';
  /**
   * The last messageId known when the connection was lost: everything up to
   * it is known, anything after it may have been missed. Messages that arrive
   * live after the reconnect must not move it, or a gap would go unnoticed.
   */
  resyncFrom?: string;
  /**
   * The session list's `lastMessageAt` up to which this conversation was last
   * checked (fetched, or deliberately left unloaded): the periodic resync
   * fetches a session only when its `lastMessageAt` moved on from here.
   */
  checkedAt?: string | null;
  unread: number;
  typing: boolean;
  typingTimer?: ReturnType<typeof setTimeout>;
  /** Local time first seen, for ordering sessions without messages. */
  seenAt: number;
}

interface PendingReply {
  clientMessageId: string;
  sessionId: string;
  text: string;
  status: 'sending' | 'sent' | 'failed';
  reason?: string;
  messageId?: string;
}

// ---------------------------------------------------------------------------
// State
// ---------------------------------------------------------------------------

let lang: Lang = initialLang();
let t: Strings = strings(lang);
let auth: Auth | undefined;
let client: BroadcasterClient | undefined;
let connectedOnce = false;
let selected: string | undefined;
let loginMessage = '';
let muted = store.get<boolean>(MUTE_KEY) === true;
const conversations = new Map<string, Conversation>();
const pending = new Map<string, PendingReply>();
const drafts = new Map<string, string>();
const readMarkers: Record<string, string> = store.get<Record<string, string>>(READ_KEY) ?? {};
const chime = new Chime();
let refreshTimer: ReturnType<typeof setTimeout> | undefined;
/** `initial`: after login; `reconnect`: after every later connection:success; `periodic`: while connected. */
type SyncMode = 'initial' | 'reconnect' | 'periodic';
let syncing: Promise<void> | undefined;
let syncPending: SyncMode | undefined;
let resyncTimer: ReturnType<typeof setTimeout> | undefined;
let lastResyncStart = 0;
/**
 * The newest `lastMessageAt` of the last session list (server clock): a
 * message that a resync finds and that is not newer than this was already
 * stored at the previous look, so it gets a badge but no sound.
 */
let resyncMark: number | undefined;

const root = document.getElementById('app')!;

/** The periodic resync interval, read once: `?resyncMs=`, else `data-resync-ms` on #app, else 30 s; at least 1 s. */
function readResyncInterval(): number {
  const raw = new URLSearchParams(location.search).get('resyncMs') ?? root.dataset['resyncMs'];
  const value = raw ? Number(raw) : Number.NaN;
  if (!Number.isFinite(value)) return RESYNC_DEFAULT_MS;
  return Math.min(RESYNC_MAX_MS, Math.max(RESYNC_MIN_MS, Math.round(value)));
}
const RESYNC_MS = readResyncInterval();

// Persistent elements of the main view.
const statusBar = new StatusBar({ onRetryNow: () => client?.reconnectNow(), onTick: () => renderStatus() });
const sessionList = el('ul', { className: 'session-list' });
const conversationPane = el('section', { className: 'conversation-pane' });
const messageList = el('ol', { className: 'messages', attrs: { 'aria-live': 'polite' } });
const typingLine = el('p', { className: 'typing' });
const replyInput = el('textarea', {
  className: 'reply__input composer__input',
  attrs: { rows: '2', maxlength: String(MAX_TEXT_LENGTH) },
});
const replyButton = el('button', { className: 'primary reply__send', attrs: { type: 'submit' } });
const replyForm = el('form', { className: 'reply composer' }, replyInput, replyButton);
const messageNodes = new Map<string, HTMLLIElement>();
let shownSession: string | undefined;
const dashMain = el('main', { className: 'dash-main' });

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

/** Stored order of two messageIds (the protocol's ids are decimal numbers as strings). */
function compareIds(a: string, b: string): number {
  if (a.length !== b.length) return a.length - b.length;
  return a < b ? -1 : a > b ? 1 : 0;
}

function conversationFor(sessionId: string, name?: string): Conversation {
  let conv = conversations.get(sessionId);
  if (!conv) {
    conv = {
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
      seenAt: Date.now(),
    };
    conversations.set(sessionId, conv);
  }
  return conv;
}

/** Adds messages not known yet; returns the added ones. */
function merge(conv: Conversation, messages: readonly Message[]): Message[] {
  const added: Message[] = [];
  for (const m of messages) {
    if (conv.ids.has(m.messageId)) continue;
    conv.ids.add(m.messageId);
    conv.messages.push(m);
    added.push(m);
  }
  if (added.length) {
    conv.messages.sort((a, b) => compareIds(a.messageId, b.messageId));
    const last = conv.messages[conv.messages.length - 1]!;
    if (!conv.lastMessageAt || Date.parse(last.createdAt) >= Date.parse(conv.lastMessageAt))
      conv.lastMessageAt = last.createdAt;
  }
  return added;
}

function lastMessageId(conv: Conversation): string | undefined {
  return conv.messages[conv.messages.length - 1]?.messageId;
}

function isViewing(sessionId: string): boolean {
  return selected === sessionId && document.visibilityState === 'visible';
}

function markRead(conv: Conversation): void {
  conv.unread = 0;
  const last = lastMessageId(conv);
  if (last) {
    readMarkers[conv.sessionId] = last;
    const keys = Object.keys(readMarkers);
    // Keep the markers of the most recent few hundred sessions only.
    if (keys.length > 500) for (const key of keys.slice(0, keys.length - 500)) delete readMarkers[key];
    store.set(READ_KEY, readMarkers);
  }
}

/** Unread after a full load: listener messages after both the read marker and the last reply. */
function computeUnread(conv: Conversation): number {
  const marker = readMarkers[conv.sessionId];
  let unread = 0;
  for (let i = conv.messages.length - 1; i >= 0; i--) {
    const m = conv.messages[i]!;
    if (m.direction === 'broadcaster') break;
    if (marker && compareIds(m.messageId, marker) <= 0) break;
    unread++;
  }
  return unread;
}

function totalUnread(): number {
  let n = 0;
  for (const conv of conversations.values()) n += conv.unread;
  return n;
}

function updateTitle(): void {
  const n = totalUnread();
  const base = `${t.dashboardTitle} — ${t.station}`;
  document.title = n > 0 ? `(${n}) ${base}` : base;
}

function notify(count: number): void {
  if (count <= 0) return;
  updateTitle();
  if (muted) return;
  chime.play();
  // Observable hook (used by the browser tests): a sound notification happened.
  window.dispatchEvent(new CustomEvent('livechat:notify', { detail: { count } }));
}

async function inBatches<T>(items: T[], limit: number, run: (item: T) => Promise<void>): Promise<void> {
  const queue = [...items];
  const workers = Array.from({ length: Math.min(limit, queue.length) }, async () => {
    for (let item = queue.shift(); item !== undefined; item = queue.shift()) await run(item);
  });
  await Promise.all(workers);
}

// ---------------------------------------------------------------------------
// Data flow
// ---------------------------------------------------------------------------

/** Takes in a session list; returns whether anything shown in the list changed. */
function applySummaries(sessions: SessionSummary[]): boolean {
  let changed = false;
  for (const s of sessions) {
    if (!conversations.has(s.sessionId)) changed = true;
    const conv = conversationFor(s.sessionId, s.name);
    if (conv.name !== s.name || conv.city !== s.city || conv.online !== s.online) changed = true;
    conv.name = s.name;
    conv.city = s.city;
    conv.online = s.online;
    if (s.lastMessageAt && (!conv.lastMessageAt || Date.parse(s.lastMessageAt) > Date.parse(conv.lastMessageAt))) {
      conv.lastMessageAt = s.lastMessageAt;
      changed = true;
    }
  }
  return changed;
}

/**
 * Whether the session list says a session may hold messages this dashboard has
 * not got: its `lastMessageAt` moved on since the last check and is not the
 * time of the newest message held. Compared for difference, not only for
 * "later": the clocks of several instances may disagree a little, so a message
 * stored after the newest one held may carry an earlier time.
 */
function isBehind(conv: Conversation, s: SessionSummary): boolean {
  if (s.lastMessageAt === null || s.lastMessageAt === conv.checkedAt || conv.loaded === 'loading') return false;
  const newest = conv.messages[conv.messages.length - 1];
  return !newest || Date.parse(newest.createdAt) !== Date.parse(s.lastMessageAt);
}

interface LoadResult {
  /** Messages not known before, in stored order. */
  added: Message[];
  /** How many of them count as new unread listener messages (0 while the conversation is being viewed). */
  unread: number;
}

/** Loads (or tops up) one conversation from the REST API; undefined when that failed or was overtaken by a logout. */
async function loadConversation(conv: Conversation, options: { initial: boolean }): Promise<LoadResult | undefined> {
  const c = client;
  if (!c) return undefined;
  const wasLoaded = conv.loaded === 'yes';
  const resyncFrom = conv.resyncFrom;
  const after = wasLoaded ? (resyncFrom !== undefined ? resyncFrom || undefined : lastMessageId(conv)) : undefined;
  if (!wasLoaded) {
    conv.loaded = 'loading';
    if (selected === conv.sessionId) renderConversation();
  }
  try {
    const messages = await c.getAllMessages(conv.sessionId, after);
    if (c !== client) return undefined;
    const added = merge(conv, messages);
    conv.loaded = 'yes';
    if (conv.resyncFrom === resyncFrom) delete conv.resyncFrom;
    let fresh: number;
    if (!wasLoaded) {
      // Whole history now known: unread from the read marker (what arrived live stays counted).
      const before = conv.unread;
      conv.unread = Math.max(conv.unread, computeUnread(conv));
      fresh = options.initial ? 0 : conv.unread - before;
    } else {
      fresh = added.filter((m) => m.direction === 'listener').length;
      conv.unread += fresh;
    }
    if (isViewing(conv.sessionId)) markRead(conv);
    return { added, unread: isViewing(conv.sessionId) ? 0 : fresh };
  } catch {
    if (c === client && !wasLoaded) conv.loaded = 'error';
    return undefined;
  } finally {
    if (c === client) {
      renderSessions();
      // A top-up only adds rows: the keyed list update keeps the scroll position and the reply box's focus.
      if (selected === conv.sessionId) {
        if (wasLoaded) renderMessages();
        else renderConversation();
      }
    }
  }
}

/**
 * Brings everything up to date from the REST API: the session list, and the
 * messages stored since what the dashboard knows. Runs after login and after
 * every reconnect (topping up every loaded conversation, so nothing sent while
 * the connection was down is missed), and periodically while connected
 * (fetching only sessions whose `lastMessageAt` says they are behind: a
 * message stored by an instance that died before publishing it). One sync at
 * a time; a request meanwhile runs once after it, the widest one asked for.
 */
function sync(mode: SyncMode): Promise<void> {
  if (syncing) {
    const width = { periodic: 0, reconnect: 1, initial: 2 } as const;
    if (syncPending === undefined || width[mode] > width[syncPending]) syncPending = mode;
    return syncing;
  }
  const initial = mode === 'initial';
  syncing = (async () => {
    const c = client;
    if (!c) return;
    try {
      const before = new Map([...conversations.values()].map((conv) => [conv.sessionId, conv.lastMessageAt]));
      lastResyncStart = Date.now();
      const sessions = await c.listSessions();
      if (c !== client) return;
      const previousMark = resyncMark;
      const listed = new Map(sessions.map((s) => [s.sessionId, s.lastMessageAt]));
      if (applySummaries(sessions) || mode !== 'periodic') {
        renderSessions();
        if (selected) renderConversationHeader();
      }
      const targets: Conversation[] = [];
      sessions.forEach((s, rank) => {
        const conv = conversations.get(s.sessionId)!;
        if (mode === 'periodic') {
          if (isBehind(conv, s)) targets.push(conv);
          return;
        }
        if (s.lastMessageAt === null && conv.messages.length === 0) return;
        // Loaded conversations are topped up after every reconnect (GET …?after=<last id>);
        // others are loaded when near the top of the list or when they changed meanwhile.
        const changed = !initial && before.get(s.sessionId) !== s.lastMessageAt;
        if (conv.loaded === 'yes' || rank < PRELOAD_SESSIONS || changed) targets.push(conv);
        // Left unloaded on purpose: the periodic resync looks again only when this moves on.
        else conv.checkedAt = s.lastMessageAt;
      });
      if (mode !== 'periodic' && selected && !targets.some((x) => x.sessionId === selected)) {
        const conv = conversations.get(selected);
        if (conv) targets.push(conv);
      }
      let fresh = 0;
      await inBatches(targets, FETCH_CONCURRENCY, async (conv) => {
        const result = await loadConversation(conv, { initial });
        if (!result) return;
        if (listed.has(conv.sessionId)) conv.checkedAt = listed.get(conv.sessionId);
        if (mode !== 'periodic') {
          fresh += result.unread;
        } else if (previousMark !== undefined) {
          // Sound only for what was stored after the previous look; older finds just get their badge.
          const newer = result.added.filter(
            (m) => m.direction === 'listener' && Date.parse(m.createdAt) > previousMark,
          ).length;
          fresh += Math.min(result.unread, newer);
        }
      });
      for (const at of listed.values()) {
        if (at !== null && (resyncMark === undefined || Date.parse(at) > resyncMark)) resyncMark = Date.parse(at);
      }
      if (resyncMark === undefined) resyncMark = 0;
      updateTitle();
      if (!initial) notify(fresh);
    } catch {
      // The next periodic resync or reconnect tries again.
    }
  })().finally(() => {
    syncing = undefined;
    const next = syncPending;
    syncPending = undefined;
    if (next) void sync(next);
  });
  return syncing;
}

/** Runs the periodic resync now (while connected; a reconnect resyncs anyway) and plans the next one. */
function resyncNow(): void {
  const c = client;
  if (!c) return;
  clearTimeout(resyncTimer);
  if (c.state !== 'open') {
    scheduleResync();
    return;
  }
  void sync('periodic').finally(() => {
    if (c === client) scheduleResync();
  });
}

function scheduleResync(): void {
  clearTimeout(resyncTimer);
  resyncTimer = setTimeout(resyncNow, RESYNC_MS);
}

function scheduleSessionsRefresh(): void {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(async () => {
    const c = client;
    if (!c) return;
    try {
      const sessions = await c.listSessions();
      if (c !== client) return;
      applySummaries(sessions);
      renderSessions();
      if (selected) renderConversationHeader();
    } catch {
      // Shown on the next change.
    }
  }, 400);
}

function onMessage(m: Message): void {
  const known = conversations.has(m.sessionId);
  const conv = conversationFor(m.sessionId, m.direction === 'listener' ? m.from : undefined);
  if (!known) scheduleSessionsRefresh();
  if (m.direction === 'listener' && conv.name === '…') conv.name = m.from;
  const added = merge(conv, [m]);
  if (added.length === 0) return;
  if (m.direction === 'listener') {
    setTyping(conv, false);
    if (isViewing(conv.sessionId)) markRead(conv);
    else {
      conv.unread += 1;
      notify(1);
    }
  } else if (isViewing(conv.sessionId)) {
    markRead(conv);
  }
  renderSessions();
  if (selected === conv.sessionId) renderMessages();
  updateTitle();
}

function onDelivery(update: DeliveryUpdate<BroadcasterOutgoing>): void {
  let reply = pending.get(update.clientMessageId);
  if (!reply) {
    reply = {
      clientMessageId: update.clientMessageId,
      sessionId: update.payload.sessionId,
      text: update.payload.text,
      status: update.status,
    };
    pending.set(reply.clientMessageId, reply);
  }
  reply.status = update.status;
  if (update.reason) reply.reason = update.reason;
  if (update.messageId) reply.messageId = update.messageId;
  // A sent reply stays visible until its `message:new` (or a resync) brings
  // the stored, cleaned text under its messageId.
  if (selected === reply.sessionId) renderMessages();
}

function setTyping(conv: Conversation, typing: boolean): void {
  clearTimeout(conv.typingTimer);
  conv.typing = typing;
  if (typing) {
    conv.typingTimer = setTimeout(() => {
      conv.typing = false;
      renderSessions();
      if (selected === conv.sessionId) renderTyping();
    }, TYPING_VISIBLE_MS);
  }
  renderSessions();
  if (selected === conv.sessionId) renderTyping();
}

// ---------------------------------------------------------------------------
// Session lifecycle
// ---------------------------------------------------------------------------

function start(a: Auth): void {
  auth = a;
  connectedOnce = false;
  const c = connectBroadcaster({
    baseUrl: location.origin,
    token: a.token,
    expiresAt: a.expiresAt,
    autoConnect: false,
    // An expired admin token needs the password again: back to the login form.
    refreshToken: async () => null,
  });
  client = c;
  c.on('state', (change) => {
    if (c !== client) return;
    if (change.previous === 'open' && change.state !== 'open') {
      for (const conv of conversations.values()) {
        if (conv.loaded === 'yes' && conv.resyncFrom === undefined) conv.resyncFrom = lastMessageId(conv) ?? '';
      }
    }
    statusBar.update(change);
    renderStatus();
    if (change.state === 'expired' || (change.state === 'closed' && change.reason === 'forbidden')) {
      logout(t.loginExpired);
    } else if (change.state === 'reconnecting' && change.retryInMs !== undefined) {
      probeToken(c);
    }
  });
  c.on('connection:success', (info) => {
    if (c !== client) return;
    if (auth) {
      auth.name = info.name;
      renderHeaderName();
    }
    void sync(connectedOnce ? 'reconnect' : 'initial');
    connectedOnce = true;
    // That sync is a full look: the next periodic one is an interval away.
    scheduleResync();
  });
  c.on('message:new', (m) => c === client && onMessage(m));
  c.on('presence:update', (p) => {
    if (c !== client) return;
    const known = conversations.has(p.sessionId);
    const conv = conversationFor(p.sessionId);
    conv.online = p.online;
    if (!p.online) setTyping(conv, false);
    if (!known) scheduleSessionsRefresh();
    renderSessions();
    if (selected === p.sessionId) renderConversationHeader();
  });
  c.on('user:typing', (e) => {
    if (c !== client) return;
    setTyping(conversationFor(e.sessionId), e.isTyping);
  });
  c.on('delivery', (update) => c === client && onDelivery(update));
  renderMain();
  c.connect();
}

let lastProbe = 0;

/**
 * Browsers hide the HTTP status of a refused WebSocket upgrade, so a token the
 * server no longer accepts (e.g. its secret changed) looks like a network
 * problem. While reconnecting, ask the REST API now and then: a 401 means
 * "log in again", anything else means "keep trying".
 */
function probeToken(c: BroadcasterClient): void {
  if (Date.now() - lastProbe < 30_000) return;
  lastProbe = Date.now();
  c.listSessions().catch((e: unknown) => {
    if (c === client && e instanceof LivechatHttpError && (e.status === 401 || e.status === 403))
      logout(t.loginExpired);
  });
}

function logout(message = ''): void {
  const c = client;
  client = undefined;
  c?.close();
  clearTimeout(resyncTimer);
  resyncMark = undefined;
  auth = undefined;
  store.remove(AUTH_KEY);
  conversations.clear();
  pending.clear();
  drafts.clear();
  selected = undefined;
  shownSession = undefined;
  statusBar.reset();
  loginMessage = message;
  renderLogin();
}

// ---------------------------------------------------------------------------
// Rendering
// ---------------------------------------------------------------------------

function langButton(onChange: () => void): HTMLButtonElement {
  return langToggle(lang, t, (next) => {
    lang = next;
    t = strings(lang);
    onChange();
  });
}

function renderLogin(): void {
  document.documentElement.lang = lang;
  updateTitle();
  clear(root);
  const username = el('input', { attrs: { id: 'username', name: 'username', autocomplete: 'username', required: '' } });
  const password = el('input', {
    attrs: { id: 'password', name: 'password', type: 'password', autocomplete: 'current-password', required: '' },
  });
  const error = el('p', { className: 'form-error', text: loginMessage, attrs: { role: 'alert' } });
  error.hidden = !loginMessage;
  const submit = el('button', { className: 'primary', text: t.login, attrs: { type: 'submit' } });
  const form = el(
    'form',
    { className: 'login stack-form' },
    brand(t, t.dashboardTitle),
    el('label', { attrs: { for: 'username' }, text: t.username }),
    username,
    el('label', { attrs: { for: 'password' }, text: t.password }),
    password,
    error,
    submit,
    langButton(renderLogin),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    chime.unlock();
    submit.disabled = true;
    setText(submit, t.loggingIn);
    loginBroadcaster({ baseUrl: location.origin, username: username.value.trim(), password: password.value })
      .then((credentials) => {
        const a = { token: credentials.token, name: credentials.name, expiresAt: credentials.expiresAt };
        store.set(AUTH_KEY, a);
        loginMessage = '';
        start(a);
      })
      .catch((e: unknown) => {
        loginMessage =
          e instanceof LivechatHttpError && e.status === 401
            ? t.invalidCredentials
            : e instanceof LivechatHttpError && e.status === 429
              ? t.rateLimited
              : t.loginFailed;
        setText(error, loginMessage);
        error.hidden = false;
        submit.disabled = false;
        setText(submit, t.login);
        password.select();
      });
  });
  root.append(el('div', { className: 'login-wrap' }, form));
  queueMicrotask(() => username.focus());
}

const headerName = el('span', { className: 'who' });

function renderHeaderName(): void {
  setText(headerName, auth ? t.loggedInAs(auth.name) : '');
}

function renderMain(): void {
  document.documentElement.lang = lang;
  updateTitle();
  clear(root);
  messageNodes.clear();
  clear(messageList);
  shownSession = undefined;
  const sound = el('button', { className: 'link-button sound-toggle', attrs: { type: 'button' } });
  const renderSound = () => {
    setText(sound, muted ? t.soundOff : t.soundOn);
    sound.setAttribute('aria-pressed', String(!muted));
  };
  renderSound();
  sound.addEventListener('click', () => {
    muted = !muted;
    store.set(MUTE_KEY, muted);
    chime.unlock();
    renderSound();
  });
  const logoutButton = el('button', { className: 'link-button logout', text: t.logout, attrs: { type: 'button' } });
  logoutButton.addEventListener('click', () => logout());
  renderHeaderName();
  const header = el(
    'header',
    { className: 'dash-header' },
    brand(t, t.dashboardTitle),
    el('div', { className: 'dash-actions' }, headerName, sound, langButton(renderMain), logoutButton),
  );
  clear(dashMain);
  dashMain.append(
    el('aside', { className: 'session-pane' }, el('h2', { text: t.sessions }), sessionList),
    conversationPane,
  );
  root.append(header, statusBar.element, dashMain);
  replyInput.placeholder = t.replyPlaceholder;
  replyInput.setAttribute('aria-label', t.replyPlaceholder);
  setText(replyButton, t.reply);
  renderStatus();
  renderSessions();
  renderConversation();
}

function renderStatus(): void {
  statusBar.render(t);
}

function sortedConversations(): Conversation[] {
  const key = (c: Conversation) => (c.lastMessageAt ? Date.parse(c.lastMessageAt) : 0) || c.seenAt;
  return [...conversations.values()].sort((a, b) => key(b) - key(a));
}

function renderSessions(): void {
  updateTitle();
  clear(sessionList);
  const all = sortedConversations();
  if (all.length === 0) {
    sessionList.append(el('li', { className: 'empty', text: t.noSessions }));
    return;
  }
  for (const conv of all) {
    const last = conv.messages[conv.messages.length - 1];
    const preview = conv.typing
      ? t.typing(conv.name)
      : last
        ? (last.direction === 'listener' ? '' : last.from === auth?.name ? t.youPrefix : `${last.from}: `) + last.text
        : conv.loaded === 'loading'
          ? t.loading
          : conv.lastMessageAt
            ? ''
            : t.noMessagesYet;
    const button = el(
      'button',
      {
        className: 'session',
        attrs: { type: 'button', 'aria-current': String(conv.sessionId === selected) },
        dataset: { sessionId: conv.sessionId, online: String(conv.online) },
      },
      el('span', {
        className: `dot ${conv.online ? 'dot--online' : ''}`,
        attrs: { title: conv.online ? t.online : t.offline, 'aria-label': conv.online ? t.online : t.offline },
      }),
      el(
        'span',
        { className: 'session__body' },
        el(
          'span',
          { className: 'session__top' },
          el('span', { className: 'session__name', text: conv.name }),
          conv.city ? el('span', { className: 'session__city', text: conv.city }) : null,
          el('time', {
            className: 'session__time',
            text: conv.lastMessageAt ? formatTime(conv.lastMessageAt, lang) : '',
          }),
        ),
        el('span', { className: `session__last ${conv.typing ? 'session__last--typing' : ''}`, text: preview }),
      ),
      conv.unread > 0
        ? el('span', { className: 'badge', text: String(conv.unread), attrs: { 'aria-label': t.unread(conv.unread) } })
        : null,
    );
    button.addEventListener('click', () => select(conv.sessionId));
    sessionList.append(el('li', {}, button));
  }
}

function select(sessionId: string | undefined): void {
  if (selected && selected !== sessionId) {
    drafts.set(selected, replyInput.value);
    if (client) client.typing(selected).stop();
  }
  selected = sessionId;
  dashMain.classList.toggle('show-conversation', sessionId !== undefined);
  const conv = sessionId ? conversations.get(sessionId) : undefined;
  if (conv) {
    replyInput.value = drafts.get(conv.sessionId) ?? '';
    if (conv.loaded !== 'yes' && conv.loaded !== 'loading') void loadConversation(conv, { initial: true });
    markRead(conv);
  }
  renderSessions();
  renderConversation();
  if (conv) queueMicrotask(() => replyInput.focus());
}

let conversationHeader: HTMLElement | undefined;

function renderConversationHeader(): void {
  if (!conversationHeader) return;
  const conv = selected ? conversations.get(selected) : undefined;
  clear(conversationHeader);
  if (!conv) return;
  const back = el('button', { className: 'link-button back', text: `← ${t.back}`, attrs: { type: 'button' } });
  back.addEventListener('click', () => select(undefined));
  conversationHeader.append(
    back,
    el('span', { className: `dot ${conv.online ? 'dot--online' : ''}`, attrs: { 'aria-hidden': 'true' } }),
    el('h2', { text: conv.name }),
    el('span', {
      className: 'conversation__meta',
      text: [conv.city ? t.fromCity(conv.city) : '', conv.online ? t.online : t.offline].filter(Boolean).join(' · '),
    }),
  );
}

function renderConversation(): void {
  clear(conversationPane);
  const conv = selected ? conversations.get(selected) : undefined;
  if (!conv) {
    conversationPane.append(el('p', { className: 'placeholder', text: t.pickSession }));
    shownSession = undefined;
    return;
  }
  conversationHeader = el('header', { className: 'conversation__header' });
  renderConversationHeader();
  const state =
    conv.loaded === 'loading' && conv.messages.length === 0
      ? el('p', { className: 'placeholder', text: t.loading })
      : conv.loaded === 'error'
        ? el('p', { className: 'form-error', text: t.loadFailed })
        : null;
  conversationPane.append(conversationHeader, state ?? '', messageList, typingLine, replyForm);
  if (shownSession !== conv.sessionId) {
    clear(messageList);
    messageNodes.clear();
    shownSession = conv.sessionId;
  }
  renderMessages();
  renderTyping();
  scrollToBottom(messageList);
}

function renderTyping(): void {
  const conv = selected ? conversations.get(selected) : undefined;
  const text = conv?.typing ? t.typing(conv.name) : '';
  setText(typingLine, text);
  typingLine.hidden = !text;
}

function renderMessages(): void {
  const conv = selected ? conversations.get(selected) : undefined;
  if (!conv) return;
  const stick = isAtBottom(messageList);
  type Row = { key: string; message?: Message; reply?: PendingReply };
  const rows: Row[] = conv.messages.map((m) => ({ key: `m:${m.messageId}`, message: m }));
  for (const reply of pending.values()) {
    if (reply.sessionId !== conv.sessionId) continue;
    if (reply.messageId && conv.ids.has(reply.messageId)) {
      pending.delete(reply.clientMessageId);
      continue;
    }
    rows.push({ key: `p:${reply.clientMessageId}`, reply });
  }
  if (rows.length === 0 && conv.loaded === 'yes') {
    clear(messageList);
    messageNodes.clear();
    messageList.append(el('li', { className: 'empty', text: t.noMessagesYet }));
    return;
  }
  syncList(
    messageList,
    messageNodes,
    rows,
    (row) => row.key,
    (row) => (row.message ? messageNode(row.message) : replyNode(row.reply!)),
    (node, row) => {
      if (row.reply) showDelivery(node, row.reply, t);
    },
  );
  if (stick) scrollToBottom(messageList);
}

function messageNode(m: Message): HTMLLIElement {
  const own = m.direction === 'broadcaster';
  return el(
    'li',
    { className: `msg ${own ? 'msg--out' : 'msg--in'}`, dataset: { messageId: m.messageId, direction: m.direction } },
    el(
      'div',
      { className: 'msg__meta' },
      el('span', { className: 'msg__from', text: m.from }),
      el('time', { className: 'msg__time', text: formatTime(m.createdAt, lang), attrs: { datetime: m.createdAt } }),
    ),
    el('p', { className: 'msg__text', text: m.text }),
  );
}

function replyNode(reply: PendingReply): HTMLLIElement {
  return el(
    'li',
    { className: 'msg msg--out', dataset: { clientMessageId: reply.clientMessageId } },
    el('div', { className: 'msg__meta' }, el('span', { className: 'msg__from', text: auth?.name ?? '' })),
    el('p', { className: 'msg__text', text: reply.text }),
    deliveryRow(t, {
      onRetry: () => client?.retry(reply.clientMessageId),
      onRemove: () => {
        client?.discard(reply.clientMessageId);
        pending.delete(reply.clientMessageId);
        renderMessages();
      },
    }),
  );
}

// ---------------------------------------------------------------------------
// Reply box
// ---------------------------------------------------------------------------

wireComposer(replyForm, replyInput, {
  onSend: (text) => {
    if (!client || !selected) return false;
    client.typing(selected).stop();
    client.reply(selected, text);
    drafts.delete(selected);
    return true;
  },
  typing: () => (client && selected ? client.typing(selected) : undefined),
});

document.addEventListener('visibilitychange', () => {
  if (document.visibilityState !== 'visible') return;
  const conv = selected ? conversations.get(selected) : undefined;
  if (conv) {
    markRead(conv);
    renderSessions();
  }
  // Background tabs run their timers late (or not at all): look now, at most once a second.
  if (Date.now() - lastResyncStart >= RESYNC_MIN_MS) resyncNow();
});
// Browsers only allow sound after a user gesture.
document.addEventListener('pointerdown', () => chime.unlock(), { once: true });

// ---------------------------------------------------------------------------
// Boot
// ---------------------------------------------------------------------------

const savedAuth = store.get<Auth>(AUTH_KEY);
if (savedAuth && typeof savedAuth.token === 'string' && Date.parse(savedAuth.expiresAt) > Date.now()) {
  start(savedAuth);
} else {
  if (savedAuth) store.remove(AUTH_KEY);
  renderLogin();
}
