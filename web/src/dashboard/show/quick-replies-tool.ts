/** Managing the team's quick replies: list, add, edit, delete (/livechat/admin/quick-replies). */
import type { QuickReply } from '../../../../src/protocol/live-show.js';
import { el, setText } from '../../shared/dom.js';
import type { AdminApi } from './admin-api.js';
import { ToolDialog } from './dialog.js';
import type { ShowStrings } from './strings.js';

export class QuickRepliesTool {
  readonly dialog = new ToolDialog('quick-replies-dialog');
  private readonly hint = el('p', { className: 'tool-hint' });
  private readonly list = el('ul', { className: 'qr-manage' });
  private readonly shortcut = el('input', {
    attrs: { id: 'qr-shortcut', maxlength: '32', required: '', autocomplete: 'off' },
  });
  private readonly text = el('textarea', { attrs: { id: 'qr-text', rows: '2', maxlength: '1000', required: '' } });
  private readonly shortcutLabel = el('label', { attrs: { for: 'qr-shortcut' } });
  private readonly textLabel = el('label', { attrs: { for: 'qr-text' } });
  private readonly save = el('button', { className: 'primary', attrs: { type: 'submit' } });
  private readonly cancel = el('button', { className: 'link-button', attrs: { type: 'button' } });
  private readonly status = el('p', { className: 'tool-status', attrs: { role: 'status' } });
  private replies: QuickReply[] = [];
  /** The quick reply being edited; undefined: the form adds a new one. */
  private editing: string | undefined;
  private t: ShowStrings | undefined;

  constructor(
    private readonly api: AdminApi,
    private readonly onChange: (replies: QuickReply[]) => void,
  ) {
    const form = el(
      'form',
      { className: 'qr-form' },
      el('div', { className: 'field' }, this.shortcutLabel, this.shortcut),
      el('div', { className: 'field' }, this.textLabel, this.text),
      el('div', { className: 'qr-form__actions' }, this.save, this.cancel),
    );
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.submit();
    });
    this.cancel.addEventListener('click', () => this.edit(undefined));
    this.list.addEventListener('click', (event) => {
      const button = (event.target as Element).closest<HTMLButtonElement>('button[data-action]');
      if (!button) return;
      const id = button.dataset['id']!;
      if (button.dataset['action'] === 'edit') this.edit(id);
      else void this.remove(id);
    });
    this.dialog.body.append(this.hint, this.list, form, this.status);
  }

  render(t: ShowStrings): void {
    this.t = t;
    this.dialog.setTitles(t.quickReplies, t.close);
    setText(this.hint, t.quickRepliesHint);
    setText(this.shortcutLabel, t.shortcut);
    setText(this.textLabel, t.text);
    setText(this.cancel, t.cancel);
    this.renderList();
    this.edit(this.editing);
  }

  async load(): Promise<void> {
    try {
      this.replies = await this.api.quickReplies();
      this.onChange(this.replies);
      this.renderList();
    } catch {
      // Completion and this view keep what they had; opening the view loads again.
    }
  }

  open(): void {
    setText(this.status, '');
    this.dialog.open();
    void this.load();
    this.shortcut.focus();
  }

  private renderList(): void {
    const t = this.t;
    if (!t) return;
    if (this.replies.length === 0) {
      this.list.replaceChildren(el('li', { className: 'empty', text: t.noQuickReplies }));
      return;
    }
    this.list.replaceChildren(
      ...this.replies.map((reply) =>
        el(
          'li',
          { className: 'qr-item' },
          el('span', { className: 'qr-option__shortcut', text: `/${reply.shortcut}` }),
          el('span', { className: 'qr-item__text', text: reply.text }),
          el('button', {
            className: 'link-button',
            text: t.edit,
            attrs: { type: 'button', 'aria-label': `${t.edit} /${reply.shortcut}` },
            dataset: { action: 'edit', id: reply.id },
          }),
          el('button', {
            className: 'link-button link-danger',
            text: t.remove,
            attrs: { type: 'button', 'aria-label': `${t.remove} /${reply.shortcut}` },
            dataset: { action: 'remove', id: reply.id },
          }),
        ),
      ),
    );
  }

  private edit(id: string | undefined): void {
    const reply = id === undefined ? undefined : this.replies.find((r) => r.id === id);
    this.editing = reply?.id;
    this.shortcut.value = reply?.shortcut ?? '';
    this.text.value = reply?.text ?? '';
    setText(this.save, reply ? this.t!.save : this.t!.add);
    this.cancel.hidden = !reply;
    if (reply) this.shortcut.focus();
  }

  private async submit(): Promise<void> {
    const change = { shortcut: this.shortcut.value.trim().replace(/^\//, ''), text: this.text.value };
    try {
      if (this.editing === undefined) await this.api.createQuickReply(change);
      else await this.api.updateQuickReply(this.editing, change);
      setText(this.status, '');
      this.edit(undefined);
      await this.load();
      this.shortcut.focus();
    } catch (error) {
      const detail = error instanceof Error && error.message ? ` ${error.message}` : '';
      setText(this.status, `${this.t!.saveFailed}${detail}`);
    }
  }

  private async remove(id: string): Promise<void> {
    try {
      await this.api.deleteQuickReply(id);
      if (this.editing === id) this.edit(undefined);
      await this.load();
      this.shortcut.focus();
    } catch (error) {
      const detail = error instanceof Error && error.message ? ` ${error.message}` : '';
      setText(this.status, `${this.t!.saveFailed}${detail}`);
    }
  }
}
