/**
 * The live show's parts of the dashboard, wired in one place: header stats,
 * the session list's triage filter, the show tools (search, announcement,
 * quick replies, export), `/shortcut` completion in the reply box and who else
 * is on the open conversation. main.ts calls in at a few points only.
 */
import type { BroadcasterClient } from '../../../../src/client/index.js';
import { el, setText } from '../../shared/dom.js';
import type { Dashboard } from '../state.js';
import { AdminApi } from './admin-api.js';
import { AnnounceTool } from './announce-tool.js';
import { ExportTool } from './export-tool.js';
import { FocusNote } from './focus.js';
import { QuickRepliesTool } from './quick-replies-tool.js';
import { QuickReplyCompletion } from './quick-reply-completion.js';
import { SearchTool } from './search-tool.js';
import { StatsBar } from './stats-bar.js';
import { showStrings, type ShowStrings } from './strings.js';
import { TriageFilter } from './triage-filter.js';

export interface LiveShowWiring {
  dash: Dashboard;
  replyForm: HTMLFormElement;
  replyInput: HTMLTextAreaElement;
  /** Opens a conversation (a search result). */
  open(sessionId: string): void;
}

export class LiveShow {
  readonly stats = new StatsBar();
  readonly filter: TriageFilter;
  readonly toolbar: HTMLElement;
  private readonly focus = new FocusNote();
  private readonly completion: QuickReplyCompletion;
  private readonly search: SearchTool;
  private readonly announce: AnnounceTool;
  private readonly quickReplies: QuickRepliesTool;
  private readonly exporter: ExportTool;
  private readonly buttons: { button: HTMLButtonElement; label: (t: ShowStrings) => string }[] = [];
  private client: BroadcasterClient | undefined;
  private focused: string | null = null;

  constructor(private readonly wiring: LiveShowWiring) {
    const { dash } = wiring;
    const api = new AdminApi(() => dash.state.auth?.token);
    this.filter = new TriageFilter(dash, api);
    this.completion = new QuickReplyCompletion(wiring.replyForm, wiring.replyInput);
    wiring.replyForm.prepend(this.focus.element);
    this.search = new SearchTool(api, wiring.open);
    this.announce = new AnnounceTool(api);
    this.quickReplies = new QuickRepliesTool(api, (replies) => this.completion.setReplies(replies));
    this.exporter = new ExportTool(api);
    const tool = (label: (t: ShowStrings) => string, open: () => void) => {
      const button = el('button', { className: 'tool-button', attrs: { type: 'button' } });
      button.addEventListener('click', open);
      this.buttons.push({ button, label });
      return button;
    };
    this.toolbar = el(
      'nav',
      { className: 'show-tools' },
      tool(
        (t) => t.search,
        () => this.search.open(),
      ),
      tool(
        (t) => t.announce,
        () => this.announce.open(),
      ),
      tool(
        (t) => t.quickReplies,
        () => this.quickReplies.open(),
      ),
      tool(
        (t) => t.exportTitle,
        () => this.exporter.open(),
      ),
    );
  }

  /** Texts in the current language (after a language switch too). */
  render(): void {
    const t = showStrings(this.wiring.dash.state.lang);
    this.toolbar.setAttribute('aria-label', t.toolsLabel);
    for (const { button, label } of this.buttons) setText(button, label(t));
    this.stats.render(t);
    this.filter.render(t);
    this.completion.render(t);
    this.search.render(t);
    this.announce.render(t);
    this.quickReplies.render(t);
    this.exporter.render(t);
    this.renderFocus();
  }

  /** A (new) broadcaster connection: listen to its live show events. */
  attach(client: BroadcasterClient): void {
    this.client = client;
    const live = () => client === this.client;
    client.on('connection:success', (info) => {
      if (!live()) return;
      this.focus.clear();
      this.focus.setOwnAdminId(info.adminId);
      // Tell the others again where this dashboard is (the server forgot it with the old connection).
      if (this.focused !== null) client.send('conversation:focus', { sessionId: this.focused });
      this.renderFocus();
    });
    client.on('stats:update', (stats) => live() && this.stats.update(stats));
    client.on('conversation:focus', (event) => {
      if (!live()) return;
      this.focus.onFocus(event);
      this.renderFocus();
    });
    client.on('message:new', () => live() && this.filter.changed());
    client.on('presence:update', () => live() && this.filter.changed());
    client.on('message:ack', () => live() && this.filter.changed());
    const api = new AdminApi(() => this.wiring.dash.state.auth?.token);
    void api.stats().then(
      (stats) => live() && this.stats.update(stats),
      () => undefined,
    );
    void this.quickReplies.load();
  }

  /** The open conversation changed. */
  selected(sessionId: string | undefined): void {
    const focus = sessionId ?? null;
    if (focus !== this.focused) {
      this.focused = focus;
      this.client?.send('conversation:focus', { sessionId: focus });
    }
    this.renderFocus();
  }

  /** Logged out. */
  detach(): void {
    this.client = undefined;
    this.focused = null;
    this.focus.clear();
  }

  private renderFocus(): void {
    const { state } = this.wiring.dash;
    this.focus.render(showStrings(state.lang), state.selected);
  }
}
