/**
 * The session list's triage filter (contract v1.1 D `filter=`): all,
 * unanswered, online, with song requests, blocked. The server says which
 * sessions match when the filter is chosen and again shortly after the list
 * changes; between those, what the dashboard sees live (presence, a reply
 * just sent) is applied at once.
 */
import { el, setText } from '../../shared/dom.js';
import type { Conversation } from '../model.js';
import type { Dashboard } from '../state.js';
import type { AdminApi, SessionFilter } from './admin-api.js';
import type { ShowStrings } from './strings.js';

type Choice = 'all' | SessionFilter;
const CHOICES: Choice[] = ['all', 'unanswered', 'online', 'requests', 'blocked'];
/** How long after a change the server is asked again. */
const REFRESH_DELAY_MS = 1500;

export class TriageFilter {
  readonly element: HTMLElement;
  private readonly select = el('select', { className: 'triage__select', attrs: { id: 'triage-filter' } });
  private readonly label = el('label', { className: 'triage__label', attrs: { for: 'triage-filter' } });
  private choice: Choice = 'all';
  private matching = new Set<string>();
  private refreshTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly dash: Dashboard,
    private readonly api: AdminApi,
  ) {
    this.element = el('div', { className: 'triage' }, this.label, this.select);
    this.select.addEventListener('change', () => this.choose(this.select.value as Choice));
  }

  render(t: ShowStrings): void {
    setText(this.label, t.filterLabel);
    const names: Record<Choice, string> = {
      all: t.filterAll,
      unanswered: t.filterUnanswered,
      online: t.filterOnline,
      requests: t.filterRequests,
      blocked: t.filterBlocked,
    };
    this.select.replaceChildren(
      ...CHOICES.map((choice) => el('option', { text: names[choice], attrs: { value: choice } })),
    );
    this.select.value = this.choice;
  }

  /** Something in the list changed (a message, presence): apply it now, ask the server soon. */
  changed(): void {
    if (this.choice === 'all') return;
    this.apply();
    clearTimeout(this.refreshTimer);
    this.refreshTimer = setTimeout(() => void this.refresh(), REFRESH_DELAY_MS);
  }

  private choose(choice: Choice): void {
    this.choice = choice;
    this.matching = new Set();
    clearTimeout(this.refreshTimer);
    this.apply();
    if (choice !== 'all') void this.refresh();
  }

  private async refresh(): Promise<void> {
    const choice = this.choice;
    if (choice === 'all') return;
    try {
      const ids = await this.api.filteredSessionIds(choice);
      if (choice !== this.choice) return;
      this.matching = ids;
      this.apply();
    } catch {
      // Keeps the last answer; the next change asks again.
    }
  }

  private apply(): void {
    const { state, loop } = this.dash;
    const choice = this.choice;
    state.listFilter = choice === 'all' ? undefined : (conv) => this.accepts(choice, conv);
    state.order = undefined;
    loop.renderNext('list');
  }

  private accepts(choice: SessionFilter, conv: Conversation): boolean {
    if (choice === 'online') return conv.online;
    if (choice === 'unanswered') {
      const last = conv.messages.at(-1);
      // The newest known message decides when it is the newest there is.
      if (conv.loaded === 'yes' && last) return last.direction === 'listener';
    }
    return this.matching.has(conv.sessionId);
  }
}
