/**
 * The pub/sub side of what instances share: fan-out between them. Presence and
 * connection limits are the {@link ConnectionRegistry} (./registry.ts), shared
 * rate limits the {@link RateLimiterFactory} (./rate-limiter.ts); ./services.ts
 * bundles the three with readiness and telemetry. The local hub (../hub) only
 * ever talks to this interface.
 */

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
  /** A connection (by id) that is not sent this publication: the sender of a `message:sent`. */
  exceptConnectionId?: string | undefined;
  /** After sending the frame, receiving connections close with this code (an erased session: 1000). */
  closeCode?: number | undefined;
  /** W3C trace context of the publishing span, carried across instances. */
  trace?: Record<string, string> | undefined;
  /** Set on deliveries from another instance: when it published (ms since epoch), for the lag metric. */
  publishedAt?: number | undefined;
}

export type DeliveryHandler = (publication: Publication) => void;

/**
 * The caller's policy for publications the shared bus did not take: true keeps
 * one to publish again once the bus is back (the transport decides nothing).
 */
export type RetainOnFailure = (publication: Publication) => boolean;

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

export interface Broker {
  readonly instanceId: string;
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
  close(): Promise<void>;
}
