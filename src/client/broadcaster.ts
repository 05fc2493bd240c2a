/** The broadcaster ("penyiar") flavour: answers every listener session from one connection. */
import {
  broadcasterServerEvents,
  type BroadcasterClientEvents,
  type BroadcasterServerEvents,
  type Message,
} from '../protocol/index.js';
import { BaseClient } from './base-client.js';
import type { BaseClientOptions } from './client-options.js';
import { SeenIds } from './dedup.js';
import { toWebSocketUrl } from './environment.js';
import {
  getAllMessages,
  getMessages,
  listSessions,
  loginBroadcaster,
  type BroadcasterCredentials,
  type HttpOptions,
  type SessionSummary,
} from './http.js';
import type { OutgoingMessage, PendingMessage } from './outbox.js';
import { createTypingIndicator, type TypingIndicator, type TypingOptions } from './typing.js';

/** What the outbox keeps per reply: `message:reply` without its clientMessageId. */
export type BroadcasterOutgoing = Omit<BroadcasterClientEvents['message:reply'], 'clientMessageId'>;

export interface BroadcasterClientOptions extends BaseClientOptions {
  /** Unacknowledged replies kept from an earlier run. */
  pending?: readonly PendingMessage<BroadcasterOutgoing>[];
}

export class BroadcasterClient extends BaseClient<
  BroadcasterServerEvents,
  BroadcasterClientEvents,
  'message:reply',
  BroadcasterOutgoing
> {
  private readonly seen = new SeenIds(20_000);
  private readonly presenceMap = new Map<string, boolean>();
  private readonly typingHelpers = new Map<string, TypingIndicator>();
  private account: BroadcasterServerEvents['connection:success'] | undefined;

  constructor(options: BroadcasterClientOptions) {
    super(options, broadcasterServerEvents, 'message:reply');
    if (options.pending?.length) this.outbox.restore(options.pending);
    this.start();
  }

  /** `{adminId, name, connectionId}` from the last `connection:success`. */
  get accountInfo(): BroadcasterServerEvents['connection:success'] | undefined {
    return this.account;
  }

  /** Online state per sessionId, from `presence:update` events and `listSessions()`. */
  get presence(): ReadonlyMap<string, boolean> {
    return this.presenceMap;
  }

  /** Replies to a listener session, through the outbox. */
  reply(sessionId: string, text: string): OutgoingMessage<BroadcasterOutgoing> {
    return this.send('message:reply', { sessionId, text });
  }

  /** Sends `user:typing` for one session now. */
  setTyping(sessionId: string, isTyping: boolean): boolean {
    return this.sendEvent('user:typing', { sessionId, isTyping });
  }

  /** The throttled typing helper of one session (created on first use). */
  typing(sessionId: string, options?: TypingOptions): TypingIndicator {
    let helper = this.typingHelpers.get(sessionId);
    if (!helper) {
      helper = createTypingIndicator((isTyping) => this.setTyping(sessionId, isTyping), {
        timers: this.timers,
        ...options,
      });
      this.typingHelpers.set(sessionId, helper);
    }
    return helper;
  }

  /**
   * `GET /livechat/admin/sessions`, page after page: sessions with messages
   * (all with `includeEmpty`), most recent activity first, at most `max`;
   * also refreshes `presence`.
   */
  async listSessions(options: { includeEmpty?: boolean; max?: number } = {}): Promise<SessionSummary[]> {
    const sessions = await listSessions({ ...this.http(), token: this.token, ...options });
    for (const s of sessions) this.presenceMap.set(s.sessionId, s.online);
    return sessions;
  }

  /** One page of a session's history, in stored order. */
  getMessages(sessionId: string, options: { after?: string; limit?: number } = {}): Promise<Message[]> {
    return getMessages({ ...this.http(), token: this.token, sessionId, ...options });
  }

  /** All of a session's messages after `after` (the whole history without it); hidden ones too with `includeHidden`. */
  getAllMessages(sessionId: string, after?: string, options: { includeHidden?: boolean } = {}): Promise<Message[]> {
    return getAllMessages({
      ...this.http(),
      token: this.token,
      sessionId,
      ...(after !== undefined ? { after } : {}),
      ...options,
    });
  }

  override close(): void {
    for (const helper of this.typingHelpers.values()) helper.dispose();
    super.close();
  }

  protected url(token: string): string {
    return toWebSocketUrl(this.options.baseUrl, '/livechat/admin/ws', { token });
  }

  protected override handleEvent(event: string, data: unknown): void {
    if (event === 'connection:success') {
      this.account = data as BroadcasterServerEvents['connection:success'];
    } else if (event === 'message:new') {
      if (!this.seen.add((data as Message).messageId)) return;
    } else if (event === 'presence:update') {
      const update = data as BroadcasterServerEvents['presence:update'];
      this.presenceMap.set(update.sessionId, update.online);
    }
    this.emit(event, data);
  }

  protected override disconnected(): void {
    for (const helper of this.typingHelpers.values()) helper.dispose();
  }

  private http(): HttpOptions {
    return { baseUrl: this.options.baseUrl, ...(this.fetchImpl ? { fetch: this.fetchImpl } : {}) };
  }
}

/** Connects a broadcaster with an admin token. */
export function connectBroadcaster(options: BroadcasterClientOptions): BroadcasterClient {
  return new BroadcasterClient(options);
}

export interface LoginOptions extends Omit<BroadcasterClientOptions, 'token'> {
  username: string;
  password: string;
}

/** Logs in (`POST /livechat/admin/login`) and connects with the admin token. */
export async function startBroadcaster(
  options: LoginOptions,
): Promise<{ client: BroadcasterClient; credentials: BroadcasterCredentials }> {
  const { username, password, ...rest } = options;
  const credentials = await loginBroadcaster({
    baseUrl: options.baseUrl,
    username,
    password,
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  const client = new BroadcasterClient({ ...rest, token: credentials.token, expiresAt: credentials.expiresAt });
  return { client, credentials };
}
