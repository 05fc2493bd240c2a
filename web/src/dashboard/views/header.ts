/** The dashboard's top bar: brand, who is logged in, the sound switch, the language switch and logout. */
import { el, setText } from '../../shared/dom.js';
import type { Lang } from '../../shared/i18n.js';
import { brand, langToggle } from '../../shared/page.js';
import { moderationStrings } from '../moderation-strings.js';
import type { Dashboard } from '../state.js';

function roleSuffix(role: 'penyiar' | 'manager' | undefined, lang: Lang): string {
  if (!role) return '';
  const mt = moderationStrings(lang);
  return ` (${role === 'manager' ? mt.roleManager : mt.rolePenyiar})`;
}

export interface HeaderActions {
  onToggleSound(): void;
  onToggleDesktopNotify(): void;
  onLang(lang: Lang): void;
  onLogout(): void;
  /** Opens the "Akun" page (offered to managers). */
  onAccounts?(): void;
}

export class HeaderView {
  private readonly who = el('span', { className: 'who' });
  private readonly sound = el('button', { className: 'link-button sound-toggle', attrs: { type: 'button' } });
  private readonly desktop = el('button', { className: 'link-button desktop-toggle', attrs: { type: 'button' } });
  private readonly logout = el('button', { className: 'link-button logout', attrs: { type: 'button' } });
  private readonly accounts = el('button', { className: 'link-button accounts-link', attrs: { type: 'button' } });
  /** Whether the "Akun" page is showing (the button says so). */
  accountsOpen = false;

  constructor(
    private readonly dash: Dashboard,
    private readonly actions: HeaderActions,
  ) {
    this.sound.addEventListener('click', () => actions.onToggleSound());
    this.desktop.addEventListener('click', () => actions.onToggleDesktopNotify());
    this.logout.addEventListener('click', () => actions.onLogout());
    this.accounts.addEventListener('click', () => actions.onAccounts?.());
  }

  /** A new header for the current language. */
  build(): HTMLElement {
    const { t } = this.dash.state;
    setText(this.logout, t.logout);
    this.render();
    return el(
      'header',
      { className: 'dash-header' },
      brand(t, t.dashboardTitle),
      el(
        'div',
        { className: 'dash-actions' },
        this.who,
        this.sound,
        this.desktop,
        this.accounts,
        langToggle(this.dash.state.lang, t, (lang) => this.actions.onLang(lang)),
        this.logout,
      ),
    );
  }

  render(): void {
    const { t, auth, muted } = this.dash.state;
    setText(this.who, auth ? t.loggedInAs(auth.name) + roleSuffix(auth.role, this.dash.state.lang) : '');
    setText(this.accounts, moderationStrings(this.dash.state.lang).accounts);
    this.accounts.hidden = auth?.role !== 'manager' || !this.actions.onAccounts;
    this.accounts.setAttribute('aria-current', String(this.accountsOpen));
    setText(this.sound, muted ? t.soundOff : t.soundOn);
    this.sound.setAttribute('aria-pressed', String(!muted));
    const { desktopNotify } = this.dash.state;
    const blocked = typeof Notification === 'undefined' || Notification.permission === 'denied';
    setText(this.desktop, desktopNotify ? t.desktopNotifyOn : blocked ? t.desktopNotifyBlocked : t.desktopNotifyOff);
    this.desktop.setAttribute('aria-pressed', String(desktopNotify));
    this.desktop.disabled = blocked && !desktopNotify;
  }
}
