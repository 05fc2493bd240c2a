/**
 * What the listener and broadcaster clients share: one WebSocket at a time,
 * reconnecting by the contract's close codes with jittered exponential
 * backoff, following the browser's online/offline events, validating every
 * incoming frame with the shared zod schemas, and feeding the outbox.
 */
import type { z } from 'zod';
import { CloseCode, frameSchema, MAX_FRAME_BYTES } from '../protocol/index.js';
import { Backoff, type BackoffOptions } from './backoff.js';
import { Emitter } from './emitter.js';
import {
  browserNetworkMonitor,
  defaultFetch,
  defaultWebSocket,
  jwtExpiry,
  systemTimers,
  type FetchLike,
  type NetworkMonitor,
  type Timers,
  type WebSocketConstructor,
  type WebSocketLike,
} from './environment.js';
import {
  Outbox,
  type DeliveryUpdate,
  type FailureReason,
  type OutgoingMessage,
  type PendingMessage,
} from './outbox.js';

/**
 * - `idle`: created, `connect()` not called yet
 * - `connecting`: first connection attempt
 * - `open`: `connection:success` received; messages flow
 * - `reconnecting`: the connection was lost; waiting (`retryInMs`) or trying again
 * - `offline`: the browser says the network is down; waiting for its `online` event
 * - `expired`: the token is no longer valid and no fresh one could be obtained
 * - `closed`: `close()` was called, or the server refused the client for good (HTTP 403)
 */
export type ConnectionState = 'idle' | 'connecting' | 'open' | 'reconnecting' | 'offline' | 'expired' | 'closed';

export interface StateChange {
  state: ConnectionState;
  previous: ConnectionState;
  /** Close code of the connection that just ended, when there was one. */
  closeCode?: number;
  /** When a reconnect is scheduled: milliseconds until the next attempt. */
  retryInMs?: number;
  /** Why: `token` (renewing the token), `handshake` (no `connection:success` in time), `forbidden`, `offline`. */
  reason?: string;
}

/** A frame the client could not use (not JSON, unknown event, fields not matching the schema). */
export interface ProtocolError {
  event?: string;
  message: string;
}

/** Events the SDK itself emits, next to the server's events. */
export interface ClientEvents<P> {
  /** Connection state changes (may repeat with new details, e.g. a new `retryInMs`). */
  state: StateChange;
  /** Outbox progress of one message: sending → sent, or failed. */
  delivery: DeliveryUpdate<P>;
  'protocol:error': ProtocolError;
}

/** A fresh token: a string, or an object carrying it (e.g. the answer of `createSession` or `loginBroadcaster`). */
export type TokenRefresh = string | { token?: string; sessionToken?: string; expiresAt?: string; sessionId?: string };

export interface BaseClientOptions {
  /** Where the server is: `https://chat.radio.example` (`location.origin` in the widget). */
  baseUrl: string;
  /** The session token (listener) or admin token (broadcaster). */
  token: string;
  /** When the token expires (ISO string, epoch ms or Date); read from the JWT's `exp` when left out. */
  expiresAt?: string | number | Date;
  /** WebSocket implementation: `globalThis.WebSocket` by default; in Node pass `WebSocket` from the `ws` package. */
  WebSocket?: WebSocketConstructor;
  /** fetch implementation for the REST calls; `globalThis.fetch` by default. */
  fetch?: FetchLike;
  /**
   * Called when the token has expired (close code 4401, an HTTP 401 answer to
   * the upgrade, or the known expiry passed). Return a fresh token to
   * reconnect with, or null to give up (state `expired`).
   */
  refreshToken?: () => Promise<TokenRefresh | null | undefined>;
  /** Reconnect backoff: full jitter in [0, min(maxMs, baseMs·2^attempt)]. Defaults 500 ms / 30 s. */
  backoff?: BackoffOptions;
  /** After close code 1001 (server restarting): reconnect within a random delay up to this. Default 1 000 ms. */
  goingAwayDelayMs?: number;
  /** After close code 1008 (or HTTP 429): wait between half of this and all of it. Default 60 000 ms. */
  policyDelayMs?: number;
  /** A connection open this long counts as stable: the backoff starts over. Default 10 000 ms. */
  stableAfterMs?: number;
  /** No `connection:success` within this time: drop the socket and retry. Default 15 000 ms. */
  handshakeTimeoutMs?: number;
  /** Outbox: resend when no ack came within this time. Default 10 000 ms. */
  ackTimeoutMs?: number;
  /** Outbox: ack timeouts after which a message is marked failed. Default 3. */
  maxAttempts?: number;
  /** Network monitor; the browser's by default, `false` to ignore online/offline events. */
  network?: NetworkMonitor | false;
  /** Start connecting immediately. Default true. */
  autoConnect?: boolean;
  timers?: Timers;
  random?: () => number;
  /** clientMessageId generator (UUID v4 by default). */
  newId?: () => string;
}

type SchemaMap = Record<string, z.ZodType>;
const alwaysOnline: NetworkMonitor = { isOnline: () => true, subscribe: () => () => undefined };
const textEncoder = new TextEncoder();

export abstract class BaseClient<S extends object, C extends object, M extends keyof C & string, P extends object> {
  protected readonly emitter = new Emitter<S & ClientEvents<P>>();
  protected readonly outbox: Outbox<P>;
  protected readonly options: BaseClientOptions;
  protected readonly timers: Timers;
  protected readonly fetchImpl: FetchLike | undefined;
  protected token: string;
  private expiresAtMs: number | undefined;
  private currentState: ConnectionState = 'idle';
  private readonly WebSocketImpl: WebSocketConstructor | undefined;
  private readonly network: NetworkMonitor;
  private readonly backoff: Backoff;
  private readonly random: () => number;
  private socket: WebSocketLike | undefined;
  private generation = 0;
  private isOpen = false;
  private everOpened = false;
  private stopped = true;
  private lastError: string | undefined;
  private reconnectTimer: unknown;
  private handshakeTimer: unknown;
  private stableTimer: unknown;
  private unsubscribeNetwork: (() => void) | undefined;
  private refreshing = false;
  private renewedSinceOpen = false;

  protected constructor(
    options: BaseClientOptions,
    private readonly serverSchemas: SchemaMap,
    private readonly messageEvent: M,
  ) {
    this.options = options;
    this.token = options.token;
    this.expiresAtMs = toMillis(options.expiresAt) ?? jwtExpiry(options.token);
    this.timers = options.timers ?? systemTimers;
    this.random = options.random ?? Math.random;
    this.backoff = new Backoff({ ...options.backoff, random: options.backoff?.random ?? this.random });
    this.WebSocketImpl = options.WebSocket ?? defaultWebSocket();
    this.fetchImpl = options.fetch ?? defaultFetch();
    this.network =
      options.network === false ? alwaysOnline : (options.network ?? browserNetworkMonitor() ?? alwaysOnline);
    this.outbox = new Outbox<P>({
      transmit: (clientMessageId, payload) =>
        this.write(this.messageEvent, { ...payload, clientMessageId } as unknown as C[M]),
      onUpdate: (update) => this.emitter.emit('delivery', update as (S & ClientEvents<P>)['delivery']),
      validate: (clientMessageId, payload) => this.validateMessage(clientMessageId, payload),
      timers: this.timers,
      ...(options.ackTimeoutMs !== undefined ? { ackTimeoutMs: options.ackTimeoutMs } : {}),
      ...(options.maxAttempts !== undefined ? { maxAttempts: options.maxAttempts } : {}),
      ...(options.newId !== undefined ? { newId: options.newId } : {}),
    });
  }

  // ---- public API ---------------------------------------------------------

  /** Current connection state. */
  get state(): ConnectionState {
    return this.currentState;
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
    return (this.isOpen && this.write(event, data)) as K extends M ? OutgoingMessage<P> : boolean;
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
    if (!this.stopped) return this;
    this.stopped = false;
    this.unsubscribeNetwork = this.network.subscribe(
      () => this.handleOnline(),
      () => this.handleOffline(),
    );
    this.openSocket();
    return this;
  }

  /** Skips the wait of a scheduled reconnect (a "try now" button). No effect unless `reconnecting`/`offline`. */
  reconnectNow(): void {
    if (this.stopped || this.refreshing || this.socket) return;
    if (this.currentState !== 'reconnecting' && this.currentState !== 'offline') return;
    this.openSocket();
  }

  /** Closes the connection for good: no reconnect; pending acks reject with reason `closed`. */
  close(): void {
    if (this.stopped && this.currentState === 'closed') return;
    this.stopped = true;
    this.unsubscribeNetwork?.();
    this.unsubscribeNetwork = undefined;
    this.clearTimers();
    this.dropSocket(1000);
    this.outbox.close();
    this.setState('closed');
  }

  /** Replaces the token (e.g. after logging in again); used from the next connection attempt on. */
  setToken(token: string, expiresAt?: string | number | Date): void {
    this.token = token;
    this.expiresAtMs = toMillis(expiresAt) ?? jwtExpiry(token);
  }

  // ---- for subclasses -------------------------------------------------------

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
    return this.isOpen && this.write(event, data);
  }

  protected start(): void {
    if (this.options.autoConnect !== false) this.connect();
  }

  // ---- connection machinery -------------------------------------------------

  private setState(state: ConnectionState, details: Omit<StateChange, 'state' | 'previous'> = {}): void {
    const previous = this.currentState;
    this.currentState = state;
    this.emitter.emit('state', { state, previous, ...details } as (S & ClientEvents<P>)['state']);
  }

  private write(event: string, data: unknown): boolean {
    const socket = this.socket;
    if (!socket || socket.readyState !== 1) return false;
    try {
      socket.send(JSON.stringify({ event, data }));
      return true;
    } catch {
      return false;
    }
  }

  private validateMessage(clientMessageId: string, payload: P): FailureReason | undefined {
    const text = (payload as { text?: unknown }).text;
    if (typeof text !== 'string' || text.trim() === '') return 'invalid';
    const frame = JSON.stringify({ event: this.messageEvent, data: { ...payload, clientMessageId } });
    return textEncoder.encode(frame).length > MAX_FRAME_BYTES ? 'too_large' : undefined;
  }

  private tokenExpired(): boolean {
    return this.expiresAtMs !== undefined && this.timers.now() >= this.expiresAtMs;
  }

  private openSocket(): void {
    this.clearReconnectTimer();
    if (this.stopped) return;
    if (!this.network.isOnline()) {
      this.setState('offline', { reason: 'offline' });
      return;
    }
    if (this.tokenExpired()) {
      void this.renewToken(undefined);
      return;
    }
    const WebSocketImpl = this.WebSocketImpl;
    if (!WebSocketImpl)
      throw new Error('No WebSocket implementation: pass `WebSocket` in the options (in Node: the `ws` package)');
    this.setState(this.everOpened ? 'reconnecting' : 'connecting');
    const generation = ++this.generation;
    this.lastError = undefined;
    let socket: WebSocketLike;
    try {
      socket = new WebSocketImpl(this.url(this.token));
    } catch (error) {
      this.lastError = (error as Error).message;
      this.socketClosed(generation, 1006);
      return;
    }
    this.socket = socket;
    socket.onmessage = (event) => {
      if (generation === this.generation) this.receive(event.data);
    };
    socket.onerror = (event) => {
      if (generation !== this.generation) return;
      const message = (event as { message?: unknown; error?: { message?: unknown } } | undefined)?.message;
      if (typeof message === 'string') this.lastError = message;
    };
    socket.onclose = (event) => this.socketClosed(generation, event.code);
    this.handshakeTimer = this.timers.setTimeout(() => {
      if (generation !== this.generation || this.isOpen) return;
      if (this.socket) detach(this.socket, 1000);
      this.socketClosed(generation, 1006, 'handshake');
    }, this.options.handshakeTimeoutMs ?? 15_000);
  }

  /** Closes the current socket, if any, and makes its late events stale. */
  private dropSocket(code: number): void {
    const socket = this.socket;
    if (!socket) return;
    this.socket = undefined;
    detach(socket, code);
    this.generation++;
    this.connectionEnded();
  }

  private connectionEnded(): void {
    this.isOpen = false;
    this.outbox.connectionLost();
    this.clearTimer('handshakeTimer');
    this.clearTimer('stableTimer');
    this.disconnected();
  }

  private socketClosed(generation: number, code: number, reason?: string): void {
    if (generation !== this.generation) return;
    this.generation++;
    this.socket = undefined;
    this.connectionEnded();
    if (this.stopped) {
      this.setState('closed', { closeCode: code });
      return;
    }
    const httpStatus = /\b(\d{3})\b/.exec(this.lastError ?? '')?.[1];
    this.lastError = undefined;
    if (code === CloseCode.TokenExpired || httpStatus === '401') {
      void this.renewToken(code);
      return;
    }
    if (httpStatus === '403') {
      this.stopped = true;
      this.unsubscribeNetwork?.();
      this.unsubscribeNetwork = undefined;
      this.setState('closed', { closeCode: code, reason: 'forbidden' });
      return;
    }
    let delay: number;
    if (code === CloseCode.GoingAway) {
      this.backoff.reset();
      delay = Math.round(this.random() * (this.options.goingAwayDelayMs ?? 1_000));
    } else if (code === CloseCode.PolicyViolation || httpStatus === '429') {
      const long = this.options.policyDelayMs ?? 60_000;
      delay = Math.round(long / 2 + (this.random() * long) / 2);
    } else {
      delay = this.backoff.next();
    }
    this.scheduleReconnect(delay, { closeCode: code, ...(reason ? { reason } : {}) });
  }

  private scheduleReconnect(delay: number, details: Omit<StateChange, 'state' | 'previous' | 'retryInMs'>): void {
    this.clearReconnectTimer();
    if (this.stopped) return;
    if (!this.network.isOnline()) {
      this.setState('offline', { ...details, reason: 'offline' });
      return;
    }
    this.setState('reconnecting', { ...details, retryInMs: delay });
    this.reconnectTimer = this.timers.setTimeout(() => {
      this.reconnectTimer = undefined;
      this.openSocket();
    }, delay);
  }

  private async renewToken(closeCode: number | undefined): Promise<void> {
    const refresh = this.options.refreshToken;
    const details = closeCode !== undefined ? { closeCode } : {};
    if (!refresh) {
      this.stopped = true;
      this.unsubscribeNetwork?.();
      this.unsubscribeNetwork = undefined;
      this.setState('expired', details);
      return;
    }
    if (this.refreshing) return;
    if (this.renewedSinceOpen) {
      // The last fresh token did not get us connected either: do not spin.
      const delay = this.backoff.next();
      this.renewedSinceOpen = false;
      this.setState('reconnecting', { ...details, retryInMs: delay, reason: 'token' });
      this.reconnectTimer = this.timers.setTimeout(() => {
        this.reconnectTimer = undefined;
        void this.renewToken(closeCode);
      }, delay);
      return;
    }
    this.refreshing = true;
    this.setState('reconnecting', { ...details, reason: 'token' });
    let result: TokenRefresh | null | undefined;
    try {
      result = await refresh();
    } catch {
      this.refreshing = false;
      if (!this.stopped) this.scheduleRenew(closeCode);
      return;
    }
    this.refreshing = false;
    if (this.stopped) return;
    const token = typeof result === 'string' ? result : (result?.token ?? result?.sessionToken);
    if (!result || !token) {
      this.stopped = true;
      this.unsubscribeNetwork?.();
      this.unsubscribeNetwork = undefined;
      this.setState('expired', details);
      return;
    }
    this.setToken(token, typeof result === 'string' ? undefined : result.expiresAt);
    this.renewedSinceOpen = true;
    this.tokenRefreshed(result);
    this.openSocket();
  }

  private scheduleRenew(closeCode: number | undefined): void {
    const delay = this.backoff.next();
    this.setState('reconnecting', {
      ...(closeCode !== undefined ? { closeCode } : {}),
      retryInMs: delay,
      reason: 'token',
    });
    this.reconnectTimer = this.timers.setTimeout(() => {
      this.reconnectTimer = undefined;
      void this.renewToken(closeCode);
    }, delay);
  }

  private receive(raw: unknown): void {
    if (typeof raw !== 'string') {
      this.emitter.emit('protocol:error', { message: 'binary frame' } as (S & ClientEvents<P>)['protocol:error']);
      return;
    }
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch {
      this.protocolError(undefined, 'frame is not JSON');
      return;
    }
    const frame = frameSchema.safeParse(json);
    if (!frame.success) {
      this.protocolError(undefined, 'frame is not {event, data}');
      return;
    }
    const { event } = frame.data;
    const schema = this.serverSchemas[event];
    if (!schema) {
      this.protocolError(event, 'unknown event');
      return;
    }
    const parsed = schema.safeParse(frame.data.data);
    if (!parsed.success) {
      this.protocolError(event, parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
      return;
    }
    const data = parsed.data as Record<string, unknown>;
    switch (event) {
      case 'connection:success':
        this.clearTimer('handshakeTimer');
        this.isOpen = true;
        this.everOpened = true;
        this.renewedSinceOpen = false;
        this.setState('open');
        this.stableTimer = this.timers.setTimeout(() => {
          this.stableTimer = undefined;
          this.backoff.reset();
        }, this.options.stableAfterMs ?? 10_000);
        this.handleEvent(event, data);
        this.outbox.connectionOpened();
        return;
      case 'message:ack':
        this.outbox.acknowledge(
          data as { messageId: string; createdAt: string; clientMessageId?: string; duplicate?: true },
        );
        break;
      case 'error:invalid_payload':
        if (typeof data['clientMessageId'] === 'string')
          this.outbox.rejectInvalid(data['clientMessageId'], String(data['message']));
        break;
      case 'error:rate_limited':
        if (typeof data['clientMessageId'] === 'string')
          this.outbox.rateLimited(data['clientMessageId'], Number(data['retryAfterMs']));
        break;
      case 'error:unavailable':
        if (typeof data['clientMessageId'] === 'string')
          this.outbox.unavailable(data['clientMessageId'], String(data['message']));
        break;
    }
    this.handleEvent(event, data);
  }

  private protocolError(event: string | undefined, message: string): void {
    this.emitter.emit('protocol:error', { ...(event ? { event } : {}), message } as (S &
      ClientEvents<P>)['protocol:error']);
  }

  private handleOnline(): void {
    if (this.stopped) return;
    if (this.currentState === 'offline' || this.currentState === 'reconnecting') {
      if (this.refreshing) return;
      this.backoff.reset();
      this.openSocket();
    }
  }

  private handleOffline(): void {
    if (this.stopped) return;
    this.clearReconnectTimer();
    this.dropSocket(1000);
    this.setState('offline', { reason: 'offline' });
  }

  private clearReconnectTimer(): void {
    this.clearTimer('reconnectTimer');
  }

  private clearTimer(name: 'reconnectTimer' | 'handshakeTimer' | 'stableTimer'): void {
    const handle = this[name];
    if (handle !== undefined) this.timers.clearTimeout(handle);
    this[name] = undefined;
  }

  private clearTimers(): void {
    this.clearTimer('reconnectTimer');
    this.clearTimer('handshakeTimer');
    this.clearTimer('stableTimer');
  }
}

function detach(socket: WebSocketLike, code: number): void {
  // No-op handlers rather than null: the `ws` package raises an "error" with no
  // listener as an exception when a still-connecting socket is closed.
  const ignore = () => undefined;
  socket.onopen = ignore;
  socket.onmessage = ignore;
  socket.onerror = ignore;
  socket.onclose = ignore;
  try {
    socket.close(code);
  } catch {
    // Already closing, or still connecting in an implementation that refuses close().
  }
}

function toMillis(value: string | number | Date | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms = value instanceof Date ? value.getTime() : typeof value === 'number' ? value : Date.parse(value);
  return Number.isFinite(ms) ? ms : undefined;
}
