/**
 * The on-air queue panel, shared live by all broadcasters: each item shows
 * who wrote it, the text and its state, with buttons to move it up or down,
 * put it on air, mark it used and remove it. Keyboard: every action is a
 * button; on an item, Alt+ArrowUp / Alt+ArrowDown move it, and the focus
 * follows the item to its new place.
 */
import { clear, el, setText } from '../../shared/dom.js';
import type { OnAirItem, ShowData } from './show-data.js';
import type { ShowStrings } from './requests-onair-strings.js';

type Action = 'up' | 'down' | 'on_air' | 'used' | 'removed';

export class OnAirPanel {
  readonly element = el('section', {
    className: 'show-panel onair-panel',
    attrs: { 'aria-labelledby': 'onair-heading' },
  });
  private readonly heading = el('h2', { attrs: { id: 'onair-heading' } });
  private readonly screenLink = el('a', {
    className: 'onair-panel__screen',
    attrs: { href: '/onair', target: '_blank', rel: 'noopener' },
  });
  private readonly hint = el('p', { className: 'show-hint' });
  private readonly list = el('ol', { className: 'show-list' });
  private readonly announcer = el('p', { className: 'visually-hidden', attrs: { 'aria-live': 'polite' } });
  /** After a move: the item and button to give the focus back to once the queue is drawn again. */
  private refocus: { messageId: string; action: Action } | undefined;

  constructor(
    private readonly data: ShowData,
    private readonly strings: () => ShowStrings,
    private readonly failed: (text: string) => void,
  ) {
    this.element.append(
      el('div', { className: 'show-panel__head' }, this.heading, this.screenLink),
      this.hint,
      this.list,
      this.announcer,
    );
  }

  render(): void {
    const t = this.strings();
    const items = this.data.queue.items;
    setText(this.heading, t.queue);
    setText(this.screenLink, `${t.openScreen} ↗`);
    setText(this.hint, t.keyboardHint);
    this.hint.hidden = items.length < 2;
    const active = document.activeElement;
    const focused =
      active instanceof HTMLElement && this.list.contains(active)
        ? {
            messageId: active.closest<HTMLElement>('li')?.dataset['messageId'],
            action: active.dataset['action'] as Action | undefined,
          }
        : undefined;
    clear(this.list);
    if (items.length === 0) {
      this.list.append(el('li', { className: 'empty', text: t.queueEmpty }));
      return;
    }
    items.forEach((item, index) => this.list.append(this.row(item, index, items.length, t)));
    const target = this.refocus ?? focused;
    this.refocus = undefined;
    if (target?.messageId) this.focus(target.messageId, target.action);
  }

  private focus(messageId: string, action: Action | undefined): void {
    const li = this.list.querySelector<HTMLElement>(`li[data-message-id="${CSS.escape(messageId)}"]`);
    if (!li) return;
    const button = action
      ? li.querySelector<HTMLButtonElement>(`button[data-action="${action}"]:not(:disabled)`)
      : null;
    (button ?? li).focus();
  }

  private row(item: OnAirItem, index: number, count: number, t: ShowStrings): HTMLLIElement {
    const { message } = item;
    const name = message.from;
    const stateText = item.state === 'on_air' ? t.stateOnAir : item.state === 'used' ? t.stateUsed : t.stateQueued;
    const button = (
      action: Action,
      label: string,
      options: { aria?: string; disabled?: boolean; className?: string; icon?: string } = {},
    ) => {
      const node = el(
        'button',
        {
          className: options.className ?? 'secondary small',
          attrs: { type: 'button', ...(options.aria ? { 'aria-label': options.aria } : {}) },
          dataset: { action },
        },
        options.icon ? el('span', { text: `${options.icon} `, attrs: { 'aria-hidden': 'true' } }) : null,
        label,
      );
      node.disabled = options.disabled ?? false;
      node.addEventListener('click', () => this.act(item, index, action));
      return node;
    };
    const li = el(
      'li',
      {
        className: `show-item onair-item onair-item--${item.state}`,
        dataset: { messageId: message.messageId, state: item.state },
        attrs: { tabindex: '-1', 'aria-label': `${index + 1}. ${name}: ${stateText}` },
      },
      el(
        'div',
        { className: 'show-item__main' },
        el('span', { className: 'onair-item__state', text: stateText }),
        el('span', { className: 'onair-item__from', text: item.city ? `${name} · ${item.city}` : name }),
      ),
      el('p', { className: 'onair-item__text', text: message.text }),
      el(
        'div',
        { className: 'show-item__actions' },
        button('up', t.up, { icon: '↑', aria: t.moveUp(name), disabled: index === 0 }),
        button('down', t.down, { icon: '↓', aria: t.moveDown(name), disabled: index === count - 1 }),
        button('on_air', t.putOnAir, { disabled: item.state === 'on_air', className: 'primary small' }),
        button('used', t.markUsed, { disabled: item.state === 'used' }),
        button('removed', t.remove, { className: 'link-button small' }),
      ),
    );
    li.addEventListener('keydown', (event) => {
      if (!event.altKey || (event.key !== 'ArrowUp' && event.key !== 'ArrowDown')) return;
      event.preventDefault();
      this.act(item, index, event.key === 'ArrowUp' ? 'up' : 'down');
    });
    return li;
  }

  private act(item: OnAirItem, index: number, action: Action): void {
    const t = this.strings();
    const { messageId, from } = item.message;
    const done =
      action === 'up' || action === 'down'
        ? this.data.move(messageId, action === 'up' ? -1 : 1).then((moved) => {
            if (!moved) return;
            this.refocus = { messageId, action };
            setText(this.announcer, t.movedTo(from, index + (action === 'up' ? 0 : 2)));
          })
        : this.data.setState(messageId, action).then(() => {
            if (action === 'on_air') setText(this.announcer, t.onAirNow(from));
          });
    done.catch(() => this.failed(t.failed));
  }
}
