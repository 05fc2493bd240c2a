/**
 * The listener widget (served at `/`, embeddable in an iframe).
 *
 * A name (and city) form starts a session; the chat view shows the
 * conversation with a delivery state per message, the broadcaster's replies
 * and typing, and the connection state. The session, the transcript and the
 * unacknowledged messages are kept by ./host-storage.ts (the embedding page's
 * storage, else this origin's), so a reload resumes the same conversation;
 * the history is loaded from the server, so other tabs' messages show too.
 */
import {
  connectListener,
  createSession,
  eraseSession,
  getOwnMessages,
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
import { Chime } from '../dashboard/sound.js';
import { clear, el, isAtBottom, scrollToBottom, setText, syncList } from '../shared/dom.js';
import { formatTime, initialLang, strings, type Lang, type Strings } from '../shared/i18n.js';
import { brand, langToggle } from '../shared/page.js';
import { StatusBar } from '../shared/status-bar.js';
import { AnnouncementBanner } from './announcement-banner.js';
import { RequestMode, requestBubbleText } from './request-mode.js';
import { askHostToClose, newDeviceId, openWidgetStorage, type WidgetStorage } from './host-storage.js';
import { startForm, type StartDraft } from './start-form.js';
import { widgetText } from './widget-text.js';
import {
  applyDelivery,
  hasWaiting,
  keyOf,
  mergeHistory,
  pendingOf,
  receivedIds,
  receivedItem,
  sentItem,
  trimItems,
  validSaved,
  type Item,
  type Saved,
} from './transcript.js';

const STORAGE_KEY = 'session.v1';
const DEVICE_KEY = 'device';
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
let storage: WidgetStorage;
/** Replies that arrived while the page was hidden (shown in the tab title). */
let unseen = 0;
/** When sending is allowed again after a rate limit (epoch ms), for the countdown. */
let rateLimitedUntil = 0;
let confirmingEnd = false;
/** The server's words when a broadcaster banned this session (`error:banned`, then close 4403). */
let bannedMessage: string | undefined;
const chime = new Chime();
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
const list = el('ol', { className: 'messages' });
/** The conversation as a live log; the list inside keeps its list semantics (and scrolls). */
const log = el('div', { className: 'messages-log', attrs: { role: 'log', 'aria-live': 'polite' } }, list);
const newReplyHint = el('button', { className: 'new-reply', attrs: { type: 'button' } });
newReplyHint.hidden = true;
newReplyHint.addEventListener('click', () => {
  scrollToBottom(list);
  newReplyHint.hidden = true;
});
list.addEventListener('scroll', () => {
  if (isAtBottom(list)) newReplyHint.hidden = true;
});
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
  storage.set(STORAGE_KEY, saved);
}

/** This browser's device id, made once and kept (also across ended chats). */
function deviceId(): string {
  const known = storage.get<string>(DEVICE_KEY);
  if (typeof known === 'string' && /^[A-Za-z0-9_-]{16,64}$/.test(known)) return known;
  const made = newDeviceId();
  storage.set(DEVICE_KEY, made);
  return made;
}

// ---------------------------------------------------------------------------
// Session
// ---------------------------------------------------------------------------

async function startNewSession(name: string, city: string): Promise<void> {
  const credentials = await createSession({
    baseUrl: location.origin,
    name,
    ...(city ? { city } : {}),
    deviceId: deviceId(),
  });
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
      // Linked to the expired one, so the broadcaster sees one listener, not two.
      const fresh = await createSession({
        baseUrl: location.origin,
        name: current.name,
        ...(current.city ? { city: current.city } : {}),
        deviceId: deviceId(),
        previousSessionToken: current.sessionToken,
      }).catch((error: unknown) => {
        if (!(error instanceof LivechatHttpError && error.code === 'invalid_payload')) throw error;
        // The old token is no longer accepted (too old): a session without the link.
        return createSession({
          baseUrl: location.origin,
          name: current.name,
          ...(current.city ? { city: current.city } : {}),
          deviceId: deviceId(),
        });
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
    if (saved.items.some((i) => i.kind === 'in' && i.messageId === m.messageId)) return;
    const wasAtBottom = isAtBottom(list);
    saved.items.push(receivedItem(m));
    saved.lastMessageId = m.messageId;
    persist();
    hideTyping();
    renderMessages();
    if (!wasAtBottom) {
      setText(newReplyHint, widgetText(lang).newReply);
      newReplyHint.hidden = false;
    }
    if (document.hidden) {
      unseen += 1;
      renderTitle();
      chime.play();
    }
  });
  c.on('message:sent', (m) => {
    if (!saved || c !== client || m.sessionId !== saved.sessionId) return;
    if (saved.items.some((i) => i.kind !== 'note' && i.messageId === m.messageId)) return;
    saved.items.push(sentItem(m));
    persist();
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
    void loadHistory(c);
  });
  c.on('error:rate_limited', (e) => {
    if (c !== client) return;
    if (e.reason === 'requests') requestMode.onLimit();
    else startRateLimitCountdown(e.retryAfterMs);
  });
  c.on('request:update', (u) => c === client && requestMode.onUpdate(u, list));
  c.on('announcement', (a) => c === client && announcements.show(a));
  c.on('error:banned', (e) => {
    if (c === client) bannedMessage = e.message;
  });
  typing = c.typing();
  view = 'chat';
  render();
  c.connect();
}

/** The session's stored history (both directions, other tabs' messages too), merged into the transcript. */
async function loadHistory(c: ListenerClient): Promise<void> {
  const s = saved;
  if (!s) return;
  try {
    const history = await getOwnMessages({ baseUrl: location.origin, token: s.sessionToken, limit: 500 });
    if (c !== client || saved !== s) return;
    s.items = mergeHistory(s.items, history);
    persist();
    renderMessages();
  } catch {
    // The history stays as kept; live messages keep coming.
  }
}

/** Ends the chat here; with `erase`, the conversation is erased on the server first. */
async function finishChat(erase: boolean): Promise<void> {
  if (erase && saved) {
    try {
      await eraseSession({ baseUrl: location.origin, token: saved.sessionToken });
    } catch {
      showNotice(widgetText(lang).eraseFailed);
      return;
    }
  }
  confirmingEnd = false;
  endChat();
}

function endChat(): void {
  bannedMessage = undefined;
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
  storage.remove(STORAGE_KEY);
  statusBar.reset();
  hideTyping();
  view = 'form';
  render();
}

function onState(change: StateChange): void {
  statusBar.update(change);
  if (change.state !== 'open') hideTyping();
  renderStatus();
  if (change.state === 'closed' && change.reason === 'erased') {
    // Erased from another tab: nothing is left to show.
    endChat();
    return;
  }
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

/** The rate-limit notice, counting down to when messages go out again. */
function startRateLimitCountdown(retryAfterMs: number): void {
  rateLimitedUntil = Math.max(rateLimitedUntil, Date.now() + retryAfterMs);
  clearTimeout(noticeTimer);
  const tick = () => {
    const left = Math.ceil((rateLimitedUntil - Date.now()) / 1000);
    if (left <= 0) {
      notice.hidden = true;
      return;
    }
    setText(notice, widgetText(lang).rateLimited(left));
    notice.hidden = false;
    noticeTimer = setTimeout(tick, 250);
  };
  tick();
}

function renderTitle(): void {
  const base = `${t.widgetTitle} — ${t.station}`;
  document.title = unseen > 0 ? `(${unseen}) ${widgetText(lang).newReplyTitle} — ${base}` : base;
}

document.addEventListener('visibilitychange', () => {
  if (document.hidden) return;
  unseen = 0;
  renderTitle();
});
document.addEventListener('keydown', (event) => {
  if (event.key === 'Escape' && embedded) askHostToClose();
});
document.addEventListener('pointerdown', () => chime.unlock(), { once: true });
document.addEventListener('keydown', () => chime.unlock(), { once: true });

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
  renderTitle();
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
  end.addEventListener('click', () => {
    confirmingEnd = true;
    renderChatHeader();
    chatHeader?.querySelector<HTMLButtonElement>('.end-confirm button')?.focus();
  });
  chatHeader.append(el('span', { className: 'chat-as', text: who }), end);
  if (confirmingEnd) chatHeader.append(endConfirmation());
}

/** "Akhiri chat" asks first, and offers to erase the conversation for real. */
function endConfirmation(): HTMLElement {
  const w = widgetText(lang);
  const keep = el('button', { className: 'secondary', text: w.endKeep, attrs: { type: 'button' } });
  const erase = el('button', { className: 'danger', text: w.endErase, attrs: { type: 'button' } });
  const cancel = el('button', { className: 'link-button', text: w.cancel, attrs: { type: 'button' } });
  keep.addEventListener('click', () => void finishChat(false));
  erase.addEventListener('click', () => void finishChat(true));
  cancel.addEventListener('click', () => {
    confirmingEnd = false;
    renderChatHeader();
    chatHeader?.querySelector<HTMLButtonElement>('.end-chat')?.focus();
  });
  const box = el(
    'div',
    { className: 'end-confirm', attrs: { role: 'group', 'aria-label': w.endQuestion } },
    el('p', { text: w.endQuestion }),
    el('p', { className: 'end-confirm__hint', text: w.endHint }),
    el('div', { className: 'end-confirm__actions' }, keep, erase, cancel),
  );
  box.addEventListener('keydown', (event) => {
    if (event.key !== 'Escape') return;
    event.stopPropagation();
    cancel.click();
  });
  return box;
}

function renderChat(): HTMLElement {
  const section = el('section', { className: 'chat', attrs: { 'aria-label': t.widgetTitle } });
  chatHeader = el('div', { className: 'chat-meta' });
  renderChatHeader();
  const state = statusBar.lastState?.state;
  if (state === 'expired' || state === 'closed') {
    const again = el('button', { className: 'primary', text: t.startAgain, attrs: { type: 'button' } });
    again.addEventListener('click', endChat);
    const ended = el('div', { className: 'ended' }, el('p', { text: bannedMessage ?? t.sessionExpired }), again);
    section.append(chatHeader, statusBar.element, log, ended);
    renderStatus();
    renderMessages();
    return section;
  }
  const input = el('textarea', {
    className: 'composer__input',
    attrs: {
      rows: '2',
      placeholder: t.composerPlaceholder,
      'aria-label': t.composerLabel,
      'aria-describedby': 'composer-counter',
    },
  });
  // No maxlength: a long paste is kept whole and the counter says how much is over.
  const counter = el('p', { className: 'composer__counter', attrs: { id: 'composer-counter', 'aria-live': 'polite' } });
  const renderCounter = () => {
    const length = [...input.value.trim()].length;
    const over = length > MAX_TEXT_LENGTH;
    setText(counter, over ? widgetText(lang).tooLong(length - MAX_TEXT_LENGTH) : `${length} / ${MAX_TEXT_LENGTH}`);
    counter.classList.toggle('composer__counter--over', over);
    input.setAttribute('aria-invalid', String(over));
  };
  input.addEventListener('input', renderCounter);
  renderCounter();
  const sendButton = el('button', { className: 'primary composer__send', text: t.send, attrs: { type: 'submit' } });
  const composer = el('form', { className: 'composer' }, input, sendButton);
  wireComposer(composer, input, {
    onSend: (text) => {
      if (!client || [...text].length > MAX_TEXT_LENGTH) return false;
      queueMicrotask(renderCounter);
      typing?.stop();
      client.sendMessage(text);
      return true;
    },
    typing: () => typing,
  });
  announcements.render();
  section.append(
    chatHeader,
    statusBar.element,
    announcements.element,
    queuedNote,
    log,
    newReplyHint,
    typingLine,
    notice,
    requestMode.element(),
    composer,
    counter,
  );
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

async function boot(): Promise<void> {
  storage = await openWidgetStorage();
  document.body.dataset['storage'] = storage.where;
  const previous = validSaved(storage.get<Saved>(STORAGE_KEY));
  // An expired session is opened too: the client renews it, linked to this one.
  if (previous) {
    saved = previous;
    openChat();
  } else {
    render();
  }
}

void boot();
