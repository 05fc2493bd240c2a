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
  MAX_CITY_LENGTH,
  MAX_NAME_LENGTH,
  MAX_TEXT_LENGTH,
  type DeliveryUpdate,
  type ListenerClient,
  type ListenerOutgoing,
  type PendingMessage,
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

const STORAGE_KEY = 'suara-pendengar.widget.v1';
const MAX_KEPT_ITEMS = 300;
const TYPING_VISIBLE_MS = 8_000;

interface OutItem {
  kind: 'out';
  clientMessageId: string;
  text: string;
  status: 'sending' | 'sent' | 'failed';
  reason?: string;
  messageId?: string;
  at: string;
}
interface InItem {
  kind: 'in';
  messageId: string;
  from: string;
  text: string;
  at: string;
}
interface NoteItem {
  kind: 'note';
  id: string;
  note: 'newSession';
  at: string;
}
type Item = OutItem | InItem | NoteItem;

interface Saved {
  sessionId: string;
  sessionToken: string;
  expiresAt: string;
  name: string;
  city: string;
  lastMessageId?: string;
  items: Item[];
}

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
let formError = '';
let draftName = '';
let draftCity = '';

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

// ---------------------------------------------------------------------------
// Persistence
// ---------------------------------------------------------------------------

function persist(): void {
  if (!saved) return;
  if (saved.items.length > MAX_KEPT_ITEMS) {
    // Keep unacknowledged messages whatever their age; drop the oldest of the rest.
    const excess = saved.items.length - MAX_KEPT_ITEMS;
    let dropped = 0;
    saved.items = saved.items.filter((item) => {
      if (dropped >= excess || (item.kind === 'out' && item.status !== 'sent')) return true;
      dropped++;
      return false;
    });
  }
  store.set(STORAGE_KEY, saved);
}

function loadSaved(): Saved | undefined {
  const value = store.get<Saved>(STORAGE_KEY);
  if (!value || typeof value.sessionToken !== 'string' || !Array.isArray(value.items)) return undefined;
  return value;
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
  const pending: PendingMessage<ListenerOutgoing>[] = s.items
    .filter((i): i is OutItem => i.kind === 'out' && i.status !== 'sent')
    .map((i) => ({
      clientMessageId: i.clientMessageId,
      payload: { text: i.text },
      status: i.status === 'failed' ? 'failed' : 'sending',
    }));
  const old = client;
  client = undefined;
  old?.close();
  const c = connectListener({
    baseUrl: location.origin,
    token: s.sessionToken,
    expiresAt: s.expiresAt,
    ...(s.lastMessageId ? { lastMessageId: s.lastMessageId } : {}),
    knownMessageIds: s.items.filter((i): i is InItem => i.kind === 'in').map((i) => i.messageId),
    pending,
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
    saved.items.push({ kind: 'in', messageId: m.messageId, from: m.from, text: m.text, at: m.createdAt });
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
    draftName = saved.name;
    draftCity = saved.city;
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
  let item = saved.items.find((i): i is OutItem => i.kind === 'out' && i.clientMessageId === update.clientMessageId);
  if (!item) {
    item = {
      kind: 'out',
      clientMessageId: update.clientMessageId,
      text: update.payload.text,
      status: update.status,
      at: new Date().toISOString(),
    };
    saved.items.push(item);
  }
  item.status = update.status;
  if (update.reason) item.reason = update.reason;
  else delete item.reason;
  if (update.messageId) item.messageId = update.messageId;
  if (update.createdAt) item.at = update.createdAt;
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
  const name = el('input', {
    attrs: {
      id: 'name',
      name: 'name',
      maxlength: String(MAX_NAME_LENGTH),
      autocomplete: 'name',
      placeholder: t.namePlaceholder,
      required: '',
    },
  });
  name.value = draftName;
  const city = el('input', {
    attrs: {
      id: 'city',
      name: 'city',
      maxlength: String(MAX_CITY_LENGTH),
      autocomplete: 'address-level2',
      placeholder: t.cityPlaceholder,
    },
  });
  city.value = draftCity;
  const error = el('p', { className: 'form-error', text: formError, attrs: { role: 'alert' } });
  error.hidden = !formError;
  const submit = el('button', { className: 'primary', text: t.start, attrs: { type: 'submit' } });
  const form = el(
    'form',
    { className: 'start-form stack-form', attrs: { novalidate: '' } },
    el('p', { className: 'intro', text: t.intro }),
    el('label', { attrs: { for: 'name' }, text: t.nameLabel }),
    name,
    el('label', { attrs: { for: 'city' }, text: t.cityLabel }),
    city,
    error,
    submit,
  );
  name.addEventListener('input', () => (draftName = name.value));
  city.addEventListener('input', () => (draftCity = city.value));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const n = name.value.trim();
    const c = city.value.trim();
    if (!n) {
      formError = t.nameRequired;
      setText(error, formError);
      error.hidden = false;
      name.focus();
      return;
    }
    submit.disabled = true;
    setText(submit, t.starting);
    formError = '';
    startNewSession(n, c).catch((e: unknown) => {
      formError =
        e instanceof LivechatHttpError && e.status === 429
          ? t.rateLimited
          : e instanceof LivechatHttpError && e.code === 'invalid_payload'
            ? e.message
            : t.startFailed;
      setText(error, formError);
      error.hidden = false;
      submit.disabled = false;
      setText(submit, t.start);
    });
  });
  queueMicrotask(() => name.focus());
  return form;
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
  section.append(chatHeader, statusBar.element, queuedNote, list, typingLine, notice, composer);
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
  const waiting = saved?.items.some((i) => i.kind === 'out' && i.status === 'sending') ?? false;
  queuedNote.hidden = !(status.degraded && waiting);
  setText(queuedNote, t.queuedNote);
}

function keyOf(item: Item): string {
  return item.kind === 'out'
    ? `out:${item.clientMessageId}`
    : item.kind === 'in'
      ? `in:${item.messageId}`
      : `note:${item.id}`;
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
  showDelivery(node, item, t);
}

// ---------------------------------------------------------------------------
// Boot
// ---------------------------------------------------------------------------

const previous = loadSaved();
if (previous && Date.parse(previous.expiresAt) > Date.now()) {
  saved = previous;
  openChat();
} else {
  if (previous) {
    draftName = previous.name ?? '';
    draftCity = previous.city ?? '';
    store.remove(STORAGE_KEY);
  }
  render();
}
