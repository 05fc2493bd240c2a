/**
 * The on-air display (`/onair`): the message being read out on air — name,
 * city, text — large enough to read from across a studio. `?overlay=1` gives
 * a transparent background for a stream overlay (a browser source in the
 * streaming software). Opens with `?key=<LIVECHAT_ONAIR_KEY>`, or in a browser
 * where a broadcaster is logged in to the dashboard.
 */
import { clear, el, setText, store } from '../shared/dom.js';
import { followOnAir, type FeedStatus, type OnAirDisplay } from './feed.js';

/** Where the dashboard keeps its login (web/src/dashboard/state.ts). */
const DASHBOARD_AUTH_KEY = 'suara-pendengar.dashboard.auth';

const params = new URLSearchParams(location.search);
const overlay = params.get('overlay') === '1';
const key = params.get('key') ?? undefined;
const screen = document.getElementById('screen')!;
document.body.classList.toggle('overlay', overlay);

const statusLine = el('p', { className: 'screen__status', attrs: { role: 'status' } });
const card = el('article', { className: 'card' });
let shown: OnAirDisplay | undefined;

function credentials(): Record<string, string> | undefined {
  if (key) return { 'x-onair-key': key };
  const auth = store.get<{ token?: unknown; expiresAt?: unknown }>(DASHBOARD_AUTH_KEY);
  if (
    typeof auth?.token === 'string' &&
    typeof auth.expiresAt === 'string' &&
    Date.parse(auth.expiresAt) > Date.now()
  ) {
    return { authorization: `Bearer ${auth.token}` };
  }
  return undefined;
}

function showStatus(status: FeedStatus): void {
  document.body.dataset['feed'] = status;
  const text =
    status === 'refused'
      ? 'Kunci layar siaran tidak valid atau login penyiar sudah berakhir.'
      : status === 'retrying'
        ? 'Koneksi terputus. Menyambung ulang…'
        : '';
  setText(statusLine, text);
  statusLine.hidden = text === '';
}

function render(display: OnAirDisplay): void {
  if (shown !== undefined && display.revision < shown.revision) return;
  shown = display;
  document.body.dataset['revision'] = String(display.revision);
  clear(card);
  const message = display.onAir;
  card.hidden = message === null && overlay;
  if (message === null) {
    card.className = 'card card--idle';
    delete card.dataset['messageId'];
    card.append(el('p', { className: 'card__idle', text: 'Belum ada pesan yang disiarkan.' }));
    return;
  }
  const length = [...message.text].length;
  card.className = `card ${length > 400 ? 'card--very-long' : length > 160 ? 'card--long' : ''}`;
  card.dataset['messageId'] = message.messageId;
  const request = message.request;
  card.append(
    el(
      'header',
      { className: 'card__who' },
      el('span', { className: 'card__name', text: message.name }),
      message.city ? el('span', { className: 'card__city', text: message.city }) : null,
    ),
    el('p', { className: 'card__text', text: message.text }),
  );
  if (request) {
    const song = request.artist ? `${request.title} – ${request.artist}` : request.title;
    card.append(el('p', { className: 'card__request', text: `♪ ${song}` }));
  }
}

screen.replaceChildren(card, statusLine);
card.hidden = true;
const headers = credentials();
if (headers === undefined) {
  showStatus('refused');
  setText(
    statusLine,
    'Buka halaman ini dengan ?key=<kunci layar siaran>, atau masuk ke dasbor penyiar di browser ini lalu muat ulang.',
  );
} else {
  followOnAir({ headers, onDisplay: render, onStatus: showStatus });
}
