/**
 * The subscriber connection's channels. The set of wanted channels is the
 * truth: it is replayed on every (re)connection, and a connection that failed
 * to take a channel is reconnected ("repaired") so that its replay includes it.
 * Each connection gets a new epoch: work spanning two epochs proves nothing.
 */
import type { Logger } from 'pino';
import type { Redis } from 'ioredis';

export interface SubscriberHooks {
  /** The current connection was written off (dropped or repaired). */
  onLost(): void;
  /** A fresh connection has every wanted channel; `again` from the second time on (deliveries may have been missed). */
  onSynced(again: boolean): void;
  /** The broker is closed: nothing more to do. */
  closed(): boolean;
}

export class ChannelSubscriber {
  /** Channels (hub names) this instance wants. */
  readonly wanted = new Set<string>();
  /** Changes whenever the connection connects or drops. */
  epoch = 0;
  /** Times the full channel set was subscribed on a (re)connected subscriber. */
  resubscribes = 0;
  /** Times the connection was reconnected to repair its subscriptions. */
  repairs = 0;
  /** The current connection has every wanted channel (and the probe channel). */
  private synced = false;
  private resyncRun: Promise<void> | undefined;

  constructor(
    private readonly sub: Redis,
    private readonly channelPrefix: string,
    private readonly probeChannel: string,
    private readonly logger: Logger,
    private readonly hooks: SubscriberHooks,
  ) {}

  /** Connected and every wanted channel subscribed. */
  get ready(): boolean {
    return this.sub.status === 'ready' && this.synced;
  }

  /** Resolves when the replay started by the last connection is over. */
  async settled(): Promise<void> {
    await this.resyncRun;
  }

  async add(channel: string): Promise<void> {
    this.wanted.add(channel);
    // Not ready: the channel is subscribed with all the others when the subscriber is back.
    if (this.hooks.closed() || this.sub.status !== 'ready') return;
    const epoch = this.epoch;
    try {
      await this.sub.subscribe(this.channelPrefix + channel);
    } catch (error) {
      this.logger.warn({ err: error, channel }, 'subscribe failed; replaying every channel on a fresh connection');
      // Same connection still up: reconnect it so that its resync includes this channel.
      this.repairIfCurrent(epoch);
    }
  }

  async remove(channel: string): Promise<void> {
    if (!this.wanted.delete(channel)) return;
    if (this.hooks.closed() || this.sub.status !== 'ready') return;
    try {
      await this.sub.unsubscribe(this.channelPrefix + channel);
    } catch (error) {
      // A fresh subscriber connection starts without it anyway.
      this.logger.debug({ err: error, channel }, 'unsubscribe failed');
    }
  }

  /** The connection became ready: replay every channel on it. */
  connected(): void {
    this.epoch += 1;
    this.synced = false;
    this.resyncRun = this.resync(this.epoch);
  }

  /** The connection dropped. */
  dropped(): void {
    this.epoch += 1;
    this.synced = false;
    this.hooks.onLost();
  }

  /** Reconnects the subscriber; its 'ready' replays every channel. */
  repair(): void {
    // This connection is written off now, even though its socket may take a moment to close.
    this.dropped();
    this.repairs += 1;
    this.logger.warn('reconnecting the Redis subscriber to repair its subscriptions');
    this.sub.disconnect(true);
  }

  private repairIfCurrent(epoch: number): void {
    if (epoch === this.epoch && this.sub.status === 'ready' && !this.hooks.closed()) this.repair();
  }

  private async resync(epoch: number): Promise<void> {
    const channels = [this.probeChannel, ...[...this.wanted].map((c) => this.channelPrefix + c)];
    try {
      await this.sub.subscribe(...channels);
    } catch (error) {
      this.logger.warn({ err: error }, 'resubscribe failed');
      this.repairIfCurrent(epoch);
      return;
    }
    // Dropped meanwhile: the next connection replays its own.
    if (epoch !== this.epoch || this.hooks.closed()) return;
    this.synced = true;
    this.resubscribes += 1;
    this.logger.debug({ channels: channels.length }, 'subscriber channels replayed');
    this.hooks.onSynced(this.resubscribes > 1);
  }
}
