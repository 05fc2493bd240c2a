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
import { clear, el, store } from '../shared/dom.js';
import { strings, type Lang } from '../shared/i18n.js';
import { StatusBar } from '../shared/status-bar.js';
import { totalUnread } from './model.js';
import { createRenderLoop, type Region } from './render-loop.js';
import { Chime } from './sound.js';
import { AUTH_KEY, initialState, MUTE_KEY, type Auth, type Dashboard } from './state.js';
import { RESYNC_MIN_MS, resyncInterval, Sync } from './sync.js';
import { ConversationView } from './views/conversation.js';
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
});
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
  onLang: switchLang,
  onLogout: () => logout(),
});
const sessionList = new SessionListView(dash, select);
const showPane = new ShowPane(
  () => state.lang,
  () => state.auth?.token,
);
const conversation = new ConversationView(dash, {
  onBack: () => select(undefined),
  onRetry: (id) => sync.client?.retry(id),
  onRemove: (id) => {
    sync.client?.discard(id);
    state.pending.delete(id);
    loop.renderNext('conversation');
  },
  messageExtras: (m) => showPane.messageExtras(m),
});
const liveShow = new LiveShow({
  dash,
  replyForm: conversation.replyForm,
  replyInput: conversation.replyInput,
  open: (sessionId) => select(sessionId),
});
const dashMain = el(
  'main',
  { className: 'dash-main has-show' },
  sessionList.element,
  conversation.element,
  showPane.element,
);

function render(dirty: ReadonlySet<Region>): void {
  if (dirty.has('title')) updateTitle();
  if (state.view !== 'main') return;
  if (dirty.has('header')) header.render();
  if (dirty.has('status')) statusBar.render(state.t);
  if (dirty.has('list')) sessionList.render();
  if (dirty.has('conversation')) conversation.render();
  if (focusReply && state.selected) conversation.replyInput.focus();
  focusReply = false;
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
  const headerElement = header.build();
  headerElement.append(liveShow.stats.element);
  sessionList.element.firstElementChild?.after(liveShow.filter.element);
  liveShow.render();
  root.append(headerElement, liveShow.toolbar, statusBar.element, dashMain);
  loop.renderNext('header', 'status', 'list', 'conversation', 'title');
}

function login(username: string, password: string): Promise<void> {
  const { t } = state;
  return loginBroadcaster({ baseUrl: location.origin, username, password }).then(
    (credentials) => {
      const a = { token: credentials.token, name: credentials.name, expiresAt: credentials.expiresAt };
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
  const c = connectBroadcaster({
    baseUrl: location.origin,
    token: a.token,
    expiresAt: a.expiresAt,
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
    loop.invalidate('status');
    if (change.state === 'expired' || (change.state === 'closed' && change.reason === 'forbidden')) {
      logout(state.t.loginExpired);
    } else if (change.state === 'reconnecting' && change.retryInMs !== undefined) {
      sync.probeToken(() => logout(state.t.loginExpired));
    }
  });
  c.on('connection:success', (info) => {
    if (!live()) return;
    if (state.auth) state.auth.name = info.name;
    loop.invalidate('header');
    void sync.sync(connectedOnce ? 'reconnect' : 'initial');
    connectedOnce = true;
    // That sync is a full look: the next periodic one is an interval away.
    sync.scheduleResync();
  });
  c.on('message:new', (m) => live() && sync.onMessage(m));
  c.on('presence:update', (p) => live() && sync.onPresence(p.sessionId, p.online));
  c.on('user:typing', (e) => live() && sync.setTyping(e.sessionId, e.isTyping));
  c.on('delivery', (update) => live() && sync.onDelivery(update));
  showPane.attach(c, live);
  showMain();
  c.connect();
}

function logout(message = ''): void {
  sync.stop();
  liveShow.detach();
  showPane.stop();
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
    return true;
  },
  typing: () => (sync.client && state.selected ? sync.client.typing(state.selected) : undefined),
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
