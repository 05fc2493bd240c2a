/**
 * The conversation pane: its header (back, online dot, name, city), the
 * loading or error line, the messages (keyed: a new message adds one row, the
 * scroll position stays unless it was at the bottom), the typing line and the
 * reply box. Built once; `render` brings it up to date with the open session.
 */
import { MAX_TEXT_LENGTH, type Message } from '../../../../src/client/index.js';
import { deliveryRow, showDelivery } from '../../shared/delivery.js';
import { clear, el, isAtBottom, scrollToBottom, setText, syncList } from '../../shared/dom.js';
import { formatTime } from '../../shared/i18n.js';
import { conversationRows, presenceOf, type Conversation, type ConversationRow, type PendingReply } from '../model.js';
import type { Dashboard } from '../state.js';

export interface ConversationActions {
  onBack(): void;
  onRetry(clientMessageId: string): void;
  onRemove(clientMessageId: string): void;
  /** Open another session (the newer one an ended session links to). */
  onOpenSession(sessionId: string): void;
  /** Shown under a stored message (e.g. the live show's request and "Antrekan" button). */
  messageExtras?(message: Message): Node | null;
  /** Extra controls at the end of the header (moderation), brought up to date with it. */
  headerExtra?: { element: HTMLElement; render(conv: Conversation): void };
  /** Patches a stored message's row after it is created or changed (moderation). */
  decorateMessage?(node: HTMLLIElement, message: Message): void;
}

export class ConversationView {
  readonly element = el('section', { className: 'conversation-pane' });
  readonly replyInput = el('textarea', {
    className: 'reply__input composer__input',
    attrs: { rows: '2', maxlength: String(MAX_TEXT_LENGTH) },
  });
  private readonly replyButton = el('button', { className: 'primary reply__send', attrs: { type: 'submit' } });
  readonly replyForm = el('form', { className: 'reply composer' }, this.replyInput, this.replyButton);
  private readonly placeholder = el('p', { className: 'placeholder' });
  private readonly back = el('button', { className: 'link-button back', attrs: { type: 'button' } });
  private readonly dot = el('span', { className: 'dot', attrs: { 'aria-hidden': 'true' } });
  private readonly title = el('h2', { attrs: { id: 'conversation-title' } });
  private readonly meta = el('span', { className: 'conversation__meta' });
  private readonly header = el(
    'header',
    { className: 'conversation__header' },
    this.back,
    this.dot,
    this.title,
    this.meta,
  );
  private readonly stateLine = el('p');
  /**
   * A log (read out as messages arrive) and one tab stop, so that the keyboard
   * can scroll it and Shift+Tab from the reply box lands here, then on the list.
   */
  readonly messageList = el('ol', { className: 'message-items' });
  readonly messageLog = el('div', { className: 'messages', attrs: { role: 'log', tabindex: '0' } }, this.messageList);
  /** Always in the page (a live region that appears is often not read out); empty when nobody types. */
  private readonly typingLine = el('p', { className: 'typing', attrs: { 'aria-live': 'polite' } });
  /** Shown when a reply found the session ended (`error:session_ended`). */
  private readonly endedText = el('span');
  private readonly openNew = el('button', { className: 'link-button ended__open', attrs: { type: 'button' } });
  private readonly endedLine = el('p', { className: 'ended', attrs: { role: 'alert' } }, this.endedText, this.openNew);
  private newSessionId: string | undefined;
  private readonly nodes = new Map<string, HTMLLIElement>();
  /** The session shown, and whether its history was loaded when last shown (to scroll down once it is). */
  private shown: { sessionId: string; loaded: boolean } | undefined;

  constructor(
    private readonly dash: Dashboard,
    private readonly actions: ConversationActions,
  ) {
    this.back.addEventListener('click', () => actions.onBack());
    this.openNew.addEventListener('click', () => this.newSessionId && actions.onOpenSession(this.newSessionId));
    this.element.setAttribute('aria-labelledby', 'conversation-title');
    if (actions.headerExtra) this.header.append(actions.headerExtra.element);
  }

  /** Forgets the rows (language switch, logout): the next render builds them anew. */
  reset(): void {
    this.shown = undefined;
    this.nodes.clear();
    clear(this.messageList);
  }

  render(): void {
    const { state } = this.dash;
    const { t } = state;
    const conv = state.selected ? state.conversations.get(state.selected) : undefined;
    if (!conv) {
      setText(this.placeholder, t.pickSession);
      if (this.element.firstChild !== this.placeholder || this.element.childNodes.length !== 1)
        this.element.replaceChildren(this.placeholder);
      this.shown = undefined;
      return;
    }
    this.renderHeader(conv);
    const loading = conv.loaded === 'loading' && conv.messages.length === 0;
    this.stateLine.className = loading ? 'placeholder' : 'form-error';
    setText(this.stateLine, loading ? t.loading : conv.loaded === 'error' ? t.loadFailed : '');
    this.stateLine.hidden = !loading && conv.loaded !== 'error';
    if (this.element.firstChild !== this.header)
      this.element.replaceChildren(
        this.header,
        this.stateLine,
        this.messageLog,
        this.typingLine,
        this.endedLine,
        this.replyForm,
      );
    this.messageLog.setAttribute('aria-label', t.messagesWith(conv.name));
    this.renderEnded(conv);
    this.replyInput.placeholder = t.replyPlaceholder;
    this.replyInput.setAttribute('aria-label', t.replyPlaceholder);
    setText(this.replyButton, t.reply);
    const switched = this.shown?.sessionId !== conv.sessionId;
    if (switched) this.reset();
    const justLoaded = !switched && this.shown?.loaded === false && conv.loaded === 'yes';
    this.shown = { sessionId: conv.sessionId, loaded: conv.loaded === 'yes' };
    this.renderMessages(conv);
    this.renderTyping(conv);
    if (switched || justLoaded) scrollToBottom(this.messageLog);
  }

  private renderHeader(conv: Conversation): void {
    const { t } = this.dash.state;
    setText(this.back, `← ${t.back}`);
    const presence = presenceOf(conv, this.dash.state.connected);
    this.dot.className = `dot dot--${presence}`;
    setText(this.title, conv.name);
    const presenceText = presence === 'online' ? t.online : presence === 'offline' ? t.offline : t.presenceUnknown;
    setText(this.meta, [conv.city ? t.fromCity(conv.city) : '', presenceText].filter(Boolean).join(' · '));
    this.meta.dataset['presence'] = presence;
    this.actions.headerExtra?.render(conv);
  }

  private renderEnded(conv: Conversation): void {
    const { t, endedSessions } = this.dash.state;
    const ended = endedSessions.has(conv.sessionId);
    const next = endedSessions.get(conv.sessionId) ?? undefined;
    this.endedLine.hidden = !ended;
    this.newSessionId = next;
    setText(this.endedText, ended ? (next ? `${t.sessionEnded} ${t.sessionEndedMoved} ` : t.sessionEnded) : '');
    setText(this.openNew, t.openNewSession);
    this.openNew.hidden = !next;
  }

  private renderTyping(conv: Conversation): void {
    const text = conv.typing ? this.dash.state.t.typing(conv.name) : '';
    setText(this.typingLine, text);
  }

  private renderMessages(conv: Conversation): void {
    const { state } = this.dash;
    const stick = isAtBottom(this.messageLog);
    const rows = conversationRows(conv, state.pending.values());
    if (rows.length === 0 && conv.loaded === 'yes') {
      this.nodes.clear();
      this.messageList.replaceChildren(el('li', { className: 'empty', text: state.t.noMessagesYet }));
      return;
    }
    syncList(
      this.messageList,
      this.nodes,
      rows,
      (row) => row.key,
      (row) => ('message' in row ? this.messageNode(row.message) : this.replyNode(row.reply)),
      (node, row: ConversationRow) => {
        if (!('reply' in row)) return this.actions.decorateMessage?.(node, row.message);
        // Once acknowledged, the text is the ack's: as stored, as the listener sees it.
        setText(node.querySelector('.msg__text')!, row.reply.text);
        showDelivery(node, row.reply, state.t);
      },
    );
    if (stick) scrollToBottom(this.messageLog);
  }

  private messageNode(m: Message): HTMLLIElement {
    const own = m.direction === 'broadcaster';
    return el(
      'li',
      { className: `msg ${own ? 'msg--out' : 'msg--in'}`, dataset: { messageId: m.messageId, direction: m.direction } },
      el(
        'div',
        { className: 'msg__meta' },
        el('span', { className: 'msg__from', text: m.from }),
        el('time', {
          className: 'msg__time',
          text: formatTime(m.createdAt, this.dash.state.lang),
          attrs: { datetime: m.createdAt },
        }),
      ),
      el('p', { className: 'msg__text', text: m.text }),
      this.actions.messageExtras?.(m),
    );
  }

  private replyNode(reply: PendingReply): HTMLLIElement {
    const { state } = this.dash;
    return el(
      'li',
      { className: 'msg msg--out', dataset: { clientMessageId: reply.clientMessageId } },
      el('div', { className: 'msg__meta' }, el('span', { className: 'msg__from', text: state.auth?.name ?? '' })),
      el('p', { className: 'msg__text', text: reply.text }),
      deliveryRow(state.t, {
        onRetry: () => this.actions.onRetry(reply.clientMessageId),
        onRemove: () => this.actions.onRemove(reply.clientMessageId),
      }),
    );
  }
}
