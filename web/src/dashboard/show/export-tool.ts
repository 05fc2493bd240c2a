/** The CSV export (GET /livechat/admin/export): a time range, then a download. */
import { el, setText } from '../../shared/dom.js';
import type { AdminApi } from './admin-api.js';
import { ToolDialog } from './dialog.js';
import { toLocalInput } from './format.js';
import type { ShowStrings } from './strings.js';

export class ExportTool {
  readonly dialog = new ToolDialog('export-dialog');
  private readonly from = el('input', { attrs: { type: 'datetime-local', id: 'export-from', required: '' } });
  private readonly to = el('input', { attrs: { type: 'datetime-local', id: 'export-to', required: '' } });
  private readonly fromLabel = el('label', { attrs: { for: 'export-from' } });
  private readonly toLabel = el('label', { attrs: { for: 'export-to' } });
  private readonly hint = el('p', { className: 'tool-hint' });
  private readonly button = el('button', { className: 'primary', attrs: { type: 'submit' } });
  private readonly status = el('p', { className: 'tool-status', attrs: { role: 'status' } });
  private t: ShowStrings | undefined;

  constructor(private readonly api: AdminApi) {
    const form = el(
      'form',
      { className: 'export' },
      el('div', { className: 'field' }, this.fromLabel, this.from),
      el('div', { className: 'field' }, this.toLabel, this.to),
      this.hint,
      this.button,
    );
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.download();
    });
    this.dialog.body.append(form, this.status);
  }

  render(t: ShowStrings): void {
    this.t = t;
    this.dialog.setTitles(t.exportTitle, t.close);
    setText(this.fromLabel, t.exportFrom);
    setText(this.toLabel, t.exportTo);
    setText(this.hint, t.exportHint);
    setText(this.button, t.exportButton);
  }

  open(): void {
    // Default: the last three hours (about one show).
    const now = new Date();
    if (this.from.value === '') this.from.value = toLocalInput(new Date(now.getTime() - 3 * 3600_000));
    this.to.value = toLocalInput(new Date(now.getTime() + 60_000));
    setText(this.status, '');
    this.dialog.open();
    this.from.focus();
  }

  private async download(): Promise<void> {
    const from = new Date(this.from.value);
    const to = new Date(this.to.value);
    if (Number.isNaN(from.getTime()) || Number.isNaN(to.getTime())) return;
    this.button.disabled = true;
    try {
      const blob = await this.api.exportCsv(from.toISOString(), to.toISOString());
      const url = URL.createObjectURL(blob);
      const link = el('a', {
        attrs: { href: url, download: `pesan-${this.from.value.slice(0, 10)}-${this.to.value.slice(0, 10)}.csv` },
      });
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
      setText(this.status, '');
    } catch {
      setText(this.status, this.t!.exportFailed);
    } finally {
      this.button.disabled = false;
    }
  }
}
