/**
 * The live-show pane of the dashboard (contract v1.1 D): the song requests
 * panel and the on-air queue panel, plus what the conversation view shows on
 * a listener's message (its request, an "Antrekan" button). main.ts only
 * wires it to the connection; everything else of the live show is here.
 */
import type { BroadcasterClient, Message } from '../../../../src/client/index.js';
import { el, setText } from '../../shared/dom.js';
import type { Lang } from '../../shared/i18n.js';
import { OnAirPanel } from './onair-panel.js';
import { RequestsPanel } from './requests-panel.js';
import { ShowData } from './show-data.js';
import { showStrings, type ShowStrings } from './requests-onair-strings.js';

export class ShowPane {
  readonly element = el('aside', { className: 'show-pane' });
  private readonly data: ShowData;
  private readonly requests: RequestsPanel;
  private readonly onair: OnAirPanel;
  private readonly error = el('p', { className: 'form-error', attrs: { role: 'alert' } });
  private errorTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly announcer = el('p', { className: 'visually-hidden', attrs: { 'aria-live': 'polite' } });

  constructor(
    private readonly lang: () => Lang,
    token: () => string | undefined,
  ) {
    const strings = (): ShowStrings => showStrings(this.lang());
    const failed = (text: string) => this.showError(text);
    this.data = new ShowData(token, (what) => (what === 'requests' ? this.requests.render() : this.onair.render()));
    this.requests = new RequestsPanel(this.data, strings, failed);
    this.onair = new OnAirPanel(this.data, strings, failed);
    this.error.hidden = true;
    this.element.append(this.error, this.onair.element, this.requests.element, this.announcer);
    this.render();
  }

  /** Listens to the broadcaster connection; loads everything at each (re)connection. */
  attach(client: BroadcasterClient, live: () => boolean): void {
    client.on('connection:success', () => live() && void this.data.load().catch(() => undefined));
    client.on('message:new', (m) => live() && this.data.onMessage(m));
    client.on('request:update', (u) => live() && this.data.onRequestUpdate(u));
    client.on('onair:update', (q) => live() && this.data.applyQueue(q));
  }

  render(): void {
    this.element.setAttribute('aria-label', showStrings(this.lang()).paneLabel);
    this.requests.render();
    this.onair.render();
  }

  stop(): void {
    this.data.stop();
    this.render();
  }

  /** What the conversation shows under a listener's message: its song request and the "Antrekan" button. */
  messageExtras(message: Message): Node | null {
    if (message.direction !== 'listener') return null;
    const t = showStrings(this.lang());
    const extras = el('div', { className: 'msg__show' });
    if (message.request) {
      extras.append(
        el('span', { className: 'request-chip', text: t.requestChip(message.request.title, message.request.artist) }),
      );
    }
    const queue = el(
      'button',
      { className: 'link-button small', attrs: { type: 'button', 'aria-label': t.addToQueueLabel } },
      el('span', { text: '+ ', attrs: { 'aria-hidden': 'true' } }),
      t.addToQueue,
    );
    queue.addEventListener('click', () => {
      this.data.setState(message.messageId, 'queued').then(
        () => setText(this.announcer, t.queued(message.from)),
        () => this.showError(t.failed),
      );
    });
    extras.append(queue);
    return extras;
  }

  private showError(text: string): void {
    setText(this.error, text);
    this.error.hidden = false;
    clearTimeout(this.errorTimer);
    this.errorTimer = setTimeout(() => (this.error.hidden = true), 6000);
  }
}
