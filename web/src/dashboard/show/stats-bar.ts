/** The dashboard header's figures: listeners online, sessions today, messages in the last hour, open requests. */
import type { Stats } from '../../../../src/protocol/live-show.js';
import { el, setText } from '../../shared/dom.js';
import type { ShowStrings } from './strings.js';

const FIELDS = ['listenersOnline', 'sessionsToday', 'messagesLastHour', 'openRequests'] as const;

export class StatsBar {
  readonly element: HTMLElement;
  private readonly values = new Map<(typeof FIELDS)[number], HTMLElement>();
  private readonly labels = new Map<(typeof FIELDS)[number], HTMLElement>();
  private stats: Stats | undefined;

  constructor() {
    const items = FIELDS.map((field) => {
      const value = el('dd', { className: 'stat__value', text: '–' });
      const label = el('dt', { className: 'stat__label' });
      this.values.set(field, value);
      this.labels.set(field, label);
      return el('div', { className: 'stat', dataset: { stat: field } }, value, label);
    });
    this.element = el('dl', { className: 'show-stats' }, ...items);
  }

  update(stats: Stats): void {
    this.stats = stats;
    for (const field of FIELDS) setText(this.values.get(field)!, String(stats[field]));
  }

  render(t: ShowStrings): void {
    this.element.setAttribute('aria-label', t.statsLabel);
    for (const field of FIELDS) setText(this.labels.get(field)!, t[field]);
    if (this.stats) this.update(this.stats);
  }
}
