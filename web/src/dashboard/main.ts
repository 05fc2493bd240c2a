/**
 * The broadcasters' dashboard (served at `/dashboard/`).
 *
 * Login, then a live list of listener sessions (online dot, unread count,
 * last message, newest first) and a conversation view with the history from
 * the REST API, a reply box and typing indicators. New listener messages ring
 * a (mutable) sound and show up in the title.
 *
 * Shape (after TodoMVC): `model.ts` holds the pure logic, `sync.ts` the
 * connection, REST and timers, `views/` one class per region, and this file
 * wires them and owns the one scheduled render (`render-loop.ts`): every
 * change marks regions dirty and a frame renders each once (what the user
 * does at the next frame, what arrives at most every 100 ms).
 */
import { connectBroadcaster, LivechatHttpError, loginBroadcaster } from '../../../src/client/index.js';
import { wireComposer } from '../shared/composer.js';
import { clear, el, setText, store } from '../shared/dom.js';
import { formatTime, strings, type Lang } from '../shared/i18n.js';
import { StatusBar } from '../shared/status-bar.js';
import { DesktopNotifier } from './desktop-notify.js';
import { loginWarningDelay, repliesToKeep, totalUnread, type PendingReply } from './model.js';
import { loadDrafts, loadOutbox, saveDrafts, saveOutbox } from './persistence.js';
import { createRenderLoop, type Region } from './render-loop.js';
import { Chime } from './sound.js';
import { AUTH_KEY, DESKTOP_NOTIFY_KEY, initialState, MUTE_KEY, type Auth, type Dashboard } from './state.js';
import { RESYNC_MIN_MS, resyncInterval, Sync } from './sync.js';
import { Moderation } from './moderation.js';
import { moderationStrings } from './moderation-strings.js';
import { AccountsView } from './views/accounts.js';
import { ConversationView } from './views/conversation.js';
import { decorateMessage } from './views/message-moderation.js';
import { ModerationBar } from './views/moderation-bar.js';
import { HeaderView } from './views/header.js';
import { loginView } from './views/login.js';
import { SessionListView } from './views/session-list.js';
import { LiveShow } from './show/live-show.js';
import { ShowPane } from './show/show-pane.js';

const root = document.getElementById('app')!;
const state = initialState();
const chime = new Chime();
const loop = createRenderLoop(render);
const dash: Dashboard = { state, loop };
const sync = new Sync(dash, {
  resyncMs: resyncInterval(new URLSearchParams(location.search).get('resyncMs') ?? root.dataset['resyncMs']),
  notify,
  onListenerMessage: (m) => {
    if (state.desktopNotify) desktop.show({ title: m.from, body: m.text, sessionId: m.sessionId });
  },
  onNewListener: (sessionId) => {
    if (state.desktopNotify) desktop.show({ title: state.t.newListener, body: state.t.newListenerBody, sessionId });
  },
  onPendingChange: () => persistOutbox(),
});
const desktop = new DesktopNotifier((sessionId) => {
  sync.conversationFor(sessionId);
  select(sessionId);
});
/** Warns that the login ends soon (see `scheduleLoginWarning`). */
let loginWarningTimer: ReturnType<typeof setTimeout> | undefined;
/** Saves the drafts a moment after the last keystroke. */
let draftTimer: ReturnType<typeof setTimeout> | undefined;
let connectedOnce = false;
/** Move the keyboard focus to the reply box at the next render (a conversation was opened). */
let focusReply = false;

const statusBar = new StatusBar({
  onRetryNow: () => sync.client?.reconnectNow(),
  onTick: () => loop.invalidate('status'),
});
const header = new HeaderView(dash, {
  onToggleSound: () => {
    state.muted = !state.muted;
    store.set(MUTE_KEY, state.muted);
    chime.unlock();
    header.render(); // at once: the button reports its own state
  },
  onToggleDesktopNotify: () => void toggleDesktopNotify(),
  onLang: switchLang,
  onLogout: () => {
    // End the token on the server too (every instance refuses it from then on).
    void moderation.api.logout().catch(() => undefined);
    logout();
  },
  onAccounts: () => showAccounts(true),
});
const sessionList = new SessionListView(dash, select);
const showPane = new ShowPane(
  () => state.lang,
  () => state.auth?.token,
);
const moderation = new Moderation(dash, sync, { onClosed: () => select(undefined) });
const moderationBar = new ModerationBar(dash, {
  onBlock: (id, mode, choice) => moderation.block(id, mode, choice),
  onLift: (id) => moderation.lift(id),
  onErase: (id) => moderation.erase(id),
  // `DELETE /livechat/admin/sessions/:sessionId` is for managers only.
  canErase: () => moderation.isManager,
});
const accounts = new AccountsView({
  api: moderation.api,
  lang: () => state.lang,
  me: () => sync.client?.accountInfo?.adminId,
  sessionName: (id) => state.conversations.get(id)?.name,
  onBack: () => showAccounts(false),
});
let accountsOpen = false;
const conversation = new ConversationView(dash, {
  onBack: () => select(undefined),
  onRetry: (id) => sync.client?.retry(id),
  onRemove: (id) => {
    sync.client?.discard(id);
    state.pending.delete(id);
    persistOutbox();
    loop.renderNext('conversation');
  },
  onOpenSession: (sessionId) => {
    // The reply that did not arrive goes along as the new conversation's draft.
    const lost = [...state.pending.values()].find(
      (r) => r.sessionId === state.selected && r.reason === 'session_ended',
    );
    if (lost && !state.drafts.get(sessionId)) state.drafts.set(sessionId, lost.text);
    sync.conversationFor(sessionId);
    select(sessionId);
  },
  messageExtras: (m) => showPane.messageExtras(m),
  headerExtra: moderationBar,
  decorateMessage: (node, m) =>
    decorateMessage(node, m, moderationStrings(state.lang), {
      onHide: (id) => moderation.setHidden(m.sessionId, id, true),
      onUnhide: (id) => moderation.setHidden(m.sessionId, id, false),
      onFailed: () => undefined,
    }),
});
const liveShow = new LiveShow({
  dash,
  replyForm: conversation.replyForm,
  replyInput: conversation.replyInput,
  open: (sessionId) => select(sessionId),
});
const dashMain = el(
  'main',
  { className: 'dash-main has-show', attrs: { id: 'dash-main', tabindex: '-1' } },
  sessionList.element,
  conversation.element,
  showPane.element,
);
const skipLink = el('a', { className: 'skip-link', attrs: { href: '#dash-main' } });
skipLink.addEventListener('click', (event) => {
  event.preventDefault();
  // To the list's tab stop (the open or last focused listener), else the main area.
  const row = sessionList.element.querySelector<HTMLElement>('.session[tabindex="0"]');
  (row ?? dashMain).focus();
});
const loginWarningText = el('span');
const reloginButton = el('button', { className: 'link-button relogin', attrs: { type: 'button' } });
reloginButton.addEventListener('click', () => logout());
const loginWarning = el('p', { className: 'login-warning', attrs: { role: 'alert' } }, loginWarningText, reloginButton);
const connectionRegion = el('section', { className: 'connection-region' }, statusBar.element, loginWarning);

function render(dirty: ReadonlySet<Region>): void {
  if (dirty.has('title')) updateTitle();
  if (state.view !== 'main') return;
  const focusedIn = focusRegion();
  if (dirty.has('header')) header.render();
  if (dirty.has('status')) renderStatus();
  if (dirty.has('list')) sessionList.render();
  if (dirty.has('conversation')) conversation.render();
  if (focusReply && state.selected) conversation.replyInput.focus();
  focusReply = false;
  if (focusedIn) keepFocus(focusedIn);
}

/** Where the keyboard focus is before a render: a region of the page, or nowhere worth keeping. */
function focusRegion(): 'conversation' | 'list' | 'page' | undefined {
  const focused = document.activeElement;
  if (!focused || focused === document.body) return undefined;
  if (conversation.element.contains(focused)) return 'conversation';
  if (sessionList.element.contains(focused)) return 'list';
  return root.contains(focused) ? 'page' : undefined;
}

/**
 * A render removed or hid the focused element (a reply row that became the
 * stored message, a retry button that went away): the focus would fall to
 * <body>, and a keyboard user would start again from the top. Keep it in the
 * region it was in.
 */
function keepFocus(region: 'conversation' | 'list' | 'page'): void {
  if (document.activeElement && document.activeElement !== document.body) return;
  const target =
    region === 'conversation' && state.selected
      ? conversation.messageLog
      : region === 'list'
        ? sessionList.element.querySelector<HTMLElement>('.session[tabindex="0"]')
        : null;
  (target ?? dashMain).focus({ preventScroll: true });
}

function renderStatus(): void {
  statusBar.render(state.t);
  const ending = state.loginEndingAt;
  loginWarning.hidden = !ending;
  setText(loginWarningText, ending ? `${state.t.loginEnding(formatTime(ending, state.lang))} ` : '');
  setText(reloginButton, state.t.relogin);
}

function persistOutbox(): void {
  saveOutbox(state.auth?.username, repliesToKeep(state.pending.values()));
}

function persistDrafts(): void {
  if (state.selected && state.view === 'main') state.drafts.set(state.selected, conversation.replyInput.value);
  saveDrafts(state.auth?.username, state.drafts, state.selected);
}

async function toggleDesktopNotify(): Promise<void> {
  const on = !state.desktopNotify && (await desktop.request());
  state.desktopNotify = on;
  store.set(DESKTOP_NOTIFY_KEY, on);
  header.render();
}

/** Shows the "login ends soon" warning five minutes before the admin token expires. */
function scheduleLoginWarning(a: Auth): void {
  clearTimeout(loginWarningTimer);
  const delay = loginWarningDelay(a.expiresAt, Date.now());
  if (delay === undefined) return;
  // Timers cannot wait longer than about 24.8 days: wait in steps.
  const step = Math.min(delay, 2 ** 31 - 1);
  loginWarningTimer = setTimeout(() => {
    if (state.auth !== a) return;
    if (step < delay) return scheduleLoginWarning(a);
    state.loginEndingAt = a.expiresAt;
    loop.renderNext('status');
  }, step);
}

function updateTitle(): void {
  const n = totalUnread(state.conversations.values());
  const base = `${state.t.dashboardTitle} — ${state.t.station}`;
  document.title = n > 0 ? `(${n}) ${base}` : base;
}

function notify(count: number): void {
  if (count <= 0) return;
  loop.invalidate('title');
  if (state.muted) return;
  chime.play();
  // Observable hook (used by the browser tests): a sound notification happened.
  window.dispatchEvent(new CustomEvent('livechat:notify', { detail: { count } }));
}

function switchLang(lang: Lang): void {
  state.lang = lang;
  state.t = strings(lang);
  if (state.view === 'main') showMain();
  else showLogin();
}

function showLogin(): void {
  state.view = 'login';
  document.documentElement.lang = state.lang;
  clear(root);
  root.append(
    loginView(state, {
      onLogin: login,
      onLang: switchLang,
      onGesture: () => chime.unlock(),
    }),
  );
  updateTitle();
}

function showMain(): void {
  state.view = 'main';
  document.documentElement.lang = state.lang;
  sessionList.reset();
  conversation.reset();
  showPane.render();
  clear(root);
  setText(skipLink, state.t.skipToMain);
  connectionRegion.setAttribute('aria-label', state.t.connectionRegion);
  const headerElement = header.build();
  headerElement.append(liveShow.stats.element);
  sessionList.element.firstElementChild?.after(liveShow.filter.element);
  liveShow.render();
  root.append(skipLink, headerElement, liveShow.toolbar, connectionRegion, accountsOpen ? accounts.element : dashMain);
  if (accountsOpen) accounts.open();
  loop.renderNext('header', 'status', 'list', 'conversation', 'title');
}

/** Shows the "Akun" page (managers) in place of the conversations, or goes back to them. */
function showAccounts(open: boolean): void {
  if (accountsOpen === open || (open && !moderation.isManager)) return;
  accountsOpen = open;
  header.accountsOpen = open;
  header.render();
  (open ? dashMain : accounts.element).replaceWith(open ? accounts.element : dashMain);
  if (open) accounts.open();
  else (document.querySelector<HTMLElement>('.accounts-link') ?? conversation.replyInput).focus();
  loop.renderNext('list', 'conversation');
}

function login(username: string, password: string): Promise<void> {
  const { t } = state;
  return loginBroadcaster({ baseUrl: location.origin, username, password }).then(
    (credentials) => {
      const a: Auth = {
        token: credentials.token,
        name: credentials.name,
        expiresAt: credentials.expiresAt,
        username,
        role: credentials.role,
      };
      store.set(AUTH_KEY, a);
      state.loginMessage = '';
      start(a);
    },
    (e: unknown) => {
      state.loginMessage =
        e instanceof LivechatHttpError && e.status === 401
          ? t.invalidCredentials
          : e instanceof LivechatHttpError && e.status === 429
            ? t.rateLimited
            : t.loginFailed;
      throw state.loginMessage;
    },
  );
}

function select(sessionId: string | undefined): void {
  const previous = state.selected;
  if (previous && previous !== sessionId) {
    state.drafts.set(previous, conversation.replyInput.value);
    sync.client?.typing(previous).stop();
  }
  state.selected = sessionId;
  liveShow.selected(sessionId);
  saveDrafts(state.auth?.username, state.drafts, sessionId);
  dashMain.classList.toggle('show-conversation', sessionId !== undefined);
  const conv = sessionId ? state.conversations.get(sessionId) : undefined;
  if (conv) {
    conversation.replyInput.value = state.drafts.get(conv.sessionId) ?? '';
    if (conv.loaded !== 'yes' && conv.loaded !== 'loading')
      void sync.loadConversation(conv.sessionId, { initial: true });
    sync.markRead(state.conversations.get(conv.sessionId)!);
    focusReply = true;
  }
  loop.renderNext('list', 'conversation', 'title');
}

function start(a: Auth): void {
  state.auth = a;
  connectedOnce = false;
  state.loginEndingAt = undefined;
  // What this account left behind: unsent replies and drafts (a closed tab, an expired login).
  const saved = loadOutbox(a.username);
  for (const r of saved) {
    const reply: PendingReply = {
      clientMessageId: r.clientMessageId,
      sessionId: r.sessionId,
      text: r.text,
      status: r.status,
    };
    if (r.reason) reply.reason = r.reason;
    state.pending.set(r.clientMessageId, reply);
  }
  const drafts = loadDrafts(a.username);
  state.drafts = drafts.drafts;
  const c = connectBroadcaster({
    baseUrl: location.origin,
    token: a.token,
    expiresAt: a.expiresAt,
    pending: saved.map((r) => ({
      clientMessageId: r.clientMessageId,
      payload: { sessionId: r.sessionId, text: r.text },
      status: r.status,
    })),
    autoConnect: false,
    // An expired admin token needs the password again: back to the login form.
    refreshToken: async () => null,
  });
  sync.client = c;
  liveShow.attach(c);
  const live = () => c === sync.client;
  c.on('state', (change) => {
    if (!live()) return;
    if (change.previous === 'open' && change.state !== 'open') sync.markResyncPoints();
    statusBar.update(change);
    const connected = change.state === 'open';
    if (connected !== state.connected) {
      // Presence is only known while connected: the dots say "unknown" meanwhile.
      state.connected = connected;
      loop.invalidate('list', 'conversation');
    }
    loop.invalidate('status');
    if (change.state === 'expired' || (change.state === 'closed' && change.reason === 'forbidden')) {
      logout(state.t.loginExpired);
    } else if (change.state === 'reconnecting' && change.retryInMs !== undefined) {
      sync.probeToken(() => logout(state.t.loginExpired));
    }
  });
  c.on('connection:success', (info) => {
    if (!live()) return;
    if (state.auth) {
      state.auth.name = info.name;
      const { role } = info;
      if (role !== state.auth.role) {
        state.auth.role = role;
        store.set(AUTH_KEY, state.auth);
        if (role !== 'manager') showAccounts(false);
      }
    }
    loop.invalidate('header');
    // Blocks listed by the sync leave the view when they end.
    void sync.sync(connectedOnce ? 'reconnect' : 'initial').then(() => moderation.scheduleExpiry());
    connectedOnce = true;
    // That sync is a full look: the next periodic one is an interval away.
    sync.scheduleResync();
  });
  c.on('message:new', (m) => live() && sync.onMessage(m));
  c.on('presence:update', (p) => live() && sync.onPresence(p.sessionId, p.online));
  c.on('user:typing', (e) => live() && sync.setTyping(e.sessionId, e.isTyping));
  c.on('delivery', (update) => live() && sync.onDelivery(update));
  c.on('error:session_ended', (e) => live() && sync.onSessionEnded(e.sessionId, e.newSessionId));
  scheduleLoginWarning(a);
  showPane.attach(c, live);
  moderation.wire(c);
  showMain();
  if (drafts.selected) {
    sync.conversationFor(drafts.selected);
    select(drafts.selected);
  }
  c.connect();
}

/**
 * Back to the login form. The replies not stored yet and the drafts stay in
 * storage for this account: logging in again finds them.
 */
function logout(message = ''): void {
  if (state.view === 'main') persistDrafts();
  persistOutbox();
  clearTimeout(loginWarningTimer);
  clearTimeout(draftTimer);
  state.loginEndingAt = undefined;
  state.connected = false;
  state.endedSessions.clear();
  sync.stop();
  liveShow.detach();
  showPane.stop();
  moderation.stop();
  accountsOpen = false;
  header.accountsOpen = false;
  state.auth = undefined;
  store.remove(AUTH_KEY);
  state.conversations.clear();
  state.order = undefined;
  state.pending.clear();
  state.drafts.clear();
  state.selected = undefined;
  dashMain.classList.remove('show-conversation');
  statusBar.reset();
  state.loginMessage = message;
  showLogin();
}

wireComposer(conversation.replyForm, conversation.replyInput, {
  onSend: (text) => {
    const { selected } = state;
    if (!sync.client || !selected) return false;
    sync.client.typing(selected).stop();
    sync.client.reply(selected, text);
    state.drafts.delete(selected);
    saveDrafts(state.auth?.username, state.drafts, selected);
    return true;
  },
  typing: () => (sync.client && state.selected ? sync.client.typing(state.selected) : undefined),
});

conversation.replyInput.addEventListener('input', () => {
  clearTimeout(draftTimer);
  draftTimer = setTimeout(persistDrafts, 300);
});
// Closing or reloading the page: what is typed is kept.
window.addEventListener('pagehide', () => {
  if (state.auth) persistDrafts();
});

document.addEventListener('visibilitychange', () => {
  // A frame asked for while visible waits until the tab is shown again: render now.
  loop.flush();
  if (document.visibilityState !== 'visible') return;
  const conv = state.selected ? state.conversations.get(state.selected) : undefined;
  if (conv) sync.markRead(conv);
  // Background tabs run their timers late (or not at all): look now, at most once a second.
  if (Date.now() - sync.lastResyncStart >= RESYNC_MIN_MS) sync.resyncNow();
});
// Browsers only allow sound after a user gesture.
document.addEventListener('pointerdown', () => chime.unlock(), { once: true });

const savedAuth = store.get<Auth>(AUTH_KEY);
if (savedAuth && typeof savedAuth.token === 'string' && Date.parse(savedAuth.expiresAt) > Date.now()) {
  start(savedAuth);
} else {
  if (savedAuth) store.remove(AUTH_KEY);
  showLogin();
}
