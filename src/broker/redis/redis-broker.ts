/**
 * Redis broker: any number of instances act as one service.
 *
 * - Fan-out: `publish` delivers locally at once, then PUBLISHes once to Redis;
 *   other instances receive it on their subscriber connection, this one drops
 *   its own echo (the envelope names the origin instance: ./envelope.ts).
 * - Subscriptions: the set of wanted channels is the truth; it is replayed on
 *   every (re)connection of the subscriber.
 * - Liveness probe (./liveness-probe.ts): "publish works but nothing arrives"
 *   makes the broker unhealthy (ping rejects) and reconnects the subscriber.
 * - Publications Redis did not take and the caller's `retainOnFailure` policy
 *   keeps wait in ./unsent-queue.ts and are published again once it is back.
 * - The same command connection serves the connection registry
 *   (./redis-registry.ts, kept alive and swept here) and rate limits
 *   (`limiters`, ./redis-rate-limiter.ts).
 *
 * Redis being unreachable never throws into callers of publish/subscribe: it is
 * counted, logged on state changes, and repaired by ioredis's reconnection.
 */
import { randomUUID } from 'node:crypto';
import pino, { type Logger } from 'pino';
import type { Redis } from 'ioredis';
import type { RateLimiterFactory } from '../rate-limiter.js';
import type { BrokerTelemetry } from '../services.js';
import type { Broker, BrokerHandlers, Publication, RetainOnFailure } from '../types.js';
import { decodeEnvelope, encodeEnvelope } from './envelope.js';
import { LivenessProbe, type ProbeOutcome } from './liveness-probe.js';
import { openRedisConnections, quit, redact, watchConnection } from './redis-connections.js';
import {
  redisBrokerSettings,
  zeroStats,
  type RedisBrokerHealth,
  type RedisBrokerOptions,
  type RedisBrokerSettings,
  type RedisBrokerStats,
} from './redis-options.js';
import { redisRateLimiters } from './redis-rate-limiter.js';
import { ChannelSubscriber } from './channel-subscriber.js';
import { RedisRegistry, defineRegistryScripts } from './redis-registry.js';
import { RegistryUpkeep } from './registry-upkeep.js';
import { withTimeout } from './timeout.js';
import { UnsentQueue } from './unsent-queue.js';

/** Most publications kept while Redis does not take them (about 16 MiB of frames at most). */
const MAX_UNSENT = 10_000;

export class RedisBroker implements Broker, BrokerTelemetry {
  readonly instanceId: string;
  readonly registry: RedisRegistry;
  readonly limiters: RateLimiterFactory;

  private readonly options: RedisBrokerSettings;
  private readonly logger: Logger;
  private readonly onStatus: RedisBrokerOptions['onStatus'];
  private readonly retainOnFailure: RetainOnFailure;
  private readonly cmd: Redis;
  private readonly sub: Redis;
  private readonly channelPrefix: string;
  private readonly probeChannel: string;
  private readonly probe: LivenessProbe;
  private readonly upkeep: RegistryUpkeep;
  private readonly subscriber: ChannelSubscriber;
  private readonly unsent = new UnsentQueue(MAX_UNSENT);
  private readonly counters = zeroStats();

  private handlers: BrokerHandlers | undefined;
  private started = false;
  private closed = false;
  private timers: NodeJS.Timeout[] = [];
  private subscriptionHealthy = false;
  private lastProbeOkAt: number | undefined;
  private lastEmitted = '';
  private closeRun: Promise<void> | undefined;

  constructor(options: RedisBrokerOptions) {
    const o = (this.options = redisBrokerSettings(options));
    this.instanceId = options.instanceId ?? randomUUID();
    this.logger = (options.logger ?? pino({ level: 'silent' })).child({
      component: 'broker',
      instanceId: this.instanceId,
    });
    this.onStatus = options.onStatus;
    this.retainOnFailure = options.retainOnFailure ?? (() => false);
    this.channelPrefix = `${o.keyPrefix}ch:`;
    this.probeChannel = `${o.keyPrefix}probe:${this.instanceId}`;
    ({ cmd: this.cmd, sub: this.sub } = openRedisConnections(o, this.instanceId));
    this.subscriber = new ChannelSubscriber(this.sub, this.channelPrefix, this.probeChannel, this.logger, {
      onLost: () => this.probe.cancel(),
      onSynced: (again) => this.resubscribed(again),
      closed: () => this.closed,
    });
    this.probe = new LivenessProbe(
      {
        subscriberReady: () => this.subscriber.ready,
        subscriberEpoch: () => this.subscriber.epoch,
        publish: (token) => this.cmd.publish(this.probeChannel, token),
      },
      o.probeTimeoutMs,
    );
    defineRegistryScripts(this.cmd);
    this.registry = new RedisRegistry({
      redis: this.cmd,
      keyPrefix: o.keyPrefix,
      instanceId: this.instanceId,
      ttlMs: o.registryTtlMs,
      logger: this.logger,
      onFallback: (operation, error) => {
        this.counters.registryFallbacks += 1;
        this.logger.warn({ err: error, operation }, 'registry: Redis failed, answered from this instance only');
      },
    });
    this.upkeep = new RegistryUpkeep(
      this.registry,
      this.logger,
      (sessionIds) => this.reportExpired(sessionIds),
      () => this.closed,
    );
    this.limiters = redisRateLimiters(this.cmd, o.keyPrefix);
  }

  /** The timings and prefix in force (defaults applied), e.g. for a startup log line. */
  get settings(): Readonly<Omit<RedisBrokerSettings, 'redisUrl'>> {
    const { redisUrl: _redisUrl, ...rest } = this.options;
    return rest;
  }

  /** Name of the Redis connections in CLIENT LIST (`<prefix><role>:<instanceId>`, role cmd or sub). */
  connectionName(role: 'cmd' | 'sub'): string {
    return (role === 'cmd' ? this.cmd : this.sub).options.connectionName ?? '';
  }

  async start(handlers: BrokerHandlers): Promise<void> {
    if (this.started) throw new Error('RedisBroker already started');
    this.started = true;
    this.handlers = handlers;
    this.watch();
    this.sub.on('message', this.onMessage);

    const connected = Promise.allSettled([this.cmd.connect(), this.sub.connect()]);
    const ready = await withTimeout(connected, this.options.startTimeoutMs);
    const settled: PromiseSettledResult<void>[] = ready ?? [];
    const failures = settled.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (ready === undefined || failures.length > 0) {
      this.logger.error(
        { err: failures[0]?.reason, redis: redact(this.options.redisUrl) },
        'Redis is unreachable at start: running degraded (local delivery only) until it answers',
      );
    } else {
      // The subscriber's 'ready' started the resync; wait for it and prove the loop works.
      await this.subscriber.settled();
      await this.runProbe();
      this.logger.info({ healthy: this.subscriptionHealthy }, 'Redis broker started');
    }
    this.every(this.options.probeIntervalMs, () => void this.runProbe());
    this.every(this.options.registryRefreshIntervalMs, () => void this.upkeep.refresh());
    this.every(this.options.sweepIntervalMs, () => void this.upkeep.sweep());
    this.emitStatus();
  }

  async publish(publication: Publication): Promise<void> {
    // What the handler throws is logged: other instances still get it.
    if (this.subscriber.wanted.has(publication.channel)) {
      this.callback('delivery handler', () => this.handlers?.onDelivery(publication), publication.channel);
    }
    if (this.closed) return;
    const channel = this.channelPrefix + publication.channel;
    const payload = encodeEnvelope(publication, this.instanceId, Date.now());
    try {
      await this.cmd.publish(channel, payload);
      this.counters.published += 1;
    } catch (error) {
      this.counters.publishFailures += 1;
      if (this.retainOnFailure(publication)) {
        this.unsent.push({ channel, payload });
        // The connection may have come back while this publish was failing.
        if (this.cmd.status === 'ready') void this.republish();
      }
      this.logger.debug({ err: error, channel: publication.channel }, 'publish to Redis failed, delivered locally');
    }
  }

  /** Publishes what was retained, in order; stops at the first failure (the next 'ready' resumes). */
  private async republish(): Promise<void> {
    if (this.closed) return;
    try {
      await this.unsent.drain(
        ({ channel, payload }) => this.cmd.publish(channel, payload),
        () => this.closed,
      );
    } catch (error) {
      this.logger.debug(
        { err: error, waiting: this.unsent.size },
        'publishing again failed; retried when Redis is back',
      );
    }
  }

  async subscribe(channel: string): Promise<void> {
    await this.subscriber.add(channel);
  }

  async unsubscribe(channel: string): Promise<void> {
    await this.subscriber.remove(channel);
  }

  async ping(): Promise<void> {
    if (this.closed) throw new Error('broker closed');
    if (this.cmd.status !== 'ready' || this.sub.status !== 'ready') {
      throw new Error(`Redis not connected (commands: ${this.cmd.status}, subscriber: ${this.sub.status})`);
    }
    if (!this.subscriptionHealthy)
      throw new Error('Redis subscription unhealthy: the liveness probe did not come back');
    await this.cmd.ping();
  }

  health(): RedisBrokerHealth {
    return {
      connected: this.cmd.status === 'ready' && this.sub.status === 'ready',
      subscriptionHealthy: this.subscriptionHealthy,
      lastProbeOkAt: this.lastProbeOkAt,
    };
  }

  stats(): Readonly<RedisBrokerStats> {
    return {
      ...this.counters,
      republished: this.unsent.republished,
      unsentDropped: this.unsent.dropped,
      registryReadded: this.upkeep.readded,
      resubscribes: this.subscriber.resubscribes,
      subscriberRepairs: this.subscriber.repairs,
      probes: this.probe.sent,
    };
  }

  /** Channels this instance currently wants (hub names). */
  subscribedChannels(): string[] {
    return [...this.subscriber.wanted];
  }

  close(): Promise<void> {
    this.closeRun ??= this.shutdown();
    return this.closeRun;
  }

  private async shutdown(): Promise<void> {
    if (this.closed) return;
    this.stopTimers();
    let lastHere: string[] = [];
    try {
      lastHere = await this.registry.releaseAll();
    } catch (error) {
      this.logger.warn({ err: error }, 'could not release registry entries at close');
    }
    // Sessions whose last connection was here and that nobody else will report.
    if (lastHere.length > 0) this.reportExpired(lastHere);
    // Let what the handler published leave before QUIT.
    await new Promise((resolve) => setImmediate(resolve));
    this.closed = true;
    this.handlers = undefined;
    this.probe.stop();
    await Promise.all([quit(this.cmd), quit(this.sub)]);
  }

  /**
   * Test hook: behaves as if the process died. Timers stop and both connections
   * drop without releasing anything, so this instance's registry entries stay
   * in Redis until they expire.
   */
  simulateCrash(): void {
    this.stopTimers();
    this.closed = true;
    this.handlers = undefined;
    this.probe.stop();
    this.registry.forgetLocally();
    this.cmd.disconnect();
    this.sub.disconnect();
  }

  // --- internals -----------------------------------------------------------

  private watch(): void {
    const closed = () => this.closed;
    const reconnected = (again: boolean) => {
      if (again) this.counters.reconnects += 1;
    };
    watchConnection(this.cmd, 'cmd', this.logger, {
      closed,
      lost: () => this.emitStatus(),
      ready: (again) => {
        reconnected(again);
        // After an outage (maybe a restart that lost every key) put this instance's entries back.
        void this.upkeep.refresh();
        void this.republish();
        this.emitStatus();
      },
    });
    watchConnection(this.sub, 'sub', this.logger, {
      closed,
      lost: () => {
        this.subscriptionHealthy = false;
        this.subscriber.dropped();
        this.emitStatus();
      },
      ready: (again) => {
        reconnected(again);
        this.subscriber.connected();
        this.emitStatus();
      },
    });
  }

  private readonly onMessage = (redisChannel: string, payload: string): void => {
    if (redisChannel === this.probeChannel) {
      this.probe.received(payload);
      return;
    }
    if (!redisChannel.startsWith(this.channelPrefix)) return;
    const channel = redisChannel.slice(this.channelPrefix.length);
    const envelope = decodeEnvelope(payload);
    if (envelope === undefined) {
      this.counters.malformed += 1;
      this.logger.warn({ channel }, 'dropped a malformed Pub/Sub payload');
      return;
    }
    if (envelope.origin === this.instanceId) {
      this.counters.echoesDropped += 1;
      return;
    }
    // A message can still arrive just after the last local connection left.
    if (!this.subscriber.wanted.has(channel) || !this.handlers) return;
    this.counters.received += 1;
    const publication = { channel, ...envelope.publication };
    this.callback('delivery handler', () => this.handlers?.onDelivery(publication), channel);
  };

  /** Runs the liveness probe (concurrent callers share a run) and acts on its outcome. */
  private async runProbe(): Promise<void> {
    const outcome: ProbeOutcome = await this.probe.run();
    switch (outcome) {
      case 'stale':
        // The subscriber changed meanwhile: its resync probes again.
        return;
      case 'healthy':
        this.lastProbeOkAt = Date.now();
        this.setSubscriptionHealthy(true);
        return;
      case 'not-ready':
        // Down or still replaying its channels: ioredis or the resync is at work.
        this.setSubscriptionHealthy(false);
        return;
      case 'unreachable':
      case 'lost':
        this.counters.probeFailures += 1;
        this.setSubscriptionHealthy(false);
        // Publish works but nothing comes back: the subscriber looks connected and is not.
        if (outcome === 'lost' && this.sub.status === 'ready') this.subscriber.repair();
    }
  }

  /** Every channel is subscribed again on a fresh subscriber connection. */
  private resubscribed(again: boolean): void {
    // Not the first subscription: publications may have been missed while it was down.
    if (again) this.callback('resubscribe handler', () => this.handlers?.onResubscribed?.());
    // Prove the fresh subscription now (once a probe still running from before is done).
    if (this.timers.length > 0) void this.probe.settled().then(() => this.runProbe());
  }

  private setSubscriptionHealthy(healthy: boolean): void {
    if (healthy !== this.subscriptionHealthy) {
      if (healthy) this.logger.info('Redis subscription healthy');
      else this.logger.warn('Redis subscription unhealthy');
    }
    this.subscriptionHealthy = healthy;
    this.emitStatus();
  }

  private reportExpired(sessionIds: string[]): void {
    this.counters.sessionsExpired += sessionIds.length;
    this.logger.info({ sessions: sessionIds.length }, 'sessions lost their last connection with a vanished instance');
    this.callback('onSessionsExpired handler', () => this.handlers?.onSessionsExpired(sessionIds));
  }

  private every(ms: number, fn: () => void): void {
    const timer = setInterval(fn, ms);
    timer.unref();
    this.timers.push(timer);
  }

  private stopTimers(): void {
    for (const timer of this.timers) clearInterval(timer);
    this.timers = [];
  }

  private emitStatus(): void {
    if (!this.onStatus || this.closed) return;
    const health = this.health();
    const key = `${health.connected}/${health.subscriptionHealthy}`;
    if (key === this.lastEmitted) return;
    this.lastEmitted = key;
    const onStatus = this.onStatus;
    this.callback('onStatus callback', () => onStatus(health));
  }

  /** Runs a caller's callback: what it throws is logged, never thrown into the broker. */
  private callback(name: string, fn: () => void, channel?: string): void {
    try {
      fn();
    } catch (error) {
      this.logger.error({ err: error, channel }, `${name} threw`);
    }
  }
}
