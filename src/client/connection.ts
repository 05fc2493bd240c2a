/**
 * One WebSocket at a time: opening it, the handshake timeout, reconnecting by
 * the close codes with jittered exponential backoff, renewing an expired token
 * through `refreshToken`, and following the browser's online/offline events.
 * What the frames mean is the client's business (see `base-client.ts`).
 */
import { Backoff } from './backoff.js';
import type { BaseClientOptions } from './client-options.js';
import { closeAction, reconnectDelay } from './close-policy.js';
import { Credentials, tokenOf, type Expiry, type TokenRefresh } from './credentials.js';
import {
  browserNetworkMonitor,
  defaultWebSocket,
  type NetworkMonitor,
  type Timers,
  type WebSocketConstructor,
  type WebSocketLike,
} from './environment.js';
import { encodeFrame } from './frames.js';

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

type StateDetails = Omit<StateChange, 'state' | 'previous'>;

/** What the connection tells its client. */
export interface ConnectionHooks {
  /** The WebSocket address to connect to with this token. */
  url(token: string): string;
  /** A frame arrived on the current socket. */
  message(raw: unknown): void;
  stateChanged(change: StateChange): void;
  /** The current connection ended, for whatever reason. */
  ended(): void;
  /** `close()` dropped the socket; called before the state becomes `closed`. */
  closing(): void;
  /** `refreshToken` returned a fresh token; called before reconnecting with it. */
  tokenRefreshed(refresh: TokenRefresh): void;
}

const alwaysOnline: NetworkMonitor = { isOnline: () => true, subscribe: () => () => undefined };

export class Connection {
  private readonly credentials: Credentials;
  private readonly timers: Timers;
  private readonly random: () => number;
  private readonly backoff: Backoff;
  private readonly WebSocketImpl: WebSocketConstructor | undefined;
  private readonly network: NetworkMonitor;
  private currentState: ConnectionState = 'idle';
  private socket: WebSocketLike | undefined;
  /** Bumped whenever the current socket is given up: events of an older socket are stale. */
  private generation = 0;
  private open = false;
  private everOpened = false;
  private stopped = true;
  private lastError: string | undefined;
  private reconnectTimer: unknown;
  private handshakeTimer: unknown;
  private stableTimer: unknown;
  private unsubscribeNetwork: (() => void) | undefined;
  private refreshing = false;
  private renewedSinceOpen = false;

  constructor(
    private readonly options: BaseClientOptions,
    timers: Timers,
    private readonly hooks: ConnectionHooks,
  ) {
    this.credentials = new Credentials(options.token, options.expiresAt);
    this.timers = timers;
    this.random = options.random ?? Math.random;
    this.backoff = new Backoff({ ...options.backoff, random: options.backoff?.random ?? this.random });
    this.WebSocketImpl = options.WebSocket ?? defaultWebSocket();
    this.network =
      options.network === false ? alwaysOnline : (options.network ?? browserNetworkMonitor() ?? alwaysOnline);
  }

  get state(): ConnectionState {
    return this.currentState;
  }

  /** Whether `connection:success` came on the current socket. */
  get isOpen(): boolean {
    return this.open;
  }

  get token(): string {
    return this.credentials.token;
  }

  setToken(token: string, expiresAt?: Expiry): void {
    this.credentials.set(token, expiresAt);
  }

  connect(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.unsubscribeNetwork = this.network.subscribe(
      () => this.handleOnline(),
      () => this.handleOffline(),
    );
    this.openSocket();
  }

  reconnectNow(): void {
    if (this.stopped || this.refreshing || this.socket) return;
    if (this.currentState !== 'reconnecting' && this.currentState !== 'offline') return;
    this.openSocket();
  }

  close(): void {
    if (this.stopped && this.currentState === 'closed') return;
    this.stopped = true;
    this.unsubscribeNetwork?.();
    this.unsubscribeNetwork = undefined;
    this.clearTimers();
    this.dropSocket(1000);
    this.hooks.closing();
    this.setState('closed');
  }

  /** Sends one frame on the socket if it is open (before or after `connection:success`); false when it could not. */
  write(event: string, data: unknown): boolean {
    const socket = this.socket;
    if (!socket || socket.readyState !== 1) return false;
    try {
      socket.send(encodeFrame(event, data));
      return true;
    } catch {
      return false;
    }
  }

  /** The client received `connection:success`: the connection is open. */
  opened(): void {
    this.clearTimer('handshakeTimer');
    this.open = true;
    this.everOpened = true;
    this.renewedSinceOpen = false;
    this.setState('open');
    this.stableTimer = this.timers.setTimeout(() => {
      this.stableTimer = undefined;
      this.backoff.reset();
    }, this.options.stableAfterMs ?? 10_000);
  }

  private setState(state: ConnectionState, details: StateDetails = {}): void {
    const previous = this.currentState;
    this.currentState = state;
    this.hooks.stateChanged({ state, previous, ...details });
  }

  /** Stops for good in state `expired` or `closed`, without dropping anything else. */
  private halt(state: 'expired' | 'closed', details: StateDetails): void {
    this.stopped = true;
    this.unsubscribeNetwork?.();
    this.unsubscribeNetwork = undefined;
    this.setState(state, details);
  }

  private openSocket(): void {
    this.clearTimer('reconnectTimer');
    if (this.stopped) return;
    if (!this.network.isOnline()) {
      this.setState('offline', { reason: 'offline' });
      return;
    }
    if (this.credentials.expiredAt(this.timers.now())) {
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
      socket = new WebSocketImpl(this.hooks.url(this.credentials.token));
    } catch (error) {
      this.lastError = (error as Error).message;
      this.socketClosed(generation, 1006);
      return;
    }
    this.socket = socket;
    socket.onmessage = (event) => {
      if (generation === this.generation) this.hooks.message(event.data);
    };
    socket.onerror = (event) => {
      if (generation !== this.generation) return;
      const message = (event as { message?: unknown; error?: { message?: unknown } } | undefined)?.message;
      if (typeof message === 'string') this.lastError = message;
    };
    socket.onclose = (event) => this.socketClosed(generation, event.code);
    this.handshakeTimer = this.timers.setTimeout(() => {
      if (generation !== this.generation || this.open) return;
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
    this.open = false;
    this.clearTimer('handshakeTimer');
    this.clearTimer('stableTimer');
    this.hooks.ended();
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
    const action = closeAction(code, this.lastError);
    this.lastError = undefined;
    if (action === 'renew-token') {
      void this.renewToken(code);
      return;
    }
    if (action === 'forbidden' || action === 'erased') {
      this.halt('closed', { closeCode: code, reason: action });
      return;
    }
    const delay = reconnectDelay(action, {
      backoff: this.backoff,
      random: this.random,
      goingAwayDelayMs: this.options.goingAwayDelayMs ?? 1_000,
      policyDelayMs: this.options.policyDelayMs ?? 60_000,
    });
    this.scheduleReconnect(delay, { closeCode: code, ...(reason ? { reason } : {}) });
  }

  private scheduleReconnect(delay: number, details: Omit<StateDetails, 'retryInMs'>): void {
    this.clearTimer('reconnectTimer');
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
      this.halt('expired', details);
      return;
    }
    if (this.refreshing) return;
    if (this.renewedSinceOpen) {
      // The last fresh token did not get us connected either: do not spin.
      this.renewedSinceOpen = false;
      this.scheduleRenew(closeCode);
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
    const fresh = tokenOf(result);
    if (!result || !fresh) {
      this.halt('expired', details);
      return;
    }
    this.setToken(fresh.token, fresh.expiresAt);
    this.renewedSinceOpen = true;
    this.hooks.tokenRefreshed(result);
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
    this.clearTimer('reconnectTimer');
    this.dropSocket(1000);
    this.setState('offline', { reason: 'offline' });
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
