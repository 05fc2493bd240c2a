/** Search all messages (GET /livechat/admin/search); a result opens its conversation. */
import type { Message } from '../../../../src/client/index.js';
import { el, setText } from '../../shared/dom.js';
import type { AdminApi } from './admin-api.js';
import { ToolDialog } from './dialog.js';
import { formatDateTime } from './format.js';
import type { ShowStrings } from './strings.js';

export class SearchTool {
  readonly dialog = new ToolDialog('search-dialog');
  private readonly input = el('input', {
    className: 'search__input',
    attrs: { type: 'search', id: 'search-q', maxlength: '200', autocomplete: 'off' },
  });
  private readonly label = el('label', { className: 'show-sr-only', attrs: { for: 'search-q' } });
  private readonly button = el('button', { className: 'primary', attrs: { type: 'submit' } });
  private readonly status = el('p', { className: 'tool-status', attrs: { role: 'status' } });
  private readonly results = el('ul', { className: 'search-results' });
  private t: ShowStrings | undefined;

  constructor(
    private readonly api: AdminApi,
    private readonly onOpen: (sessionId: string) => void,
  ) {
    const form = el('form', { className: 'search', attrs: { role: 'search' } }, this.label, this.input, this.button);
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.run();
    });
    this.results.addEventListener('click', (event) => {
      const button = (event.target as Element).closest<HTMLElement>('[data-session]');
      if (!button) return;
      this.dialog.element.close();
      this.onOpen(button.dataset['session']!);
    });
    this.dialog.body.append(form, this.status, this.results);
  }

  render(t: ShowStrings): void {
    this.t = t;
    this.dialog.setTitles(t.search, t.close);
    setText(this.label, t.search);
    setText(this.button, t.searchButton);
    this.input.placeholder = t.searchPlaceholder;
  }

  open(): void {
    this.dialog.open();
    this.input.focus();
  }

  private async run(): Promise<void> {
    const t = this.t!;
    const q = this.input.value.trim();
    if (q === '') return;
    let messages: Message[];
    try {
      messages = await this.api.search(q);
    } catch {
      setText(this.status, t.searchFailed);
      return;
    }
    setText(this.status, messages.length === 0 ? t.searchNone : t.searchResults(messages.length));
    this.results.replaceChildren(
      ...messages.map((m) =>
        el(
          'li',
          {},
          el(
            'button',
            {
              className: 'search-result',
              attrs: { type: 'button', title: t.openConversation(m.from) },
              dataset: { session: m.sessionId },
            },
            el('span', { className: 'search-result__from', text: m.from }),
            el('time', {
              className: 'search-result__time',
              text: formatDateTime(m.createdAt),
              attrs: { datetime: m.createdAt },
            }),
            el('span', { className: 'search-result__text', text: m.text }),
          ),
        ),
      ),
    );
  }
}
