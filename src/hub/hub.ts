/**
 * The local hub: which connections of this instance listen to which channel.
 * It publishes through the broker and routes what the broker delivers to the
 * local connections of that channel. It never talks to other instances itself.
 */
import type { Logger } from 'pino';
import { broadcastersChannel, sessionChannel, type Broker, type Publication } from '../broker/types.js';
import type { Metrics } from '../metrics.js';
import { extractTraceContext, injectTraceContext, tracer } from '../tracing.js';
import type { Connection } from '../ws/connection.js';

export class Hub {
  private readonly channels = new Map<string, Set<Connection>>();
  private readonly all = new Set<Connection>();

  constructor(
    private readonly broker: Broker,
    private readonly metrics: Metrics,
    private readonly logger: Logger,
  ) {}

  /** Registers a connection on its channel (subscribing this instance when it is the first). */
  async add(connection: Connection): Promise<void> {
    const channel = channelOf(connection);
    this.all.add(connection);
    this.metrics.connectionsOpen.inc({ kind: connection.kind });
    const members = this.channels.get(channel);
    if (members) {
      members.add(connection);
      return;
    }
    this.channels.set(channel, new Set([connection]));
    await this.broker.subscribe(channel);
  }

  /** Unregisters a connection (unsubscribing this instance when it was the last). */
  async remove(connection: Connection): Promise<void> {
    if (!this.all.delete(connection)) return;
    this.metrics.connectionsOpen.dec({ kind: connection.kind });
    const channel = channelOf(connection);
    const members = this.channels.get(channel);
    if (!members) return;
    members.delete(connection);
    if (members.size > 0) return;
    this.channels.delete(channel);
    try {
      await this.broker.unsubscribe(channel);
    } catch (error) {
      this.logger.warn({ err: error, channel }, 'unsubscribe failed');
    }
  }

  /** Every open connection of this instance. */
  connections(): Connection[] {
    return [...this.all];
  }

  /** Local connections of a listener session. */
  sessionConnections(sessionId: string): Connection[] {
    return [...(this.channels.get(sessionChannel(sessionId)) ?? [])];
  }

  toSession(
    sessionId: string,
    event: string,
    data: object,
    messageId?: string,
    previousMessageId?: string,
  ): Promise<void> {
    return this.publish({
      channel: sessionChannel(sessionId),
      frame: frameOf(event, data),
      messageId,
      previousMessageId,
      trace: injectTraceContext(),
    });
  }

  toBroadcasters(event: string, data: object, messageId?: string): Promise<void> {
    return this.publish({
      channel: broadcastersChannel,
      frame: frameOf(event, data),
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
    for (const connection of members) connection.deliver(publication);
    if (event) this.metrics.messagesDeliveredTotal.inc({ event }, members.size);
    span?.end();
  };
}

/** Serialises a frame once, however many connections receive it. */
export function frameOf(event: string, data: object): string {
  return JSON.stringify({ event, data });
}

function channelOf(connection: Connection): string {
  return connection.kind === 'broadcaster' ? broadcastersChannel : sessionChannel(connection.sessionId!);
}

function kindOf(channel: string): 'session' | 'broadcasters' {
  return channel === broadcastersChannel ? 'broadcasters' : 'session';
}

function eventOf(channel: string): 'message:new' | 'message:receive' {
  return channel === broadcastersChannel ? 'message:new' : 'message:receive';
}
