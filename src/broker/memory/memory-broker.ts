/**
 * Single-process broker: fan-out is a function call. The default when
 * REDIS_URL is unset (with ./memory-registry.ts and in-memory rate limits).
 */
import { randomUUID } from 'node:crypto';
import type { Broker, BrokerHandlers, Publication } from '../types.js';

export class MemoryBroker implements Broker {
  readonly instanceId = randomUUID();
  private handlers: BrokerHandlers | undefined;
  /** Channels this instance subscribed to: only their publications are delivered (as with Redis). */
  private readonly channels = new Set<string>();

  async start(handlers: BrokerHandlers): Promise<void> {
    this.handlers = handlers;
  }

  async publish(publication: Publication): Promise<void> {
    if (this.channels.has(publication.channel)) this.handlers?.onDelivery(publication);
  }

  async subscribe(channel: string): Promise<void> {
    this.channels.add(channel);
  }

  async unsubscribe(channel: string): Promise<void> {
    this.channels.delete(channel);
  }

  async close(): Promise<void> {
    this.handlers = undefined;
  }
}
