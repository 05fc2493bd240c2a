/**
 * The local hub: which connections of this instance listen to which channel.
 * It publishes through the broker and routes what the broker delivers to the
 * local connections of that channel. It never talks to other instances itself.
 */
import type { Logger } from 'pino';
import { broadcastersChannel, sessionChannel, type Broker, type Publication } from '../broker/types.js';
import type { Metrics } from '../metrics.js';
import type { BroadcasterServerEvents, ListenerServerEvents } from '../protocol/events.js';
import { extractTraceContext, injectTraceContext, tracer } from '../tracing.js';
import type { Subscriber } from './subscriber.js';

export class Hub {
  private readonly channels = new Map<string, Set<Subscriber>>();
  private readonly all = new Set<Subscriber>();

  constructor(
    private readonly broker: Broker,
    private readonly metrics: Metrics,
    private readonly logger: Logger,
  ) {}

  /** Registers a subscriber on its channel (subscribing this instance when it is the first). */
  async add(subscriber: Subscriber): Promise<void> {
    const channel = channelOf(subscriber);
    this.all.add(subscriber);
    this.metrics.connectionsOpen.inc({ kind: subscriber.kind });
    const members = this.channels.get(channel);
    if (members) {
      members.add(subscriber);
      return;
    }
    this.channels.set(channel, new Set([subscriber]));
    await this.broker.subscribe(channel);
  }

  /** Unregisters a subscriber (unsubscribing this instance when it was the last). */
  async remove(subscriber: Subscriber): Promise<void> {
    if (!this.all.delete(subscriber)) return;
    this.metrics.connectionsOpen.dec({ kind: subscriber.kind });
    const channel = channelOf(subscriber);
    const members = this.channels.get(channel);
    if (!members) return;
    members.delete(subscriber);
    if (members.size > 0) return;
    this.channels.delete(channel);
    try {
      await this.broker.unsubscribe(channel);
    } catch (error) {
      this.logger.warn({ err: error, channel }, 'unsubscribe failed');
    }
  }

  /** Every subscriber of this instance. */
  connections(): Subscriber[] {
    return [...this.all];
  }

  /** Local subscribers of a listener session. */
  sessionConnections(sessionId: string): Subscriber[] {
    return [...(this.channels.get(sessionChannel(sessionId)) ?? [])];
  }

  /** Publishes a listener event to every connection of a session, on every instance. */
  toSession<K extends keyof ListenerServerEvents & string>(
    sessionId: string,
    event: K,
    data: ListenerServerEvents[K],
    messageId?: string,
    previousMessageId?: string,
  ): Promise<void> {
    return this.publish({
      channel: sessionChannel(sessionId),
      frame: frameOf<ListenerServerEvents, K>(event, data),
      messageId,
      previousMessageId,
      trace: injectTraceContext(),
    });
  }

  /**
   * Publishes a listener event to every connection of a session, on every
   * instance, except the connection `exceptConnectionId` (its sender).
   */
  toSessionExcept<K extends keyof ListenerServerEvents & string>(
    sessionId: string,
    event: K,
    data: ListenerServerEvents[K],
    exceptConnectionId: string,
  ): Promise<void> {
    return this.publish({
      channel: sessionChannel(sessionId),
      frame: frameOf<ListenerServerEvents, K>(event, data),
      exceptConnectionId,
      trace: injectTraceContext(),
    });
  }

  /** Sends a last event to every connection of a session, on every instance, then closes them with `code`. */
  closeSession<K extends keyof ListenerServerEvents & string>(
    sessionId: string,
    event: K,
    data: ListenerServerEvents[K],
    code: number,
  ): Promise<void> {
    return this.publish({
      channel: sessionChannel(sessionId),
      frame: frameOf<ListenerServerEvents, K>(event, data),
      closeCode: code,
      trace: injectTraceContext(),
    });
  }

  /** Publishes a broadcaster event to every broadcaster connection, on every instance. */
  toBroadcasters<K extends keyof BroadcasterServerEvents & string>(
    event: K,
    data: BroadcasterServerEvents[K],
    messageId?: string,
  ): Promise<void> {
    return this.publish({
      channel: broadcastersChannel,
      frame: frameOf<BroadcasterServerEvents, K>(event, data),
      messageId,
      trace: injectTraceContext(),
    });
  }

  private publish(publication: Publication): Promise<void> {
    this.metrics.busPublishedTotal.inc({ channel_kind: kindOf(publication.channel) });
    // Both brokers' publish is async: a failure is a rejection, never a throw.
    return this.broker.publish(publication);
  }

  /** Called by the broker for every publication on a channel this instance subscribed to. */
  readonly deliver = (publication: Publication): void => {
    const members = this.channels.get(publication.channel);
    this.metrics.busDeliveredTotal.inc({ channel_kind: kindOf(publication.channel) });
    if (publication.publishedAt !== undefined) {
      this.metrics.busLag.observe(Math.max(0, Date.now() - publication.publishedAt) / 1000);
    }
    if (!members) return;
    const event = publication.messageId === undefined ? undefined : eventOf(publication.channel);
    const span = publication.trace
      ? tracer().startSpan(
          'livechat.deliver',
          { attributes: { 'livechat.channel_kind': kindOf(publication.channel), 'livechat.recipients': members.size } },
          extractTraceContext(publication.trace),
        )
      : undefined;
    for (const subscriber of members) subscriber.deliver(publication);
    if (event) this.metrics.messagesDeliveredTotal.inc({ event }, members.size);
    span?.end();
  };
}

/**
 * Serialises a frame of event map `M` once, however many connections receive
 * it: `frameOf<ListenerServerEvents, 'message:receive'>(event, data)`.
 */
export function frameOf<M, K extends keyof M & string>(event: K, data: M[K]): string {
  return JSON.stringify({ event, data });
}

function channelOf(subscriber: Subscriber): string {
  return subscriber.kind === 'broadcaster' ? broadcastersChannel : sessionChannel(subscriber.sessionId);
}

function kindOf(channel: string): 'session' | 'broadcasters' {
  return channel === broadcastersChannel ? 'broadcasters' : 'session';
}

function eventOf(channel: string): 'message:new' | 'message:receive' {
  return channel === broadcastersChannel ? 'message:new' : 'message:receive';
}
