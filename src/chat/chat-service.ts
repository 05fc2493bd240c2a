/**
 * The message path shared by both endpoints: rate-limit → clean → store →
 * ack → publish. Ack only after the row is committed; a database error answers
 * `error:unavailable` and never acks; duplicates are acked with the first
 * messageId and not published again.
 */
import { context } from '@opentelemetry/api';
import type { Logger } from 'pino';
import type { RateLimiter } from '../broker/rate-limiter.js';
import { UnknownSessionError } from '../db/index.js';
import type { HiddenReason, InsertResult, NewMessage, Store, StoredMessage } from '../db/types.js';
import { wsMessages } from '../errors.js';
import type { Hub } from '../hub/hub.js';
import type { Metrics } from '../metrics.js';
import {
  MAX_TEXT_LENGTH,
  type ListenerServerEvents,
  type Message,
  type SenderServerEvents,
} from '../protocol/events.js';
import { cleanField } from '../text/clean.js';
import { InFlight } from '../in-flight.js';
import { KeyedQueue } from '../keyed-queue.js';
import { inSpan, inSpanSync, tracingActive } from '../tracing.js';

/** Where the outcome of one client message goes (the sending connection, listener or broadcaster). */
export interface Replier {
  send<K extends keyof SenderServerEvents & string>(event: K, data: SenderServerEvents[K]): void;
}

export interface ListenerSender {
  sessionId: string;
  name: string;
  /** The sending connection: the session's other connections get the message as `message:sent`. */
  connectionId?: string | undefined;
}

export interface BroadcasterSender {
  adminId: string;
  name: string;
}

export type SendOutcome = 'acked' | 'duplicate' | 'invalid' | 'rate_limited' | 'unavailable';

export interface ChatServiceDeps {
  store: Store;
  hub: Hub;
  metrics: Metrics;
  logger: Logger;
  listenerLimiter: RateLimiter;
  broadcasterLimiter: RateLimiter;
  /**
   * Whether a listener's cleaned message is stored hidden, and why (a muted
   * session, the word filter); in memory, never a database round trip.
   */
  screen?: ((sessionId: string, text: string) => HiddenReason | undefined) | undefined;
}

export class ChatService {
  private readonly perSession = new KeyedQueue();
  private readonly inFlight = new InFlight();
  private accepting = true;
  /** False once the drain gave up waiting: messages not yet handed to the store are refused. */
  private storing = true;

  constructor(private readonly deps: ChatServiceDeps) {}

  /** `message:send` from a listener. */
  sendFromListener(
    sender: ListenerSender,
    payload: { text: string; clientMessageId?: string | undefined },
    replier: Replier,
  ): Promise<SendOutcome> {
    return this.inFlight.track(
      this.handle(
        {
          sessionId: sender.sessionId,
          direction: 'listener',
          senderKey: `session:${sender.sessionId}`,
          from: sender.name,
          clientMessageId: payload.clientMessageId,
          text: payload.text,
        },
        this.deps.listenerLimiter,
        sender.sessionId,
        replier,
        sender.connectionId,
      ),
    );
  }

  /** `message:reply` from a broadcaster. */
  replyFromBroadcaster(
    sender: BroadcasterSender,
    payload: { sessionId: string; text: string; clientMessageId?: string | undefined },
    replier: Replier,
  ): Promise<SendOutcome> {
    return this.inFlight.track(
      this.handle(
        {
          sessionId: payload.sessionId,
          direction: 'broadcaster',
          senderKey: `admin:${sender.adminId}`,
          from: sender.name,
          adminId: sender.adminId,
          clientMessageId: payload.clientMessageId,
          text: payload.text,
        },
        this.deps.broadcasterLimiter,
        `admin:${sender.adminId}`,
        replier,
      ),
    );
  }

  /**
   * At shutdown: a message arriving from now on is answered `error:unavailable`
   * (the client resends it elsewhere) instead of being stored. Otherwise a client
   * that keeps sending holds the drain open, and what it sends while its socket
   * closes is stored without an ack ever reaching it.
   */
  stopAccepting(): void {
    this.accepting = false;
  }

  /**
   * At shutdown, when the drain has waited long enough: a message still
   * waiting for its session's turn is answered `error:unavailable` instead of
   * being stored. Only the writes already with the store are finished (and
   * acked), so the drain ends within the shutdown timeout even under overload.
   */
  refuseQueued(): void {
    this.storing = false;
  }

  /** Resolves when every message being handled now has been answered. */
  drain(): Promise<void> {
    return this.inFlight.idle();
  }

  private handle(
    draft: NewMessage,
    limiter: RateLimiter,
    limiterKey: string,
    replier: Replier,
    senderConnectionId?: string,
  ): Promise<SendOutcome> {
    // Untraced, no span and so no attributes to build: the common case, once per message.
    if (!tracingActive()) return this.process(draft, limiter, limiterKey, replier, senderConnectionId);
    return inSpan(
      'livechat.message',
      { 'livechat.direction': draft.direction, 'livechat.session_id': draft.sessionId },
      async (span) => {
        const outcome = await this.process(draft, limiter, limiterKey, replier, senderConnectionId);
        span.setAttribute('livechat.outcome', outcome);
        return outcome;
      },
    );
  }

  private async process(
    draft: NewMessage,
    limiter: RateLimiter,
    limiterKey: string,
    replier: Replier,
    senderConnectionId: string | undefined,
  ): Promise<SendOutcome> {
    const { metrics } = this.deps;
    const started = performance.now();
    const clientMessageId = draft.clientMessageId;
    const echo = clientMessageId === undefined ? {} : { clientMessageId };
    metrics.messagesReceivedTotal.inc({ direction: draft.direction });
    if (!this.accepting) return this.refuseUnavailable(replier, echo);

    // Limit, clean and store inside the session's queue, so that messages of one
    // session are stored, acked and published in the order they arrived. The
    // cheap limit comes before the cleaning: text over the limit is never cleaned.
    return this.perSession.run(draft.sessionId, async () => {
      if (!this.storing) return this.refuseUnavailable(replier, echo);
      const retryAfterMs = await this.consume(limiter, limiterKey);
      if (retryAfterMs !== undefined) {
        metrics.messagesRefusedTotal.inc({ reason: 'rate_limited' });
        replier.send('error:rate_limited', { retryAfterMs, ...echo });
        return 'rate_limited';
      }

      const cleaned = inSpanSync('livechat.validate', {}, () => cleanField(draft.text, MAX_TEXT_LENGTH));
      if (!cleaned.ok) {
        metrics.messagesRefusedTotal.inc({ reason: 'invalid_payload' });
        const message = cleaned.reason === 'empty' ? wsMessages.textEmpty : wsMessages.textTooLong;
        replier.send('error:invalid_payload', { message, ...echo });
        return 'invalid';
      }

      const hiddenReason =
        draft.direction === 'listener' ? this.deps.screen?.(draft.sessionId, cleaned.value) : undefined;
      const writeStarted = performance.now();
      const messageContext = tracingActive() ? context.active() : undefined;
      // Ack and publish run right after the commit, while the store still holds
      // this session's next write back (on every instance): one session's
      // publications leave in stored order.
      let committed: InsertResult | undefined;
      const afterCommit = async (result: InsertResult): Promise<void> => {
        committed = result;
        const { message, duplicate } = result;
        metrics.dbWriteLatency.observe((performance.now() - writeStarted) / 1000);
        replier.send('message:ack', {
          messageId: message.messageId,
          ...echo,
          createdAt: message.createdAt.toISOString(),
          text: message.text,
          ...(duplicate ? { duplicate: true } : {}),
        });
        metrics.messagesAckedTotal.inc({ direction: draft.direction, duplicate: String(duplicate) });
        metrics.ackLatency.observe({ direction: draft.direction }, (performance.now() - started) / 1000);
        if (duplicate) return;
        metrics.messagesStoredTotal.inc({ direction: draft.direction });
        if (messageContext === undefined) {
          await this.publish(message, result.previousMessageId, senderConnectionId);
          return;
        }
        // A sibling of the store span under the message span, though it runs inside the store call.
        await inSpan(
          'livechat.publish',
          { 'livechat.message_id': message.messageId },
          () => this.publish(message, result.previousMessageId, senderConnectionId),
          messageContext,
        );
      };
      try {
        const result = await inSpan('livechat.store', {}, () =>
          this.deps.store.messages.insert(
            { ...draft, text: cleaned.value, ...(hiddenReason === undefined ? {} : { hiddenReason }) },
            { afterCommit },
          ),
        );
        return result.duplicate ? 'duplicate' : 'acked';
      } catch (error) {
        if (committed) {
          // Stored and acked already; only what came after failed.
          this.deps.logger.error({ err: error, sessionId: draft.sessionId }, 'after storing a message');
          return committed.duplicate ? 'duplicate' : 'acked';
        }
        if (error instanceof UnknownSessionError) {
          metrics.messagesRefusedTotal.inc({ reason: 'invalid_payload' });
          replier.send('error:invalid_payload', { message: wsMessages.unknownSession, ...echo });
          return 'invalid';
        }
        this.deps.logger.error({ err: error, sessionId: draft.sessionId }, 'storing a message failed');
        return this.refuseUnavailable(replier, echo);
      }
    });
  }

  /** Answers `error:unavailable`: the client resends the message (elsewhere, at shutdown). */
  private refuseUnavailable(replier: Replier, echo: { clientMessageId?: string }): 'unavailable' {
    this.deps.metrics.messagesRefusedTotal.inc({ reason: 'unavailable' });
    replier.send('error:unavailable', { message: wsMessages.unavailable, ...echo });
    return 'unavailable';
  }

  /**
   * Fan-out of a stored message; a broker failure is logged, the message stays
   * stored. Both publications are handed to the broker before either is
   * awaited: they leave in this order, and cost one bus round trip together.
   * A listener's message goes to its session's channel too, as `message:sent`
   * for its other connections (tabs); the sender is left out (it has its ack).
   */
  private async publish(
    message: StoredMessage,
    previousMessageId: string | undefined,
    senderConnectionId: string | undefined,
  ): Promise<void> {
    const { hub } = this.deps;
    const toListener =
      message.direction === 'broadcaster'
        ? this.logFailure(
            hub.toSession(
              message.sessionId,
              'message:receive',
              toReceive(message),
              message.messageId,
              previousMessageId,
            ),
            message,
          )
        : this.logFailure(
            hub.toSessionExcept(message.sessionId, 'message:sent', toOwnMessage(message), senderConnectionId ?? ''),
            message,
          );
    // A muted session's messages reach no one (shadow mute); filtered ones arrive marked hidden.
    const toBroadcasters =
      message.hiddenReason === 'mute'
        ? undefined
        : this.logFailure(hub.toBroadcasters('message:new', toMessage(message), message.messageId), message);
    await toListener;
    await toBroadcasters;
  }

  private async logFailure(publication: Promise<void>, message: StoredMessage): Promise<void> {
    try {
      await publication;
    } catch (error) {
      this.deps.logger.error({ err: error, messageId: message.messageId }, 'publishing a message failed');
    }
  }

  /** Takes one point; the wait in ms when over the limit, undefined when allowed. */
  private async consume(limiter: RateLimiter, key: string): Promise<number | undefined> {
    try {
      const decision = await limiter.consume(key);
      return decision.allowed ? undefined : Math.max(1, Math.ceil(decision.retryAfterMs));
    } catch (error) {
      // The limiter's own store failed: let the message through rather than refuse everyone.
      this.deps.logger.warn({ err: error }, 'rate limiter unavailable; message allowed');
      return undefined;
    }
  }
}

export function toMessage(message: StoredMessage): Message {
  return {
    messageId: message.messageId,
    sessionId: message.sessionId,
    direction: message.direction,
    from: message.from,
    text: message.text,
    createdAt: message.createdAt.toISOString(),
    ...(message.hiddenReason === undefined ? {} : { hidden: true, reason: message.hiddenReason }),
  };
}

/**
 * A message as its own listener sees it (history, other tabs): never marked
 * hidden, so a muted listener notices nothing.
 */
export function toOwnMessage(message: StoredMessage): Message {
  const { hidden: _hidden, reason: _reason, ...own } = toMessage(message);
  return own;
}

export function toReceive(message: StoredMessage): ListenerServerEvents['message:receive'] {
  return {
    messageId: message.messageId,
    from: message.from,
    text: message.text,
    createdAt: message.createdAt.toISOString(),
  };
}
