/** The dashboard's top bar: brand, who is logged in, the sound switch, the language switch and logout. */
import { el, setText } from '../../shared/dom.js';
import type { Lang } from '../../shared/i18n.js';
import { brand, langToggle } from '../../shared/page.js';
import type { Dashboard } from '../state.js';

export interface HeaderActions {
  onToggleSound(): void;
  onToggleDesktopNotify(): void;
  onLang(lang: Lang): void;
  onLogout(): void;
}

export class HeaderView {
  private readonly who = el('span', { className: 'who' });
  private readonly sound = el('button', { className: 'link-button sound-toggle', attrs: { type: 'button' } });
  private readonly desktop = el('button', { className: 'link-button desktop-toggle', attrs: { type: 'button' } });
  private readonly logout = el('button', { className: 'link-button logout', attrs: { type: 'button' } });

  constructor(
    private readonly dash: Dashboard,
    private readonly actions: HeaderActions,
  ) {
    this.sound.addEventListener('click', () => actions.onToggleSound());
    this.desktop.addEventListener('click', () => actions.onToggleDesktopNotify());
    this.logout.addEventListener('click', () => actions.onLogout());
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
        langToggle(this.dash.state.lang, t, (lang) => this.actions.onLang(lang)),
        this.logout,
      ),
    );
  }

  render(): void {
    const { t, auth, muted } = this.dash.state;
    setText(this.who, auth ? t.loggedInAs(auth.name) : '');
    setText(this.sound, muted ? t.soundOff : t.soundOn);
    this.sound.setAttribute('aria-pressed', String(!muted));
    const { desktopNotify } = this.dash.state;
    const blocked = typeof Notification === 'undefined' || Notification.permission === 'denied';
    setText(this.desktop, desktopNotify ? t.desktopNotifyOn : blocked ? t.desktopNotifyBlocked : t.desktopNotifyOff);
    this.desktop.setAttribute('aria-pressed', String(desktopNotify));
    this.desktop.disabled = blocked && !desktopNotify;
  }
}
