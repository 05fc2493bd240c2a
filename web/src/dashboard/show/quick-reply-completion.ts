/**
 * `/shortcut` completion in the reply box: typing `/` and the start of a
 * shortcut lists the matching quick replies (a combobox with a listbox);
 * arrows move, Enter or Tab puts the reply's text in the box, Escape closes.
 * Its keys run before the composer's (capture phase), so Enter picks a
 * suggestion instead of sending while the list is open.
 */
import type { QuickReply } from '../../../../src/protocol/live-show.js';
import { el } from '../../shared/dom.js';
import type { ShowStrings } from './strings.js';

const MAX_SHOWN = 8;
const TYPED_SHORTCUT = /^\/([\p{L}\p{N}_-]*)$/u;

export class QuickReplyCompletion {
  private readonly list = el('ul', {
    className: 'qr-suggestions',
    attrs: { role: 'listbox', id: 'qr-suggestions' },
  });
  private replies: QuickReply[] = [];
  private shown: QuickReply[] = [];
  private active = 0;

  constructor(
    private readonly form: HTMLFormElement,
    private readonly input: HTMLTextAreaElement,
  ) {
    this.list.hidden = true;
    form.prepend(this.list);
    input.setAttribute('role', 'combobox');
    input.setAttribute('aria-autocomplete', 'list');
    input.setAttribute('aria-controls', 'qr-suggestions');
    input.setAttribute('aria-expanded', 'false');
    input.addEventListener('input', () => this.update());
    input.addEventListener('blur', () => this.close());
    form.addEventListener('keydown', (event) => this.onKey(event), { capture: true });
    // mousedown, not click: the input keeps the focus (no blur closing the list first).
    this.list.addEventListener('mousedown', (event) => {
      const option = (event.target as Element).closest<HTMLElement>('[data-index]');
      if (!option) return;
      event.preventDefault();
      this.pick(Number(option.dataset['index']));
    });
  }

  setReplies(replies: QuickReply[]): void {
    this.replies = replies;
    if (!this.list.hidden) this.update();
  }

  render(t: ShowStrings): void {
    this.list.setAttribute('aria-label', t.suggestions);
  }

  private update(): void {
    const typed = TYPED_SHORTCUT.exec(this.input.value);
    if (!typed) return this.close();
    const start = typed[1]!.toLowerCase();
    this.shown = this.replies.filter((reply) => reply.shortcut.startsWith(start)).slice(0, MAX_SHOWN);
    if (this.shown.length === 0) return this.close();
    this.active = Math.min(this.active, this.shown.length - 1);
    this.list.replaceChildren(
      ...this.shown.map((reply, index) =>
        el(
          'li',
          {
            className: 'qr-option',
            attrs: { role: 'option', id: `qr-option-${index}`, 'aria-selected': String(index === this.active) },
            dataset: { index: String(index) },
          },
          el('span', { className: 'qr-option__shortcut', text: `/${reply.shortcut}` }),
          el('span', { className: 'qr-option__text', text: reply.text }),
        ),
      ),
    );
    this.list.hidden = false;
    this.input.setAttribute('aria-expanded', 'true');
    this.input.setAttribute('aria-activedescendant', `qr-option-${this.active}`);
  }

  private close(): void {
    this.list.hidden = true;
    this.shown = [];
    this.active = 0;
    this.input.setAttribute('aria-expanded', 'false');
    this.input.removeAttribute('aria-activedescendant');
  }

  private onKey(event: KeyboardEvent): void {
    if (this.list.hidden || event.target !== this.input) return;
    const handled = () => {
      event.preventDefault();
      event.stopImmediatePropagation();
    };
    if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
      handled();
      const step = event.key === 'ArrowDown' ? 1 : -1;
      this.active = (this.active + step + this.shown.length) % this.shown.length;
      this.update();
    } else if ((event.key === 'Enter' && !event.shiftKey) || event.key === 'Tab') {
      handled();
      this.pick(this.active);
    } else if (event.key === 'Escape') {
      handled();
      this.close();
    }
  }

  private pick(index: number): void {
    const reply = this.shown[index];
    if (!reply) return;
    this.input.value = reply.text;
    this.close();
    this.input.focus();
    this.input.setSelectionRange(reply.text.length, reply.text.length);
    // The composer (typing indicator, size) hears of the change like of typing.
    this.input.dispatchEvent(new Event('input', { bubbles: true }));
  }
}
