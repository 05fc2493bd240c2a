/**
 * The widget's "Request lagu" mode (contract v1.1 D): a button that opens a
 * small form (title, artist) under the chat, sent as a `message:send` with
 * `request`; and the requests' fate, from `request:update`: a notice
 * ("Lagu permintaan Anda diputar") and a badge on the request's bubble, kept
 * in localStorage so a reload still shows it.
 *
 * Self-contained (its own strings, its own storage) so the widget's other
 * modules only wire it in.
 */
import { el, setText, store } from '../shared/dom.js';
import type { Lang } from '../shared/i18n.js';

const STATUS_KEY = 'suara-pendengar.widget.requests';
/** Statuses kept (the newest), so the map cannot grow without end. */
const KEPT = 100;
const MAX_TITLE = 100;
const MAX_ARTIST = 100;

export type RequestStatus = 'open' | 'played' | 'skipped';

const texts = {
  id: {
    open: '♪ Request lagu',
    legend: 'Request lagu',
    title: 'Judul lagu',
    artist: 'Penyanyi (opsional)',
    titlePlaceholder: 'mis. Kangen',
    artistPlaceholder: 'mis. Dewa 19',
    send: 'Kirim request',
    cancel: 'Batal',
    titleRequired: 'Judul lagu wajib diisi.',
    notConnected: 'Belum tersambung. Coba lagi sebentar.',
    played: 'Lagu permintaan Anda diputar',
    skipped: 'Lagu permintaan Anda belum bisa diputar kali ini.',
    limit: 'Batas request lagu per jam sudah tercapai. Coba lagi nanti.',
    badgePlayed: '♪ Diputar',
    badgeSkipped: 'Dilewati',
  },
  en: {
    open: '♪ Request a song',
    legend: 'Request a song',
    title: 'Song title',
    artist: 'Artist (optional)',
    titlePlaceholder: 'e.g. Kangen',
    artistPlaceholder: 'e.g. Dewa 19',
    send: 'Send request',
    cancel: 'Cancel',
    titleRequired: 'Please enter the song title.',
    notConnected: 'Not connected yet. Try again in a moment.',
    played: 'Your requested song is playing',
    skipped: 'Your requested song cannot be played this time.',
    limit: 'You reached the song requests for this hour. Try again later.',
    badgePlayed: '♪ Played',
    badgeSkipped: 'Skipped',
  },
} as const;

export interface RequestModeOptions {
  lang(): Lang;
  /** Sends the request; false when it cannot be sent now. */
  send(title: string, artist: string): boolean;
  /** Shows a short notice in the chat. */
  notify(text: string): void;
}

export class RequestMode {
  private opened = false;
  private draft = { title: '', artist: '' };
  private statuses: Record<string, RequestStatus> = store.get<Record<string, RequestStatus>>(STATUS_KEY) ?? {};

  constructor(private readonly options: RequestModeOptions) {}

  /** The toggle and (when open) the form, in the current language; built anew on every widget render. */
  element(): HTMLElement {
    const t = texts[this.options.lang()];
    const wrapper = el('div', { className: 'request-mode' });
    const toggle = el('button', {
      className: 'link-button request-mode__toggle',
      text: t.open,
      attrs: { type: 'button', 'aria-expanded': String(this.opened), 'aria-controls': 'request-form' },
    });
    const form = this.form(t, () => close(true));
    form.hidden = !this.opened;
    const close = (focusToggle: boolean) => {
      this.opened = false;
      form.hidden = true;
      toggle.hidden = false;
      toggle.setAttribute('aria-expanded', 'false');
      if (focusToggle) toggle.focus();
    };
    toggle.hidden = this.opened;
    toggle.addEventListener('click', () => {
      this.opened = true;
      form.hidden = false;
      toggle.hidden = true;
      toggle.setAttribute('aria-expanded', 'true');
      form.querySelector('input')?.focus();
    });
    wrapper.append(toggle, form);
    return wrapper;
  }

  /** `request:update`: remembers the status and tells the listener when the song is played or skipped. */
  onUpdate(update: { messageId: string; status: RequestStatus }, list: HTMLElement): void {
    const t = texts[this.options.lang()];
    this.statuses[update.messageId] = update.status;
    const ids = Object.keys(this.statuses);
    for (const id of ids.slice(0, Math.max(0, ids.length - KEPT))) delete this.statuses[id];
    store.set(STATUS_KEY, this.statuses);
    if (update.status === 'played') this.options.notify(t.played);
    if (update.status === 'skipped') this.options.notify(t.skipped);
    this.decorate(list);
  }

  /** Over the requests per hour. */
  onLimit(): void {
    this.options.notify(texts[this.options.lang()].limit);
  }

  /** Puts the status badges on the request bubbles shown in `list`. */
  decorate(list: HTMLElement): void {
    const t = texts[this.options.lang()];
    for (const node of list.querySelectorAll<HTMLElement>('li[data-message-id]')) {
      const status = this.statuses[node.dataset['messageId']!];
      let badge = node.querySelector<HTMLElement>('.request-badge');
      if (status === undefined || status === 'open') {
        badge?.remove();
        continue;
      }
      if (!badge) {
        badge = el('span', { className: 'request-badge' });
        node.append(badge);
      }
      badge.dataset['status'] = status;
      setText(badge, status === 'played' ? t.badgePlayed : t.badgeSkipped);
    }
  }

  private form(t: (typeof texts)[Lang], close: () => void): HTMLFormElement {
    const title = el('input', {
      attrs: { id: 'request-title', maxlength: String(MAX_TITLE), placeholder: t.titlePlaceholder, required: '' },
    });
    const artist = el('input', {
      attrs: { id: 'request-artist', maxlength: String(MAX_ARTIST), placeholder: t.artistPlaceholder },
    });
    title.value = this.draft.title;
    artist.value = this.draft.artist;
    title.addEventListener('input', () => (this.draft.title = title.value));
    artist.addEventListener('input', () => (this.draft.artist = artist.value));
    const error = el('p', { className: 'form-error', attrs: { role: 'alert' } });
    error.hidden = true;
    title.addEventListener('input', () => (error.hidden = true));
    const cancel = el('button', { className: 'link-button', text: t.cancel, attrs: { type: 'button' } });
    cancel.addEventListener('click', close);
    const form = el(
      'form',
      { className: 'request-form stack-form', attrs: { id: 'request-form', novalidate: '' } },
      el(
        'fieldset',
        {},
        el('legend', { text: t.legend }),
        el('label', { attrs: { for: 'request-title' }, text: t.title }),
        title,
        el('label', { attrs: { for: 'request-artist' }, text: t.artist }),
        artist,
      ),
      error,
      el(
        'div',
        { className: 'request-form__actions' },
        el('button', { className: 'primary', text: t.send, attrs: { type: 'submit' } }),
        cancel,
      ),
    );
    form.addEventListener('keydown', (event) => {
      if (event.key === 'Escape') close();
    });
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      const song = title.value.trim();
      if (!song) {
        setText(error, t.titleRequired);
        error.hidden = false;
        title.focus();
        return;
      }
      if (!this.options.send(song, artist.value.trim())) {
        setText(error, t.notConnected);
        error.hidden = false;
        return;
      }
      this.draft = { title: '', artist: '' };
      close();
    });
    return form;
  }
}

/** The text a request bubble shows (and the message carries, for clients that know nothing of requests). */
export function requestBubbleText(title: string, artist: string): string {
  return artist ? `♪ ${title} – ${artist}` : `♪ ${title}`;
}
