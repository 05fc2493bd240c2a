/**
 * Moderation in the dashboard: takes in the server's moderation events
 * (`session:moderated`, `message:hidden`, `session:erased`) and runs the
 * broadcaster's actions through the REST API, keeping the conversations in
 * the state up to date (through the model's pure functions) so the list and
 * the conversation show a session's mute or ban and a message's hidden flag
 * live. A block whose `until` passes leaves the view on its own.
 */
import type { BroadcasterClient } from '../../../src/client/index.js';
import { ModerationApi, type BlockMode, type Role } from './moderation-api.js';
import { activeBlock, nextExpiry, withBlock, withMessageHidden } from './moderation-model.js';
import type { Dashboard } from './state.js';
import type { Sync } from './sync.js';

export interface ModeratedEvent {
  sessionId: string;
  mode: BlockMode | null;
  until: string | null;
  by?: string;
}

export interface HiddenEvent {
  messageId: string;
  sessionId: string;
  hidden: boolean;
  by?: string;
}

/** What the broadcaster chose in the mute / ban dialog. */
export interface BlockChoice {
  /** undefined: no end. */
  minutes: number | undefined;
  reason: string;
  includeIp: boolean;
}

export interface ModerationOptions {
  /** The session shown was erased: close it. */
  onClosed(): void;
}

/** A subscription to a server event by name (the SDK's `on`, for events it types or not). */
type Subscribe = (event: string, listener: (data: never) => void) => () => void;

export class Moderation {
  readonly api: ModerationApi;
  private expiryTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly dash: Dashboard,
    private readonly sync: Sync,
    private readonly options: ModerationOptions,
  ) {
    this.api = new ModerationApi(location.origin, () => dash.state.auth?.token);
  }

  get role(): Role | undefined {
    return this.dash.state.auth?.role;
  }

  get isManager(): boolean {
    return this.role === 'manager';
  }

  /** Subscribes to the moderation events of a (new) broadcaster connection. */
  wire(client: BroadcasterClient): void {
    const on = client.on.bind(client) as unknown as Subscribe;
    const live = () => client === this.sync.client;
    on('session:moderated', (e: ModeratedEvent) => live() && this.onModerated(e));
    on('message:hidden', (e: HiddenEvent) => live() && this.onHidden(e));
    on('session:erased', (e: { sessionId: string }) => live() && this.onErased(e.sessionId));
  }

  onModerated(e: ModeratedEvent): void {
    const conv = this.sync.conversationFor(e.sessionId);
    const block = e.mode ? { mode: e.mode, until: e.until, ...(e.by ? { by: e.by } : {}) } : undefined;
    const next = withBlock(conv, block);
    if (next !== conv) this.sync.put(next);
    this.scheduleExpiry();
  }

  onHidden(e: HiddenEvent): void {
    const conv = this.dash.state.conversations.get(e.sessionId);
    if (!conv) return;
    const next = withMessageHidden(conv, e.messageId, e.hidden, e.by);
    if (next !== conv) this.sync.put(next);
  }

  onErased(sessionId: string): void {
    const { state, loop } = this.dash;
    state.erased.add(sessionId);
    if (!state.conversations.delete(sessionId)) return;
    state.order = undefined;
    state.drafts.delete(sessionId);
    for (const [id, reply] of state.pending) if (reply.sessionId === sessionId) state.pending.delete(id);
    if (state.selected === sessionId) this.options.onClosed();
    loop.invalidate('list', 'conversation', 'title');
  }

  async block(sessionId: string, mode: BlockMode, choice: BlockChoice): Promise<void> {
    const { minutes, reason, includeIp } = choice;
    const result = await this.api.block(sessionId, mode, {
      ...(minutes !== undefined ? { minutes } : {}),
      reason,
      includeIp,
    });
    this.onModerated({ ...result, by: this.dash.state.auth?.name ?? '' });
  }

  async lift(sessionId: string): Promise<void> {
    await this.api.lift(sessionId);
    this.onModerated({ sessionId, mode: null, until: null });
  }

  async setHidden(sessionId: string, messageId: string, hidden: boolean): Promise<void> {
    await (hidden ? this.api.hide(messageId) : this.api.unhide(messageId));
    this.onHidden({ sessionId, messageId, hidden, by: this.dash.state.auth?.name ?? '' });
  }

  async erase(sessionId: string): Promise<void> {
    await this.api.erase(sessionId);
    this.onErased(sessionId);
  }

  /** At the earliest `until` still ahead, drop the blocks that ended (the list and header show them no more). */
  scheduleExpiry(): void {
    clearTimeout(this.expiryTimer);
    const at = nextExpiry(this.dash.state.conversations.values(), Date.now());
    if (at === undefined) return;
    // Timers cannot wait longer than ~24.8 days; a longer block is looked at again then.
    this.expiryTimer = setTimeout(() => this.expire(), Math.min(at - Date.now() + 50, 2 ** 31 - 1));
  }

  private expire(): void {
    const now = Date.now();
    for (const conv of this.dash.state.conversations.values())
      if (conv.block && !activeBlock(conv.block, now)) this.sync.put(withBlock(conv, undefined));
    this.scheduleExpiry();
  }

  stop(): void {
    clearTimeout(this.expiryTimer);
  }
}
