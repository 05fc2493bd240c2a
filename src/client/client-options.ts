/** The options both clients (listener and broadcaster) take. */
import type { BackoffOptions } from './backoff.js';
import type { TokenRefresh } from './credentials.js';
import type { FetchLike, NetworkMonitor, Timers, WebSocketConstructor } from './environment.js';

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
