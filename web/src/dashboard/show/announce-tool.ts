/** The announcement form (POST /livechat/admin/announcements). */
import { el, setText } from '../../shared/dom.js';
import type { AdminApi } from './admin-api.js';
import { ToolDialog } from './dialog.js';
import type { ShowStrings } from './strings.js';

export class AnnounceTool {
  readonly dialog = new ToolDialog('announce-dialog');
  private readonly input = el('textarea', {
    className: 'announce__input',
    attrs: { id: 'announce-text', rows: '3', maxlength: '1000', required: '' },
  });
  private readonly label = el('label', { attrs: { for: 'announce-text' } });
  private readonly hint = el('p', { className: 'tool-hint', attrs: { id: 'announce-hint' } });
  private readonly button = el('button', { className: 'primary', attrs: { type: 'submit' } });
  private readonly status = el('p', { className: 'tool-status', attrs: { role: 'status' } });
  private t: ShowStrings | undefined;

  constructor(private readonly api: AdminApi) {
    this.input.setAttribute('aria-describedby', 'announce-hint');
    const form = el('form', { className: 'announce' }, this.label, this.input, this.hint, this.button);
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.send();
    });
    this.dialog.body.append(form, this.status);
  }

  render(t: ShowStrings): void {
    this.t = t;
    this.dialog.setTitles(t.announce, t.close);
    setText(this.label, t.announceLabel);
    setText(this.hint, t.announceHint);
    setText(this.button, t.announceSend);
  }

  open(): void {
    setText(this.status, '');
    this.dialog.open();
    this.input.focus();
  }

  private async send(): Promise<void> {
    const t = this.t!;
    const text = this.input.value.trim();
    if (text === '') return;
    this.button.disabled = true;
    try {
      await this.api.announce(text);
      this.input.value = '';
      setText(this.status, t.announceSent);
    } catch (error) {
      const detail = error instanceof Error && error.message ? ` ${error.message}` : '';
      setText(this.status, `${t.announceFailed}${detail}`);
    } finally {
      this.button.disabled = false;
    }
  }
}
