/**
 * The song requests panel: open requests grouped by song, most asked first,
 * each with its count and "Diputar" / "Lewati" buttons.
 */
import { clear, el, setText } from '../../shared/dom.js';
import type { RequestGroup, ShowData } from './show-data.js';
import type { ShowStrings } from './requests-onair-strings.js';

export class RequestsPanel {
  readonly element = el('section', {
    className: 'show-panel requests-panel',
    attrs: { 'aria-labelledby': 'requests-heading' },
  });
  private readonly heading = el('h2', { attrs: { id: 'requests-heading' } });
  private readonly list = el('ol', { className: 'show-list' });
  private readonly announcer = el('p', { className: 'visually-hidden', attrs: { 'aria-live': 'polite' } });

  constructor(
    private readonly data: ShowData,
    private readonly strings: () => ShowStrings,
    private readonly failed: (text: string) => void,
  ) {
    this.element.append(this.heading, this.list, this.announcer);
  }

  render(): void {
    const t = this.strings();
    const groups = this.data.requests;
    setText(this.heading, groups.length > 0 ? `${t.requests} (${groups.length})` : t.requests);
    // Keep the focus where it was when the row it was in is rebuilt.
    const focused =
      document.activeElement instanceof HTMLElement ? document.activeElement.dataset['focusKey'] : undefined;
    clear(this.list);
    if (groups.length === 0) {
      this.list.append(el('li', { className: 'empty', text: t.requestsEmpty }));
      return;
    }
    for (const group of groups) this.list.append(this.row(group, t));
    if (focused) this.list.querySelector<HTMLElement>(`[data-focus-key="${CSS.escape(focused)}"]`)?.focus();
  }

  private row(group: RequestGroup, t: ShowStrings): HTMLLIElement {
    const song = group.artist ? `${group.title} – ${group.artist}` : group.title;
    const action = (label: string, status: 'played' | 'skipped', done: string, className: string) => {
      const button = el('button', {
        className,
        text: label,
        attrs: { type: 'button', 'aria-label': `${label}: ${song}` },
        dataset: { focusKey: `${status}:${group.requestId}` },
      });
      button.addEventListener('click', () => {
        button.disabled = true;
        this.data.setRequestStatus(group.requestId, status).then(
          () => setText(this.announcer, done),
          () => {
            button.disabled = false;
            this.failed(t.failed);
          },
        );
      });
      return button;
    };
    return el(
      'li',
      { className: 'show-item request-item', dataset: { requestId: group.requestId } },
      el(
        'div',
        { className: 'show-item__main' },
        el('span', { className: 'request-item__song', text: song }),
        el('span', {
          className: 'request-item__count',
          text: `× ${group.count}`,
          attrs: { title: t.askedBy(group.count), 'aria-label': t.askedBy(group.count) },
        }),
      ),
      el(
        'div',
        { className: 'show-item__actions' },
        action(t.played, 'played', t.markedPlayed(group.title), 'primary small'),
        action(t.skip, 'skipped', t.markedSkipped(group.title), 'secondary small'),
      ),
    );
  }
}
