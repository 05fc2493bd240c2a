/**
 * The listener widget (served at `/`, embeddable in an iframe).
 *
 * A name (and city) form starts a session; the chat view shows the
 * conversation with a delivery state per message, the broadcaster's replies
 * and typing, and the connection state. The session, the transcript and the
 * unacknowledged messages are kept in localStorage, so a reload resumes the
 * same conversation while the token is valid.
 */
import {
  connectListener,
  createSession,
  LivechatHttpError,
  MAX_TEXT_LENGTH,
  type DeliveryUpdate,
  type ListenerClient,
  type ListenerOutgoing,
  type SessionCredentials,
  type StateChange,
  type TypingIndicator,
} from '../../../src/client/index.js';
import { wireComposer } from '../shared/composer.js';
import { deliveryRow, showDelivery } from '../shared/delivery.js';
import { clear, el, isAtBottom, scrollToBottom, setText, store, syncList } from '../shared/dom.js';
import { formatTime, initialLang, strings, type Lang, type Strings } from '../shared/i18n.js';
import { brand, langToggle } from '../shared/page.js';
import { StatusBar } from '../shared/status-bar.js';
import { AnnouncementBanner } from './announcement-banner.js';
import { RequestMode, requestBubbleText } from './request-mode.js';
import { startForm, type StartDraft } from './start-form.js';
import {
  applyDelivery,
  hasWaiting,
  keyOf,
  pendingOf,
  receivedIds,
  receivedItem,
  trimItems,
  validSaved,
  type Item,
  type Saved,
} from './transcript.js';

const STORAGE_KEY = 'suara-pendengar.widget.v1';
const TYPING_VISIBLE_MS = 8_000;

// ---------------------------------------------------------------------------
// State
// ---------------------------------------------------------------------------

let lang: Lang = initialLang();
let t: Strings = strings(lang);
let saved: Saved | undefined;
let client: ListenerClient | undefined;
let typing: TypingIndicator | undefined;
let typingFrom: string | undefined;
let typingTimer: ReturnType<typeof setTimeout> | undefined;
let noticeTimer: ReturnType<typeof setTimeout> | undefined;
let view: 'form' | 'chat' = 'form';
/** What the start form holds between renders. */
const draft: StartDraft = { name: '', city: '', error: '' };
const announcements = new AnnouncementBanner();

const embedded = new URLSearchParams(location.search).has('embed');
const root = document.getElementById('app')!;
if (embedded) document.body.classList.add('embedded');

// Elements that persist across renders.
const statusBar = new StatusBar({ onRetryNow: () => client?.reconnectNow(), onTick: () => renderStatus() });
const queuedNote = el('p', { className: 'queued-note' });
const notice = el('p', { className: 'notice', attrs: { role: 'alert' } });
const list = el('ol', { className: 'messages', attrs: { 'aria-live': 'polite' } });
const typingLine = el('p', { className: 'typing', attrs: { 'aria-live': 'polite' } });
const nodes = new Map<string, HTMLLIElement>();
const requestMode = new RequestMode({
  lang: () => lang,
  send: (title, artist) => {
    if (!client) return false;
    client.sendRequest({ title, ...(artist ? { artist } : {}) }, requestBubbleText(title, artist));
    return true;
  },
  notify: (text) => showNotice(text),
});

// ---------------------------------------------------------------------------
// Persistence
// ---------------------------------------------------------------------------

function persist(): void {
  if (!saved) return;
  saved.items = trimItems(saved.items);
  store.set(STORAGE_KEY, saved);
}

// ---------------------------------------------------------------------------
// Session
// ---------------------------------------------------------------------------

async function startNewSession(name: string, city: string): Promise<void> {
  const credentials = await createSession({ baseUrl: location.origin, name, ...(city ? { city } : {}) });
  saved = { ...credentialsOf(credentials), name, city, items: [] };
  persist();
  openChat();
}

function credentialsOf(c: SessionCredentials): Pick<Saved, 'sessionId' | 'sessionToken' | 'expiresAt'> {
  return { sessionId: c.sessionId, sessionToken: c.sessionToken, expiresAt: c.expiresAt };
}

function openChat(): void {
  const s = saved!;
  const old = client;
  client = undefined;
  old?.close();
  const c = connectListener({
    baseUrl: location.origin,
    token: s.sessionToken,
    expiresAt: s.expiresAt,
    ...(s.lastMessageId ? { lastMessageId: s.lastMessageId } : {}),
    knownMessageIds: receivedIds(s.items),
    pending: pendingOf(s.items),
    autoConnect: false,
    // The session token expired: carry on in a new session under the same name.
    refreshToken: async () => {
      const current = saved;
      if (!current) return null;
      const fresh = await createSession({
        baseUrl: location.origin,
        name: current.name,
        ...(current.city ? { city: current.city } : {}),
      });
      Object.assign(current, credentialsOf(fresh));
      delete current.lastMessageId;
      current.items.push({ kind: 'note', id: `note-${Date.now()}`, note: 'newSession', at: new Date().toISOString() });
      persist();
      renderMessages();
      return fresh;
    },
  });
  client = c;
  c.on('state', (change) => c === client && onState(change));
  c.on('delivery', (update) => c === client && onDelivery(update));
  c.on('message:receive', (m) => {
    if (!saved || c !== client) return;
    saved.items.push(receivedItem(m));
    saved.lastMessageId = m.messageId;
    persist();
    hideTyping();
    renderMessages();
  });
  c.on('user:typing', (e) => c === client && (e.isTyping ? showTyping(e.from) : hideTyping()));
  c.on('connection:success', (info) => {
    if (!saved || c !== client) return;
    saved.name = info.name;
    saved.city = info.city;
    saved.sessionId = info.sessionId;
    persist();
    renderChatHeader();
  });
  c.on('error:rate_limited', () => c === client && showNotice(t.rateLimitedSend));
  c.on('announcement', (a) => c === client && announcements.show(a));
  c.on('error:rate_limited', (e) => {
    if (c !== client) return;
    if (e.reason === 'requests') requestMode.onLimit();
    else showNotice(t.rateLimitedSend);
  });
  c.on('request:update', (u) => c === client && requestMode.onUpdate(u, list));
  typing = c.typing();
  view = 'chat';
  render();
  c.connect();
}

function endChat(): void {
  const c = client;
  client = undefined;
  c?.close();
  typing?.dispose();
  typing = undefined;
  if (saved) {
    draft.name = saved.name;
    draft.city = saved.city;
  }
  saved = undefined;
  store.remove(STORAGE_KEY);
  statusBar.reset();
  hideTyping();
  view = 'form';
  render();
}

function onState(change: StateChange): void {
  statusBar.update(change);
  if (change.state !== 'open') hideTyping();
  renderStatus();
  if (change.state === 'expired' || change.state === 'closed') render();
}

function onDelivery(update: DeliveryUpdate<ListenerOutgoing>): void {
  if (!saved) return;
  saved.items = applyDelivery(saved.items, update, new Date().toISOString());
  persist();
  renderMessages();
}

// ---------------------------------------------------------------------------
// Typing and notices
// ---------------------------------------------------------------------------

function showTyping(from: string): void {
  typingFrom = from;
  clearTimeout(typingTimer);
  typingTimer = setTimeout(hideTyping, TYPING_VISIBLE_MS);
  renderTyping();
}

function hideTyping(): void {
  typingFrom = undefined;
  clearTimeout(typingTimer);
  renderTyping();
}

function renderTyping(): void {
  setText(typingLine, typingFrom ? t.typing(typingFrom) : '');
  typingLine.hidden = !typingFrom;
}

function showNotice(text: string): void {
  setText(notice, text);
  notice.hidden = false;
  clearTimeout(noticeTimer);
  noticeTimer = setTimeout(() => (notice.hidden = true), 5000);
}

// ---------------------------------------------------------------------------
// Rendering
// ---------------------------------------------------------------------------

function render(): void {
  document.documentElement.lang = lang;
  document.title = `${t.widgetTitle} — ${t.station}`;
  clear(root);
  clear(list);
  nodes.clear();
  const langButton = langToggle(lang, t, (next) => {
    lang = next;
    t = strings(lang);
    render();
  });
  const header = el('header', { className: 'widget-header' }, brand(t, t.widgetTitle), langButton);
  root.append(header);
  if (view === 'form') root.append(renderForm());
  else root.append(renderChat());
}

function renderForm(): HTMLElement {
  return startForm(t, draft, (name, city) =>
    startNewSession(name, city).catch((e: unknown) => {
      throw e instanceof LivechatHttpError && e.status === 429
        ? t.rateLimited
        : e instanceof LivechatHttpError && (e.code === 'invalid_payload' || e.code === 'name_reserved')
          ? e.message
          : t.startFailed;
    }),
  );
}

let chatHeader: HTMLElement | undefined;

function renderChatHeader(): void {
  if (!chatHeader || !saved) return;
  clear(chatHeader);
  const who = saved.city ? `${t.chattingAs(saved.name)} · ${saved.city}` : t.chattingAs(saved.name);
  const end = el('button', { className: 'link-button end-chat', text: t.endChat, attrs: { type: 'button' } });
  end.addEventListener('click', endChat);
  chatHeader.append(el('span', { className: 'chat-as', text: who }), end);
}

function renderChat(): HTMLElement {
  const section = el('section', { className: 'chat' });
  chatHeader = el('div', { className: 'chat-meta' });
  renderChatHeader();
  const state = statusBar.lastState?.state;
  if (state === 'expired' || state === 'closed') {
    const again = el('button', { className: 'primary', text: t.startAgain, attrs: { type: 'button' } });
    again.addEventListener('click', endChat);
    const ended = el('div', { className: 'ended' }, el('p', { text: t.sessionExpired }), again);
    section.append(chatHeader, statusBar.element, list, ended);
    renderStatus();
    renderMessages();
    return section;
  }
  const input = el('textarea', {
    className: 'composer__input',
    attrs: {
      rows: '2',
      maxlength: String(MAX_TEXT_LENGTH),
      placeholder: t.composerPlaceholder,
      'aria-label': t.composerLabel,
    },
  });
  const sendButton = el('button', { className: 'primary composer__send', text: t.send, attrs: { type: 'submit' } });
  const composer = el('form', { className: 'composer' }, input, sendButton);
  wireComposer(composer, input, {
    onSend: (text) => {
      if (!client) return false;
      typing?.stop();
      client.sendMessage(text);
      return true;
    },
    typing: () => typing,
  });
  announcements.render();
  section.append(chatHeader, statusBar.element, announcements.element, queuedNote, list, typingLine, notice, composer);
  section.append(chatHeader, statusBar.element, queuedNote, list, typingLine, notice, requestMode.element(), composer);
  notice.hidden = true;
  renderStatus();
  renderTyping();
  renderMessages();
  queueMicrotask(() => {
    scrollToBottom(list);
    if (!embedded) input.focus();
  });
  return section;
}

function renderStatus(): void {
  const status = statusBar.render(t);
  const waiting = saved ? hasWaiting(saved.items) : false;
  queuedNote.hidden = !(status.degraded && waiting);
  setText(queuedNote, t.queuedNote);
}

function renderMessages(): void {
  if (!saved) return;
  const stick = isAtBottom(list);
  if (saved.items.length === 0) {
    const empty = el('li', { className: 'empty', text: t.emptyChat });
    clear(list);
    nodes.clear();
    list.append(empty);
    renderStatus();
    return;
  }
  syncList(list, nodes, saved.items, keyOf, createItemNode, updateItemNode);
  requestMode.decorate(list);
  renderStatus();
  if (stick) scrollToBottom(list);
}

function createItemNode(item: Item): HTMLLIElement {
  if (item.kind === 'note') {
    return el('li', { className: 'note', text: t.newSessionNote });
  }
  const from = item.kind === 'out' ? t.you : item.from;
  const li = el(
    'li',
    { className: `msg msg--${item.kind === 'out' ? 'out' : 'in'}` },
    el(
      'div',
      { className: 'msg__meta' },
      el('span', { className: 'msg__from', text: from }),
      el('time', { className: 'msg__time' }),
    ),
    el('p', { className: 'msg__text', text: item.text }),
  );
  if (item.kind === 'out') {
    li.dataset['clientMessageId'] = item.clientMessageId;
    li.append(
      deliveryRow(t, {
        onRetry: () => client?.retry(item.clientMessageId),
        onRemove: () => {
          client?.discard(item.clientMessageId);
          if (saved) saved.items = saved.items.filter((i) => keyOf(i) !== keyOf(item));
          persist();
          renderMessages();
        },
      }),
    );
  } else {
    li.dataset['messageId'] = item.messageId;
  }
  return li;
}

function updateItemNode(node: HTMLLIElement, item: Item): void {
  if (item.kind === 'note') return;
  const time = node.querySelector('time')!;
  setText(time, formatTime(item.at, lang));
  time.dateTime = item.at;
  if (item.kind !== 'out') return;
  if (item.messageId) node.dataset['messageId'] = item.messageId;
  // Once acknowledged, the text is the ack's: as stored, as everyone else sees it.
  setText(node.querySelector('.msg__text')!, item.text);
  showDelivery(node, item, t);
}

// ---------------------------------------------------------------------------
// Boot
// ---------------------------------------------------------------------------

const previous = validSaved(store.get<Saved>(STORAGE_KEY));
if (previous && Date.parse(previous.expiresAt) > Date.now()) {
  saved = previous;
  openChat();
} else {
  if (previous) {
    draft.name = previous.name ?? '';
    draft.city = previous.city ?? '';
    store.remove(STORAGE_KEY);
  }
  render();
}
