/**
 * The broker is what instances share: fan-out between them, the connection
 * registry (limits and presence) and rate-limit counters. The memory broker
 * serves a single process; the Redis broker lets any number of instances act
 * as one service. The local hub (../hub) only ever talks to this interface.
 */
import type { RateLimiterAbstract } from 'rate-limiter-flexible';

/** Channel names: one per listener session, one for all broadcasters. */
export const broadcastersChannel = 'broadcasters';
export const sessionChannel = (sessionId: string): string => `session:${sessionId}`;

/** One publication. `frame` is the serialised `{"event","data"}` JSON sent as is to every recipient. */
export interface Publication {
  channel: string;
  frame: string;
  /** Set for message frames so receivers can drop what replay already sent. */
  messageId?: string | undefined;
  /**
   * Listener-session message frames: the session's previous broadcaster
   * messageId (`'0'` when none), so a receiver that was sent a different one
   * last knows it missed a publication.
   */
  previousMessageId?: string | undefined;
  /** W3C trace context of the publishing span, carried across instances. */
  trace?: Record<string, string> | undefined;
  /** Set on deliveries from another instance: when it published (ms since epoch), for the lag metric. */
  publishedAt?: number | undefined;
}

export type DeliveryHandler = (publication: Publication) => void;

export interface BrokerHandlers {
  /** Called for every publication on a channel this instance subscribed to (own ones included). */
  onDelivery: DeliveryHandler;
  /**
   * Called when sessions lost their last connection because the instance that
   * held it died (its registry entries expired). Exactly one instance is told.
   */
  onSessionsExpired(sessionIds: string[]): void;
  /**
   * Called when this instance's subscriptions were restored after its
   * subscriber connection had been lost (Redis restart, killed connection,
   * repaired probe): deliveries published meanwhile may have been missed.
   */
  onResubscribed?(): void;
}

export interface ConnectionEntry {
  connectionId: string;
  /** Listener connections only. */
  sessionId?: string | undefined;
  ip: string;
}

export type AcquireResult =
  { ok: true; firstForSession: boolean } | { ok: false; reason: 'session_limit' | 'ip_limit' };

export interface ConnectionRegistry {
  /** Registers a connection unless a limit (0 = none) would be exceeded. */
  acquire(entry: ConnectionEntry, limits: { perSession: number; perIp: number }): Promise<AcquireResult>;
  /** Unregisters it; `lastForSession` when no connection of the session is left anywhere. */
  release(entry: ConnectionEntry): Promise<{ lastForSession: boolean }>;
  /** Which of these sessions have at least one open connection on any instance. */
  onlineSessions(sessionIds: readonly string[]): Promise<Set<string>>;
}

export interface RateLimiterOptions {
  keyPrefix: string;
  points: number;
  durationSeconds: number;
}

export interface Broker {
  readonly kind: 'memory' | 'redis';
  readonly instanceId: string;
  readonly registry: ConnectionRegistry;
  /** Starts the broker (connects, loads scripts); resolves when usable. */
  start(handlers: BrokerHandlers): Promise<void>;
  /**
   * Delivers to the subscribers of `publication.channel` on every instance,
   * this one included (locally without a round trip). One publish per message,
   * never one per recipient.
   */
  publish(publication: Publication): Promise<void>;
  /** This instance starts / stops receiving a channel (reference counted by the hub). */
  subscribe(channel: string): Promise<void>;
  unsubscribe(channel: string): Promise<void>;
  /** A rate limiter whose counters are shared by every instance. */
  rateLimiter(options: RateLimiterOptions): RateLimiterAbstract;
  /** Resolves when the broker is healthy (readiness). */
  ping(): Promise<void>;
  close(): Promise<void>;
}
