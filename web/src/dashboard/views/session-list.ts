/**
 * The session list: a windowed, keyed list. Only the rows in view (and a few
 * around them) exist; each is created once per session, moved into place and
 * patched only when its conversation changed (conversations are immutable, so
 * "changed" is "another object"). One delegated listener per event type on
 * the list, none per row. Keyboard: one tab stop (roving tabindex), arrows,
 * Page Up/Down, Home/End move between rows, Enter/Space open one; focus stays
 * on the same session while rows move.
 */
import { clear, el, setText, syncList } from '../../shared/dom.js';
import { formatTime } from '../../shared/i18n.js';
import { nextRowIndex, orderSessions, presenceOf, sessionPreview, visibleRange, type Conversation } from '../model.js';
import type { Dashboard } from '../state.js';
import { previewOfHidden, showBlockBadge } from './session-moderation.js';

/** A row's height in rem (the CSS gives `.session-row` the same). */
const ROW_REM = 4;

interface RowParts {
  button: HTMLButtonElement;
  dot: HTMLSpanElement;
  /** The presence in words, for screen readers (the dot is decoration). */
  presence: HTMLSpanElement;
  name: HTMLSpanElement;
  city: HTMLSpanElement;
  time: HTMLTimeElement;
  last: HTMLSpanElement;
  badge: HTMLSpanElement;
  /** The unread count in words, for screen readers (the badge shows the number). */
  unread: HTMLSpanElement;
  /** What the row shows now, to skip rows whose session did not change. */
  shown?: { conv: Conversation; current: boolean; connected: boolean };
}

export class SessionListView {
  readonly element: HTMLElement;
  private readonly heading = el('h2', { attrs: { id: 'sessions-heading' } });
  private readonly scroller = el('div', { className: 'session-scroll' });
  private readonly list = el('ul', { className: 'session-list', attrs: { 'aria-labelledby': 'sessions-heading' } });
  private readonly rows = new Map<string, HTMLLIElement>();
  private readonly parts = new WeakMap<HTMLLIElement, RowParts>();
  /** The session whose row is the list's tab stop (where keyboard focus is or was). */
  private focusKey: string | undefined;
  private rowHeight = 0;

  constructor(
    private readonly dash: Dashboard,
    onOpen: (sessionId: string) => void,
  ) {
    this.scroller.append(this.list);
    this.element = el('aside', { className: 'session-pane' }, this.heading, this.scroller);
    this.scroller.addEventListener('scroll', () => dash.loop.renderNext('list'), { passive: true });
    // A taller pane (window resized, pane shown again) shows more rows.
    new ResizeObserver(() => dash.loop.renderNext('list')).observe(this.scroller);
    this.list.addEventListener('click', (event) => {
      const id = this.sessionOf(event.target);
      if (id) onOpen(id);
    });
    this.list.addEventListener('focusin', (event) => {
      const id = this.sessionOf(event.target);
      if (id) this.focusKey = id;
    });
    this.list.addEventListener('keydown', (event) => this.onKey(event));
  }

  /** Drops every row (language switch, logout): the next render builds them anew. */
  reset(): void {
    clear(this.list);
    this.rows.clear();
    this.focusKey = undefined;
  }

  render(): void {
    const { state } = this.dash;
    setText(this.heading, state.t.sessions);
    const { listFilter } = state;
    const shown = listFilter ? [...state.conversations.values()].filter(listFilter) : state.conversations.values();
    const order = (state.order ??= orderSessions(shown));
    if (order.length === 0) {
      this.reset();
      this.list.style.height = '';
      this.list.append(el('li', { className: 'empty', text: state.t.noSessions }));
      return;
    }
    const h = this.measureRowHeight();
    this.list.style.height = `${order.length * h}px`;
    const { start, end } = visibleRange(this.scroller.scrollTop, this.scroller.clientHeight, h, order.length);
    const indices: number[] = [];
    for (let i = start; i < end; i++) indices.push(i);
    const hadFocus = this.list.contains(document.activeElement);
    const focusIndex = hadFocus && this.focusKey ? order.indexOf(this.focusKey) : -1;
    if (focusIndex >= 0 && (focusIndex < start || focusIndex >= end)) {
      // Keep the focused row in the page (in its place) while it is out of view.
      indices.push(focusIndex);
      indices.sort((a, b) => a - b);
    }
    syncList(
      this.list,
      this.rows,
      indices,
      (i) => order[i]!,
      () => this.createRow(),
      (li, i) => this.updateRow(li, state.conversations.get(order[i]!)!, i, order.length, h),
    );
    const stop = this.tabStop(order, start, end);
    for (const [id, li] of this.rows) this.parts.get(li)!.button.tabIndex = id === stop ? 0 : -1;
    if (hadFocus && this.focusKey) {
      const button = this.rows.get(this.focusKey) && this.parts.get(this.rows.get(this.focusKey)!)!.button;
      if (button && document.activeElement !== button) button.focus({ preventScroll: true });
    }
  }

  private sessionOf(target: EventTarget | null): string | undefined {
    return target instanceof Element ? target.closest<HTMLElement>('.session')?.dataset['sessionId'] : undefined;
  }

  /** The row that takes Tab: the one last focused, else the open one, else the first in view. */
  private tabStop(order: readonly string[], start: number, end: number): string | undefined {
    for (const id of [this.focusKey, this.dash.state.selected]) if (id && this.rows.has(id)) return id;
    return start < end ? order[start] : undefined;
  }

  private measureRowHeight(): number {
    if (this.rowHeight === 0) {
      const rem = parseFloat(getComputedStyle(document.documentElement).fontSize) || 16;
      this.rowHeight = Math.round(ROW_REM * rem);
    }
    return this.rowHeight;
  }

  private onKey(event: KeyboardEvent): void {
    const id = this.sessionOf(event.target);
    const order = this.dash.state.order;
    if (!id || !order) return;
    const page = Math.max(1, Math.floor(this.scroller.clientHeight / this.rowHeight) - 1);
    const to = nextRowIndex(event.key, order.indexOf(id), order.length, page);
    if (to === undefined) return;
    event.preventDefault();
    this.focusKey = order[to]!;
    const top = to * this.rowHeight;
    if (top < this.scroller.scrollTop) this.scroller.scrollTop = top;
    else if (top + this.rowHeight > this.scroller.scrollTop + this.scroller.clientHeight)
      this.scroller.scrollTop = top + this.rowHeight - this.scroller.clientHeight;
    this.render();
    this.parts.get(this.rows.get(this.focusKey)!)?.button.focus({ preventScroll: true });
  }

  private createRow(): HTMLLIElement {
    const parts: RowParts = {
      button: el('button', { className: 'session', attrs: { type: 'button' } }),
      dot: el('span', { className: 'dot', attrs: { 'aria-hidden': 'true' } }),
      presence: el('span', { className: 'visually-hidden' }),
      name: el('span', { className: 'session__name' }),
      city: el('span', { className: 'session__city' }),
      time: el('time', { className: 'session__time' }),
      last: el('span', { className: 'session__last' }),
      badge: el('span', { className: 'badge', attrs: { 'aria-hidden': 'true' } }),
      unread: el('span', { className: 'visually-hidden' }),
    };
    parts.button.append(
      parts.dot,
      el(
        'span',
        { className: 'session__body' },
        el('span', { className: 'session__top' }, parts.name, parts.presence, parts.city, parts.time),
        parts.last,
      ),
    );
    const li = el('li', { className: 'session-row' }, parts.button);
    this.parts.set(li, parts);
    return li;
  }

  private updateRow(li: HTMLLIElement, conv: Conversation, index: number, count: number, h: number): void {
    const { state } = this.dash;
    const { t } = state;
    const transform = `translateY(${index * h}px)`;
    if (li.style.transform !== transform) li.style.transform = transform;
    setAttr(li, 'aria-posinset', String(index + 1));
    setAttr(li, 'aria-setsize', String(count));
    const p = this.parts.get(li)!;
    const current = conv.sessionId === state.selected;
    const { connected } = state;
    if (p.shown && p.shown.conv === conv && p.shown.current === current && p.shown.connected === connected) return;
    p.shown = { conv, current, connected };
    p.button.dataset['sessionId'] = conv.sessionId;
    p.button.dataset['online'] = String(conv.online);
    const presence = presenceOf(conv, connected);
    p.button.dataset['presence'] = presence;
    setAttr(p.button, 'aria-current', String(current));
    p.dot.className = `dot dot--${presence}`;
    const presenceText = presence === 'online' ? t.online : presence === 'offline' ? t.offline : t.presenceUnknown;
    setAttr(p.dot, 'title', presenceText);
    setText(p.presence, `, ${presenceText}`);
    setText(p.name, conv.name);
    setText(p.city, conv.city);
    p.city.hidden = !conv.city;
    setText(p.time, conv.lastMessageAt ? formatTime(conv.lastMessageAt, state.lang) : '');
    const preview = sessionPreview(conv, state.auth?.name);
    setText(
      p.last,
      preview.kind === 'typing'
        ? t.typing(conv.name)
        : preview.kind === 'message'
          ? (preview.prefix === 'you' ? t.youPrefix : preview.prefix === 'colleague' ? `${preview.from}: ` : '') +
            preview.text
          : preview.kind === 'hidden'
            ? previewOfHidden(preview.held, state.lang)
            : preview.kind === 'loading'
              ? t.loading
              : preview.kind === 'none'
                ? t.noMessagesYet
                : '',
    );
    showBlockBadge(p.city, conv, state.lang);
    p.last.className = `session__last ${conv.typing ? 'session__last--typing' : ''}`;
    if (conv.unread > 0) {
      setText(p.badge, String(conv.unread));
      setText(p.unread, `, ${t.unread(conv.unread)}`);
      if (p.badge.parentNode !== p.button) p.button.append(p.badge, p.unread);
    } else {
      p.badge.remove();
      p.unread.remove();
    }
  }
}

function setAttr(node: Element, name: string, value: string): void {
  if (node.getAttribute(name) !== value) node.setAttribute(name, value);
}
