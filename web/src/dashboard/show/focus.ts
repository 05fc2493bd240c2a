/**
 * Who is on which conversation (`conversation:focus`): this dashboard tells the
 * others which conversation it has open, and shows on the open conversation
 * the other broadcasters on it ("Penyiar B sedang membalas").
 */
import type { BroadcasterServerEvents } from '../../../../src/client/index.js';
import { el, setText } from '../../shared/dom.js';
import type { ShowStrings } from './strings.js';

type FocusEvent = BroadcasterServerEvents['conversation:focus'];

export class FocusNote {
  /** Placed above the reply box; empty and hidden when nobody else is on the conversation. */
  readonly element = el('p', { className: 'focus-note', attrs: { role: 'status' } });
  /** Other broadcasters' focus, by account. */
  private readonly others = new Map<string, { name: string; sessionId: string }>();
  private ownAdminId: string | undefined;

  constructor() {
    this.element.hidden = true;
  }

  setOwnAdminId(adminId: string): void {
    this.ownAdminId = adminId;
    this.others.delete(adminId);
  }

  /** Forgets everyone (reconnect, logout): they tell again when they move. */
  clear(): void {
    this.others.clear();
  }

  onFocus(event: FocusEvent): void {
    if (event.adminId === this.ownAdminId) return;
    if (event.sessionId === null) this.others.delete(event.adminId);
    else this.others.set(event.adminId, { name: event.name, sessionId: event.sessionId });
  }

  /** The names of the others on a session. */
  namesOn(sessionId: string): string[] {
    return [...this.others.values()].filter((o) => o.sessionId === sessionId).map((o) => o.name);
  }

  render(t: ShowStrings, selected: string | undefined): void {
    const names = selected ? this.namesOn(selected) : [];
    setText(this.element, names.length > 0 ? t.replying(names.join(', ')) : '');
    this.element.hidden = names.length === 0;
  }
}
