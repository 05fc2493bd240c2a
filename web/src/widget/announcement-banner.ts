/**
 * Announcements from the station (`announcement`), shown apart from the
 * conversation: a banner above the messages until the listener closes it.
 * The same announcement arriving again (a reconnect within its 10 minutes)
 * is shown once; a closed one stays closed.
 */
import type { ListenerServerEvents } from '../../../src/client/index.js';
import { el, setText } from '../shared/dom.js';

type Announcement = ListenerServerEvents['announcement'];

const DISMISSED_KEY = 'suara-pendengar.widget.announcement-closed';
const texts = {
  id: { title: (from: string) => `Pengumuman dari ${from}`, close: 'Tutup pengumuman' },
  en: { title: (from: string) => `Announcement from ${from}`, close: 'Close the announcement' },
};

export class AnnouncementBanner {
  /** Always in the page (an empty live region), so screen readers hear each new announcement. */
  readonly element = el('div', { className: 'announcement-slot', attrs: { role: 'status' } });
  private current: Announcement | undefined;

  show(announcement: Announcement): void {
    if (this.current?.announcementId === announcement.announcementId) return;
    if (readDismissed() === announcement.announcementId) return;
    this.current = announcement;
    this.render();
  }

  /** Builds the banner again (language switch, re-rendered chat view). */
  render(): void {
    const announcement = this.current;
    if (!announcement) {
      this.element.replaceChildren();
      return;
    }
    const t = document.documentElement.lang === 'en' ? texts.en : texts.id;
    const close = el('button', {
      className: 'announcement__close',
      text: '×',
      attrs: { type: 'button', 'aria-label': t.close, title: t.close },
    });
    close.addEventListener('click', () => {
      writeDismissed(announcement.announcementId);
      this.current = undefined;
      this.render();
    });
    const title = el('p', { className: 'announcement__title' });
    setText(title, t.title(announcement.from));
    this.element.replaceChildren(
      el(
        'aside',
        { className: 'announcement' },
        title,
        el('p', { className: 'announcement__text', text: announcement.text }),
        close,
      ),
    );
  }
}

function readDismissed(): string | null {
  try {
    return sessionStorage.getItem(DISMISSED_KEY);
  } catch {
    return null;
  }
}

function writeDismissed(id: string): void {
  try {
    sessionStorage.setItem(DISMISSED_KEY, id);
  } catch {
    // storage unavailable: closed for this page only
  }
}
