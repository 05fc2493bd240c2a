/**
 * The "Akun" page, for managers: the broadcaster accounts (create, rename,
 * reset the password, change the role, disable / enable) and the audit log.
 * Everything goes through the REST API; the page loads afresh each time it
 * is opened and after each change.
 */
import { el, setText } from '../../shared/dom.js';
import type { Lang } from '../../shared/i18n.js';
import type { Account, AccountChanges, AuditEntry, ModerationApi, Role } from '../moderation-api.js';
import { moderationStrings, type ModerationStrings } from '../moderation-strings.js';
import { askDialog, dialogField } from './dialog.js';

export const MIN_PASSWORD_LENGTH = 8;

export interface AccountsContext {
  api: ModerationApi;
  lang(): Lang;
  /** The logged-in broadcaster's adminId (their own row offers no disable and no role change). */
  me(): string | undefined;
  /** A listener's name for a sessionId the dashboard knows (audit targets). */
  sessionName(sessionId: string): string | undefined;
  onBack(): void;
}

/** Audit actions in words; an action not listed shows its code. */
const ACTIONS: Record<Lang, Record<string, string>> = {
  id: {
    'session.block': 'Membisukan / memblokir',
    'session.block.mute': 'Membisukan',
    'session.block.ban': 'Memblokir',
    'session.unblock': 'Mencabut bisu / blokir',
    'session.erase': 'Menghapus data sesi',
    'message.hide': 'Menyembunyikan pesan',
    'message.unhide': 'Menampilkan lagi pesan',
    'account.create': 'Membuat akun',
    'account.update': 'Mengubah akun',
    logout: 'Keluar',
  },
  en: {
    'session.block': 'Muted / banned',
    'session.block.mute': 'Muted',
    'session.block.ban': 'Banned',
    'session.unblock': 'Lifted a mute / ban',
    'session.erase': 'Erased a session',
    'message.hide': 'Hid a message',
    'message.unhide': 'Showed a message again',
    'account.create': 'Created an account',
    'account.update': 'Changed an account',
    logout: 'Logged out',
  },
};

export function actionLabel(action: string, lang: Lang, detail?: unknown): string {
  const words = ACTIONS[lang];
  const mode = detail && typeof detail === 'object' ? (detail as { mode?: unknown }).mode : undefined;
  return (typeof mode === 'string' ? words[`${action}.${mode}`] : undefined) ?? words[action] ?? action;
}

const DETAIL_WORDS: Record<Lang, Record<string, string>> = {
  id: {
    mode: 'jenis',
    minutes: 'menit',
    reason: 'alasan',
    until: 'sampai',
    name: 'nama',
    role: 'peran',
    disabled: 'nonaktif',
    password: 'kata sandi',
    username: 'nama pengguna',
    includeIp: 'termasuk IP',
    device: 'perangkat',
    ip: 'alamat IP',
    changed: 'diubah',
    sessionId: 'sesi',
    mute: 'bisu',
    ban: 'blokir',
    true: 'ya',
    false: 'tidak',
  },
  en: {},
};

/** An audit entry's detail in one line: text as is, an object as `key: value` pairs (in the page's language). */
export function detailText(detail: unknown, lang: Lang = 'en'): string {
  if (detail === null || detail === undefined) return '';
  if (typeof detail === 'string') return detail;
  if (typeof detail !== 'object') return String(detail);
  const words = DETAIL_WORDS[lang];
  const word = (w: string) => words[w] ?? w;
  return Object.entries(detail as Record<string, unknown>)
    .filter(([, v]) => v !== null && v !== undefined && v !== '')
    .map(([k, v]) => `${word(k)}: ${typeof v === 'object' ? JSON.stringify(v) : word(String(v))}`)
    .join(', ');
}

export class AccountsView {
  readonly element = el('main', { className: 'accounts-page', attrs: { id: 'akun', tabindex: '-1' } });
  private accounts: Account[] = [];

  constructor(private readonly ctx: AccountsContext) {}

  private get mt(): ModerationStrings {
    return moderationStrings(this.ctx.lang());
  }

  /** Builds the page for the current language and loads its data. */
  open(): void {
    const { mt } = this;
    const back = el('button', { className: 'link-button accounts__back', text: `← ${mt.backToChat}` });
    back.type = 'button';
    back.addEventListener('click', () => this.ctx.onBack());
    this.element.replaceChildren(
      back,
      el(
        'section',
        { className: 'card', attrs: { 'aria-labelledby': 'accounts-heading' } },
        el('h2', { text: mt.accountsTitle, attrs: { id: 'accounts-heading' } }),
        el('p', { className: 'muted', text: mt.accountsIntro }),
        el('p', { className: 'accounts__notice', attrs: { role: 'status' } }),
        el('div', { className: 'accounts__table' }),
        this.createForm(),
      ),
      el(
        'section',
        { className: 'card', attrs: { 'aria-labelledby': 'audit-heading' } },
        el(
          'div',
          { className: 'card__head' },
          el('h2', { text: mt.auditTitle, attrs: { id: 'audit-heading' } }),
          this.refreshButton(),
        ),
        el('p', { className: 'muted', text: mt.auditIntro }),
        el('div', { className: 'audit__table' }),
      ),
    );
    this.element.focus();
    void this.load();
  }

  private refreshButton(): HTMLButtonElement {
    const b = el('button', { className: 'secondary', text: this.mt.refresh, attrs: { type: 'button' } });
    b.addEventListener('click', () => void this.load());
    return b;
  }

  private notice(text: string, tone: 'ok' | 'error' = 'ok'): void {
    const n = this.element.querySelector<HTMLElement>('.accounts__notice');
    if (!n) return;
    n.dataset['tone'] = tone;
    setText(n, text);
  }

  async load(): Promise<void> {
    const { mt } = this;
    const slot = this.element.querySelector<HTMLElement>('.accounts__table')!;
    const auditSlot = this.element.querySelector<HTMLElement>('.audit__table')!;
    if (this.accounts.length === 0) slot.replaceChildren(el('p', { className: 'muted', text: mt.loading }));
    try {
      const [accounts, entries] = await Promise.all([this.ctx.api.accounts(), this.ctx.api.audit(100)]);
      this.accounts = accounts;
      slot.replaceChildren(this.accountTable(accounts));
      auditSlot.replaceChildren(this.auditTable(entries));
    } catch {
      slot.replaceChildren(el('p', { className: 'form-error', text: mt.loadAccountsFailed }));
    }
  }

  private accountTable(accounts: readonly Account[]): HTMLTableElement {
    const { mt } = this;
    const me = this.ctx.me();
    const head = [mt.colUsername, mt.colName, mt.colRole, mt.colStatus, mt.colActions];
    const rows = accounts.map((a) => {
      const own = a.adminId === me;
      const actions = el('div', { className: 'row-actions' });
      const add = (label: string, className: string, run: () => void) => {
        const b = el('button', { className: `link-button ${className}`, text: label, attrs: { type: 'button' } });
        b.addEventListener('click', run);
        actions.append(b);
      };
      add(mt.rename, 'acc-rename', () => void this.rename(a));
      add(mt.resetPassword, 'acc-reset', () => void this.resetPassword(a));
      if (!own) {
        add(
          a.role === 'manager' ? mt.makePenyiar : mt.makeManager,
          'acc-role',
          () => void this.change(a, { role: a.role === 'manager' ? 'penyiar' : 'manager' }),
        );
        add(
          a.disabled ? mt.enable : mt.disable,
          a.disabled ? 'acc-enable' : 'acc-disable link-danger',
          () => void (a.disabled ? this.change(a, { disabled: false }) : this.disable(a)),
        );
      }
      const cells = [
        el('td', {}, a.username, own ? el('span', { className: 'muted', text: ` ${mt.you}` }) : null),
        el('td', { text: a.name }),
        el('td', { text: a.role === 'manager' ? mt.roleManager : mt.rolePenyiar }),
        el(
          'td',
          {},
          el('span', {
            className: `pill ${a.disabled ? 'pill--off' : 'pill--on'}`,
            text: a.disabled ? mt.disabled : mt.active,
          }),
        ),
        el('td', {}, actions),
      ];
      cells.forEach((cell, i) => cell.setAttribute('data-label', head[i]!));
      return el('tr', { dataset: { adminId: a.adminId, username: a.username } }, ...cells);
    });
    return table(head, rows, 'accounts');
  }

  private auditTable(entries: readonly AuditEntry[]): HTMLElement {
    const { mt } = this;
    const lang = this.ctx.lang();
    if (entries.length === 0) return el('p', { className: 'muted', text: mt.noAudit });
    const names = new Map(this.accounts.map((a) => [a.adminId, a.name]));
    const head = [mt.colTime, mt.colWho, mt.colAction, mt.colTarget, mt.colDetail];
    const rows = entries.map((e) => {
      const when = new Date(e.at);
      const cells = [
        el('td', {}, el('time', { text: formatDateTime(when, lang), attrs: { datetime: e.at } })),
        el('td', { text: (e.adminId && names.get(e.adminId)) ?? e.adminId ?? '—' }),
        el('td', { text: actionLabel(e.action, lang, e.detail) }),
        this.targetCell(e, names),
        el('td', { text: detailText(withoutSession(e), lang) }),
      ];
      cells.forEach((cell, i) => cell.setAttribute('data-label', head[i]!));
      return el('tr', {}, ...cells);
    });
    return table(head, rows, 'audit');
  }

  /** The target by name when known (an account, a listener; a message by its listener), else its id. */
  private targetCell(e: AuditEntry, accounts: ReadonlyMap<string, string>): HTMLTableCellElement {
    const target = e.target ?? '';
    const detail = (e.detail ?? {}) as { sessionId?: unknown };
    const name = e.action.startsWith('account.')
      ? accounts.get(target)
      : e.action.startsWith('session.')
        ? this.ctx.sessionName(target)
        : e.action.startsWith('message.') && typeof detail.sessionId === 'string'
          ? this.ctx.sessionName(detail.sessionId)
          : undefined;
    if (!name) return el('td', { className: 'mono', text: target });
    const text = e.action.startsWith('message.') ? this.mt.messageOf(target, name) : name;
    return el('td', { attrs: { title: target } }, text);
  }

  private createForm(): HTMLElement {
    const { mt } = this;
    const error = el('p', { className: 'form-error', attrs: { role: 'alert' } });
    error.hidden = true;
    const role = el(
      'select',
      { attrs: { id: 'new-role', name: 'role' } },
      el('option', { text: mt.rolePenyiar, attrs: { value: 'penyiar', selected: '' } }),
      el('option', { text: mt.roleManager, attrs: { value: 'manager' } }),
    );
    const form = el(
      'form',
      { className: 'new-account' },
      el('h3', { text: mt.newAccount }),
      el(
        'div',
        { className: 'new-account__fields' },
        dialogField(mt.colUsername, 'username', { required: '', maxlength: '100', autocomplete: 'off' }),
        dialogField(mt.colName, 'name', { required: '', maxlength: '50', autocomplete: 'off' }),
        dialogField(
          mt.newPassword,
          'password',
          { required: '', type: 'password', minlength: String(MIN_PASSWORD_LENGTH), autocomplete: 'new-password' },
          mt.passwordHint,
        ),
        el('div', { className: 'field' }, el('label', { text: mt.colRole, attrs: { for: 'new-role' } }), role),
      ),
      error,
      el('button', { className: 'primary', text: mt.create, attrs: { type: 'submit' } }),
    );
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      const data = new FormData(form);
      const username = String(data.get('username') ?? '').trim();
      const account = {
        username,
        name: String(data.get('name') ?? '').trim(),
        password: String(data.get('password') ?? ''),
        role: (data.get('role') === 'manager' ? 'manager' : 'penyiar') as Role,
      };
      error.hidden = true;
      this.ctx.api.createAccount(account).then(
        () => {
          form.reset();
          this.notice(mt.created(username));
          void this.load();
        },
        (e: unknown) => {
          const status = (e as { status?: number }).status;
          error.textContent = status === 409 ? mt.usernameTaken : status === 400 ? mt.invalidInput : mt.actionFailed;
          error.hidden = false;
        },
      );
    });
    return form;
  }

  private async rename(a: Account): Promise<void> {
    const { mt } = this;
    const data = await askDialog({
      title: mt.renameTitle(a.username),
      body: [dialogField(mt.colName, 'name', { required: '', maxlength: '50', value: a.name, autocomplete: 'off' })],
      confirmLabel: mt.save,
      cancelLabel: mt.cancel,
      focus: 'first-field',
    });
    const name = String(data?.get('name') ?? '').trim();
    if (data && name && name !== a.name) await this.change(a, { name });
  }

  private async resetPassword(a: Account): Promise<void> {
    const { mt } = this;
    const data = await askDialog({
      title: mt.resetTitle(a.username),
      body: [
        mt.resetExplain,
        dialogField(
          mt.newPassword,
          'password',
          { required: '', type: 'password', minlength: String(MIN_PASSWORD_LENGTH), autocomplete: 'new-password' },
          mt.passwordHint,
        ),
      ],
      confirmLabel: mt.save,
      cancelLabel: mt.cancel,
      danger: true,
      focus: 'first-field',
    });
    if (data) await this.change(a, { password: String(data.get('password') ?? '') });
  }

  private async disable(a: Account): Promise<void> {
    const { mt } = this;
    const data = await askDialog({
      title: mt.disableTitle(a.username),
      body: [mt.disableExplain],
      confirmLabel: mt.disable,
      cancelLabel: mt.cancel,
      danger: true,
      focus: 'cancel',
    });
    if (data) await this.change(a, { disabled: true });
  }

  private async change(a: Account, changes: AccountChanges): Promise<void> {
    const { mt } = this;
    try {
      await this.ctx.api.updateAccount(a.adminId, changes);
      this.notice(mt.saved);
      await this.load();
      // The row was built anew: its first button takes the focus back.
      this.element.querySelector<HTMLElement>(`tr[data-admin-id="${CSS.escape(a.adminId)}"] button`)?.focus();
    } catch (e) {
      const { status, message } = e as { status?: number; message?: string };
      // 409: a rule of the server (e.g. one active manager must remain); its message says which.
      const text = status === 409 && message ? message : status === 400 ? mt.invalidInput : undefined;
      this.notice(text ?? (status === 403 ? mt.forbidden : mt.actionFailed), 'error');
    }
  }
}

/** The detail without the sessionId a message action carries (the target column names it). */
function withoutSession(e: AuditEntry): unknown {
  if (!e.action.startsWith('message.') || !e.detail || typeof e.detail !== 'object') return e.detail;
  const { sessionId: _shown, ...rest } = e.detail as Record<string, unknown>;
  return rest;
}

function table(head: readonly string[], rows: HTMLTableRowElement[], className: string): HTMLTableElement {
  return el(
    'table',
    { className: `data-table ${className}` },
    el('thead', {}, el('tr', {}, ...head.map((h) => el('th', { text: h, attrs: { scope: 'col' } })))),
    el('tbody', {}, ...rows),
  );
}

function formatDateTime(date: Date, lang: Lang): string {
  if (Number.isNaN(date.getTime())) return '';
  return date.toLocaleString(lang === 'id' ? 'id-ID' : 'en-GB', {
    day: 'numeric',
    month: 'short',
    hour: '2-digit',
    minute: '2-digit',
  });
}
