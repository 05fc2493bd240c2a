/**
 * The connection status bar of both pages: a coloured dot, the state in words
 * (with a countdown while a reconnect is scheduled) and a "try now" button.
 */
import type { StateChange } from '../../../src/client/index.js';
import { describeState, type Status } from './connection.js';
import { el, setText } from './dom.js';
import type { Strings } from './i18n.js';

export interface StatusBarOptions {
  /** The "try now" button was pressed. */
  onRetryNow(): void;
  /** Called every second while a reconnect is scheduled: render the bar again. */
  onTick(): void;
}

export class StatusBar {
  readonly element = el('div', { className: 'status', attrs: { role: 'status', 'aria-live': 'polite' } });
  private readonly text = el('span', { className: 'status__text' });
  private readonly retryNow = el('button', { className: 'link-button status__retry', attrs: { type: 'button' } });
  private last: StateChange | undefined;
  private lastAt = Date.now();
  private countdown: ReturnType<typeof setInterval> | undefined;

  constructor(private readonly options: StatusBarOptions) {
    this.element.append(
      el('span', { className: 'status__dot', attrs: { 'aria-hidden': 'true' } }),
      this.text,
      this.retryNow,
    );
    this.retryNow.addEventListener('click', () => options.onRetryNow());
  }

  /** The last state change, undefined before the first one (or after `reset()`). */
  get lastState(): StateChange | undefined {
    return this.last;
  }

  /** Records a state change; a scheduled reconnect starts the countdown. */
  update(change: StateChange): void {
    this.last = change;
    this.lastAt = Date.now();
    if (this.countdown === undefined && change.state === 'reconnecting' && change.retryInMs) {
      this.countdown = setInterval(() => {
        this.options.onTick();
        if (this.last?.state !== 'reconnecting') {
          clearInterval(this.countdown);
          this.countdown = undefined;
        }
      }, 1000);
    }
  }

  /** Forgets the state (the connection was closed on purpose). */
  reset(): void {
    this.last = undefined;
  }

  /** Shows the current state and returns its description. */
  render(t: Strings): Status {
    const last = this.last;
    const status = describeState(last, t, Date.now(), this.lastAt);
    this.element.dataset['state'] = last?.state ?? 'connecting';
    this.element.dataset['tone'] = status.tone;
    setText(this.text, status.text);
    this.retryNow.hidden = !(last?.state === 'reconnecting' && (last.retryInMs ?? 0) > 1500);
    setText(this.retryNow, t.retryNow);
    return status;
  }
}
