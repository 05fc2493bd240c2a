/** A modal tool window (native `<dialog>`: focus kept inside, Escape closes) with a title and a close button. */
import { el, setText } from '../../shared/dom.js';

export class ToolDialog {
  readonly element: HTMLDialogElement;
  readonly body = el('div', { className: 'tool-dialog__body' });
  private readonly title: HTMLHeadingElement;
  private readonly closeButton = el('button', {
    className: 'link-button tool-dialog__close',
    attrs: { type: 'button' },
  });

  constructor(id: string) {
    this.title = el('h2', { className: 'tool-dialog__title', attrs: { id: `${id}-title` } });
    this.element = el(
      'dialog',
      { className: 'tool-dialog', attrs: { id, 'aria-labelledby': `${id}-title` } },
      el('header', { className: 'tool-dialog__header' }, this.title, this.closeButton),
      this.body,
    );
    this.closeButton.addEventListener('click', () => this.element.close());
  }

  setTitles(title: string, close: string): void {
    setText(this.title, title);
    setText(this.closeButton, close);
  }

  open(): void {
    if (!this.element.isConnected) document.body.append(this.element);
    if (!this.element.open) this.element.showModal();
  }
}
