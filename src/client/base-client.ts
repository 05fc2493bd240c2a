/**
 * What the listener and broadcaster clients share: the public API, the
 * connection (`connection.ts`), every incoming frame validated with the shared
 * zod schemas (`frames.ts`), and the outbox fed with the server's answers.
 */
import type { BaseClientOptions } from './client-options.js';
import { Connection, type ConnectionState, type StateChange } from './connection.js';
import type { TokenRefresh } from './credentials.js';
import { Emitter } from './emitter.js';
import { defaultFetch, systemTimers, type FetchLike, type Timers } from './environment.js';
import { chatMessageFailure, decodeFrame, type ProtocolError, type SchemaMap } from './frames.js';
import { Outbox, type DeliveryUpdate, type OutgoingMessage, type PendingMessage } from './outbox.js';

/** Events the SDK itself emits, next to the server's events. */
export interface ClientEvents<P> {
  /** Connection state changes (may repeat with new details, e.g. a new `retryInMs`). */
  state: StateChange;
  /** Outbox progress of one message: sending → sent, or failed. */
  delivery: DeliveryUpdate<P>;
  'protocol:error': ProtocolError;
}

export abstract class BaseClient<S extends object, C extends object, M extends keyof C & string, P extends object> {
  protected readonly emitter = new Emitter<S & ClientEvents<P>>();
  protected readonly outbox: Outbox<P>;
  protected readonly options: BaseClientOptions;
  protected readonly timers: Timers;
  protected readonly fetchImpl: FetchLike | undefined;
  private readonly connection: Connection;

  protected constructor(
    options: BaseClientOptions,
    private readonly serverSchemas: SchemaMap,
    private readonly messageEvent: M,
  ) {
    this.options = options;
    this.timers = options.timers ?? systemTimers;
    this.connection = new Connection(options, this.timers, {
      url: (token) => this.url(token),
      message: (raw) => this.receive(raw),
      stateChanged: (change) => this.emitter.emit('state', change as (S & ClientEvents<P>)['state']),
      ended: () => {
        this.outbox.connectionLost();
        this.disconnected();
      },
      closing: () => this.outbox.close(),
      tokenRefreshed: (refresh) => this.tokenRefreshed(refresh),
    });
    this.fetchImpl = options.fetch ?? defaultFetch();
    this.outbox = new Outbox<P>({
      transmit: (clientMessageId, payload) =>
        this.connection.write(this.messageEvent, { ...payload, clientMessageId } as unknown as C[M]),
      onUpdate: (update) => this.emitter.emit('delivery', update as (S & ClientEvents<P>)['delivery']),
      validate: (clientMessageId, payload) => chatMessageFailure(this.messageEvent, clientMessageId, payload),
      timers: this.timers,
      ...(options.ackTimeoutMs !== undefined ? { ackTimeoutMs: options.ackTimeoutMs } : {}),
      ...(options.maxAttempts !== undefined ? { maxAttempts: options.maxAttempts } : {}),
      ...(options.newId !== undefined ? { newId: options.newId } : {}),
    });
  }

  // ---- public API ---------------------------------------------------------

  /** Current connection state. */
  get state(): ConnectionState {
    return this.connection.state;
  }

  /** Subscribes to a server event (`message:receive`, …) or a client event (`state`, `delivery`, `protocol:error`). Returns an unsubscribe function. */
  on<K extends keyof (S & ClientEvents<P>)>(event: K, listener: (data: (S & ClientEvents<P>)[K]) => void): () => void {
    return this.emitter.on(event, listener);
  }

  once<K extends keyof (S & ClientEvents<P>)>(
    event: K,
    listener: (data: (S & ClientEvents<P>)[K]) => void,
  ): () => void {
    return this.emitter.once(event, listener);
  }

  off<K extends keyof (S & ClientEvents<P>)>(event: K, listener: (data: (S & ClientEvents<P>)[K]) => void): void {
    this.emitter.off(event, listener);
  }

  /**
   * Sends a client event. The chat message event goes through the outbox (a
   * `clientMessageId` is added unless given) and returns its handle; other
   * events (typing) are sent only when connected, returning whether they were.
   */
  send<K extends keyof C & string>(event: K, data: C[K]): K extends M ? OutgoingMessage<P> : boolean {
    if ((event as string) === this.messageEvent) {
      const { clientMessageId, ...payload } = data as C[K] & { clientMessageId?: string };
      return this.outbox.enqueue(payload as unknown as P, clientMessageId) as K extends M
        ? OutgoingMessage<P>
        : boolean;
    }
    return this.sendEvent(event, data) as K extends M ? OutgoingMessage<P> : boolean;
  }

  /** Queues a failed message again, with the same clientMessageId. */
  retry(clientMessageId: string): OutgoingMessage<P> | undefined {
    return this.outbox.retry(clientMessageId);
  }

  /** Forgets a failed message. */
  discard(clientMessageId: string): boolean {
    return this.outbox.discard(clientMessageId);
  }

  /** Unacknowledged messages (to keep across a page reload and pass back as `pending`). */
  pendingMessages(): PendingMessage<P>[] {
    return this.outbox.pending();
  }

  /** Starts (or restarts after `close()` / `expired`) connecting. */
  connect(): this {
    this.connection.connect();
    return this;
  }

  /** Skips the wait of a scheduled reconnect (a "try now" button). No effect unless `reconnecting`/`offline`. */
  reconnectNow(): void {
    this.connection.reconnectNow();
  }

  /** Closes the connection for good: no reconnect; pending acks reject with reason `closed`. */
  close(): void {
    this.connection.close();
  }

  /** Replaces the token (e.g. after logging in again); used from the next connection attempt on. */
  setToken(token: string, expiresAt?: string | number | Date): void {
    this.connection.setToken(token, expiresAt);
  }

  // ---- for subclasses -------------------------------------------------------

  protected get token(): string {
    return this.connection.token;
  }

  protected abstract url(token: string): string;

  /** Handles a validated server event that is not handled here (subclasses dedup, track state, then emit). */
  protected handleEvent(event: string, data: unknown): void {
    this.emit(event, data);
  }

  /** Called with the value returned by `refreshToken`, before reconnecting. */
  protected tokenRefreshed(_refresh: TokenRefresh): void {}

  /** Called whenever a connection ends (for whatever reason). */
  protected disconnected(): void {}

  protected emit(event: string, data: unknown): void {
    this.emitter.emit(event as keyof (S & ClientEvents<P>), data as never);
  }

  protected sendEvent<K extends keyof C & string>(event: K, data: C[K]): boolean {
    return this.connection.isOpen && this.connection.write(event, data);
  }

  protected start(): void {
    if (this.options.autoConnect !== false) this.connect();
  }

  // ---- incoming frames ------------------------------------------------------

  private receive(raw: unknown): void {
    const frame = decodeFrame(raw, this.serverSchemas);
    if ('error' in frame) {
      this.emitter.emit('protocol:error', frame.error as (S & ClientEvents<P>)['protocol:error']);
      return;
    }
    const { event, data } = frame;
    if (event === 'connection:success') {
      this.connection.opened();
      this.handleEvent(event, data);
      this.outbox.connectionOpened();
      return;
    }
    this.feedOutbox(event, data);
    this.handleEvent(event, data);
  }

  /** Hands the server's answers to a chat message to the outbox. */
  private feedOutbox(event: string, data: Record<string, unknown>): void {
    const clientMessageId = data['clientMessageId'];
    switch (event) {
      case 'message:ack':
        this.outbox.acknowledge(
          data as { messageId: string; createdAt: string; text: string; clientMessageId?: string; duplicate?: true },
        );
        break;
      case 'error:invalid_payload':
        if (typeof clientMessageId === 'string') this.outbox.rejectInvalid(clientMessageId, String(data['message']));
        break;
      case 'error:rate_limited':
        if (typeof clientMessageId !== 'string') break;
        // Over the song requests per hour: waiting minutes to resend would hold every later message back.
        if (data['reason'] === 'requests') this.outbox.rejectInvalid(clientMessageId, 'requests');
        else this.outbox.rateLimited(clientMessageId, Number(data['retryAfterMs']));
        break;
      case 'error:unavailable':
        if (typeof clientMessageId === 'string') this.outbox.unavailable(clientMessageId, String(data['message']));
        break;
    }
  }
}
