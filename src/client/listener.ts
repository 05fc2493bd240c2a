/** The listener flavour: one anonymous session, chatting with the station. */
import { listenerServerEvents, type ListenerClientEvents, type ListenerServerEvents } from '../protocol/index.js';
import { BaseClient } from './base-client.js';
import type { BaseClientOptions } from './client-options.js';
import type { TokenRefresh } from './credentials.js';
import { SeenIds } from './dedup.js';
import { toWebSocketUrl } from './environment.js';
import { createSession as createSessionRequest, type HttpOptions, type SessionCredentials } from './http.js';
import type { OutgoingMessage, PendingMessage } from './outbox.js';
import { createTypingIndicator, type TypingIndicator, type TypingOptions } from './typing.js';

/** What the outbox keeps per listener message: `message:send` without its clientMessageId. */
export type ListenerOutgoing = Omit<ListenerClientEvents['message:send'], 'clientMessageId'>;

export interface ListenerClientOptions extends BaseClientOptions {
  /** Resume: the last `message:receive` messageId already seen; the server replays what came after it. */
  lastMessageId?: string;
  /** messageIds already shown (e.g. kept across a reload), so a replay does not show them twice. */
  knownMessageIds?: Iterable<string>;
  /** Unacknowledged messages kept from an earlier run; they are resent with their ids. */
  pending?: readonly PendingMessage<ListenerOutgoing>[];
}

export class ListenerClient extends BaseClient<
  ListenerServerEvents,
  ListenerClientEvents,
  'message:send',
  ListenerOutgoing
> {
  private seen: SeenIds;
  private last: string | undefined;
  /**
   * Until a broadcaster message arrives, the first own stored message is the
   * resume point: a reply stored while the first reconnect is under way is
   * replayed instead of lost (a resume without lastMessageId replays nothing).
   */
  private anchor: string | undefined;
  private session: ListenerServerEvents['connection:success'] | undefined;

  constructor(options: ListenerClientOptions) {
    super(options, listenerServerEvents, 'message:send');
    this.last = options.lastMessageId;
    this.seen = new SeenIds(5_000, options.knownMessageIds ?? []);
    if (this.last !== undefined) this.seen.add(this.last);
    if (options.pending?.length) this.outbox.restore(options.pending);
    this.start();
  }

  /** The session as the server described it in `connection:success` (undefined before the first connection). */
  get sessionInfo(): ListenerServerEvents['connection:success'] | undefined {
    return this.session;
  }

  /** The last broadcaster messageId received: what a resume passes as `lastMessageId`. */
  get lastMessageId(): string | undefined {
    return this.last;
  }

  /** Sends a chat message through the outbox. */
  sendMessage(text: string): OutgoingMessage<ListenerOutgoing> {
    return this.send('message:send', { text });
  }

  /**
   * Sends a song request through the outbox (contract v1.1 D); `text` is an
   * optional greeting. Over the requests per hour the message fails at once
   * (`error:rate_limited` with `reason: "requests"`), it is not retried.
   */
  sendRequest(request: { title: string; artist?: string }, text = ''): OutgoingMessage<ListenerOutgoing> {
    return this.send('message:send', { text, request });
  }

  /** Sends `user:typing` now (false when not connected). */
  setTyping(isTyping: boolean): boolean {
    return this.sendEvent('user:typing', { isTyping });
  }

  /** A throttled typing helper bound to this client: call `input()` on keystrokes, `stop()` after sending. */
  typing(options?: TypingOptions): TypingIndicator {
    return createTypingIndicator((isTyping) => this.setTyping(isTyping), { timers: this.timers, ...options });
  }

  protected url(token: string): string {
    return toWebSocketUrl(this.options.baseUrl, '/livechat/ws', { token, lastMessageId: this.last ?? this.anchor });
  }

  protected override handleEvent(event: string, data: unknown): void {
    if (event === 'connection:success') {
      const info = data as ListenerServerEvents['connection:success'];
      if (this.session && this.session.sessionId !== info.sessionId) this.forgetHistory();
      this.session = info;
    } else if (event === 'message:receive') {
      const message = data as ListenerServerEvents['message:receive'];
      if (!this.seen.add(message.messageId)) return;
      this.last = message.messageId;
    } else if (event === 'message:ack') {
      this.anchor ??= (data as ListenerServerEvents['message:ack']).messageId;
    }
    this.emit(event, data);
  }

  protected override tokenRefreshed(refresh: TokenRefresh): void {
    // A fresh listener token may belong to a new session (POST /livechat/session
    // again): the old session's messageIds mean nothing there.
    if (
      typeof refresh === 'object' &&
      refresh.sessionId &&
      this.session &&
      refresh.sessionId !== this.session.sessionId
    ) {
      this.forgetHistory();
    }
  }

  private forgetHistory(): void {
    this.last = undefined;
    this.anchor = undefined;
    this.seen = new SeenIds(5_000);
  }
}

/** Connects a listener with an existing session token. */
export function connectListener(options: ListenerClientOptions): ListenerClient {
  return new ListenerClient(options);
}

export interface StartListenerOptions extends Omit<ListenerClientOptions, 'token'> {
  name: string;
  city?: string;
}

/**
 * Creates a session (`POST /livechat/session`) and connects with its token.
 * Unless `refreshToken` is given, an expired token is replaced by a new
 * session with the same name and city.
 */
export async function startListener(
  options: StartListenerOptions,
): Promise<{ client: ListenerClient; credentials: SessionCredentials }> {
  const http: HttpOptions & { name: string; city?: string } = {
    baseUrl: options.baseUrl,
    name: options.name,
    ...(options.city !== undefined ? { city: options.city } : {}),
    ...(options.fetch ? { fetch: options.fetch } : {}),
  };
  const credentials = await createSessionRequest(http);
  const client = new ListenerClient({
    refreshToken: () => createSessionRequest(http),
    ...options,
    token: credentials.sessionToken,
    expiresAt: credentials.expiresAt,
  });
  return { client, credentials };
}
