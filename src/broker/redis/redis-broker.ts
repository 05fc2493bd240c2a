/**
 * Redis broker: any number of instances act as one service.
 *
 * - Fan-out: `publish` delivers locally at once, then PUBLISHes once to Redis;
 *   other instances receive it on their subscriber connection, this one drops
 *   its own echo (the envelope names the origin instance). The envelope is a
 *   JSON header line, then the frame: see {@link ENVELOPE_VERSION}.
 * - Subscriptions: the set of wanted channels is the truth; it is replayed on
 *   every (re)connection of the subscriber.
 * - Liveness probe: the instance publishes on its own probe channel and must
 *   receive it back; "publish works but nothing arrives" makes the broker
 *   unhealthy (ping rejects) and reconnects the subscriber.
 * - Registry and rate limits: Lua scripts / rate-limiter-flexible on the
 *   command connection, with per-instance fallbacks while Redis is down.
 *
 * Redis being unreachable never throws into callers of publish/subscribe: it is
 * counted, logged on state changes, and repaired by ioredis's reconnection.
 */
import { randomUUID } from 'node:crypto';
import pino, { type Logger } from 'pino';
import { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, type RateLimiterAbstract } from 'rate-limiter-flexible';
import {
  broadcastersChannel,
  type Broker,
  type BrokerHandlers,
  type Publication,
  type RateLimiterOptions,
} from '../types.js';
import { RedisRegistry, defineRegistryScripts } from './redis-registry.js';

export interface RedisBrokerOptions {
  /** redis:// or rediss:// URL. */
  redisUrl: string;
  /** Prefix of every key and Pub/Sub channel (isolates deployments and tests). Default `livechat:`. */
  keyPrefix?: string | undefined;
  logger?: Logger | undefined;
  /** Default: a random UUID. */
  instanceId?: string | undefined;
  /** How often this instance pushes its registry entries' expiry forward. Default 5000. */
  registryRefreshIntervalMs?: number | undefined;
  /** Lifetime of a registry entry that is no longer refreshed. Default 15000. */
  registryTtlMs?: number | undefined;
  /** How often this instance looks for sessions whose entries all expired. Default 5000. */
  sweepIntervalMs?: number | undefined;
  /** How often the liveness probe runs. Default 5000. */
  probeIntervalMs?: number | undefined;
  /** How long a probe may take to come back before the subscription counts as dead. Default 2000. */
  probeTimeoutMs?: number | undefined;
  /**
   * A command without a reply after this long is failed (and counted), and a
   * connection that sent nothing back for that long while a command waited is
   * reconnected. Default 2000.
   */
  commandTimeoutMs?: number | undefined;
  /** Longest wait between reconnection attempts. Default 2000. */
  maxReconnectDelayMs?: number | undefined;
  /** How long start() waits for Redis before going on in degraded mode. Default 5000. */
  startTimeoutMs?: number | undefined;
  /** Called whenever `health()` changes. */
  onStatus?: ((health: RedisBrokerHealth) => void) | undefined;
}

export interface RedisBrokerHealth {
  /** Both connections (commands and subscriber) are ready. */
  connected: boolean;
  /** The last liveness probe came back in time (and the subscriber has not dropped since). */
  subscriptionHealthy: boolean;
  /** When (ms since epoch) a probe last came back. */
  lastProbeOkAt?: number | undefined;
}

/** Monotonic counters, for the metrics module. */
export interface RedisBrokerStats {
  /** PUBLISHes Redis accepted (publications and probes excluded: see `probes`). */
  published: number;
  /** Publications Redis did not take (delivered locally at once; messages kept to publish again). */
  publishFailures: number;
  /** Replies to listeners published again once the command connection was back. */
  republished: number;
  /** Replies to listeners not published again because more than `MAX_UNSENT` waited. */
  unsentDropped: number;
  /** Publications from other instances handed to onDelivery. */
  received: number;
  /** Own publications that came back from Redis and were dropped. */
  echoesDropped: number;
  /** Pub/Sub payloads that could not be parsed. */
  malformed: number;
  probes: number;
  probeFailures: number;
  /** Times the subscriber was reconnected because a probe failed. */
  subscriberRepairs: number;
  /** Times the full channel set was subscribed again on a (re)connected subscriber. */
  resubscribes: number;
  /** Registry operations answered from local state because Redis failed. */
  registryFallbacks: number;
  /** Registry members that had to be re-added by a refresh (Redis restart, long stall). */
  registryReadded: number;
  /** Sessions this instance reported through onSessionsExpired. */
  sessionsExpired: number;
  /** Times a Redis connection became ready again after having been lost. */
  reconnects: number;
}

/** RedisBrokerOptions with every default applied. */
export type RedisBrokerSettings = Required<Omit<RedisBrokerOptions, 'logger' | 'instanceId' | 'onStatus'>>;

const DEFAULTS = {
  keyPrefix: 'livechat:',
  registryRefreshIntervalMs: 5000,
  registryTtlMs: 15000,
  sweepIntervalMs: 5000,
  probeIntervalMs: 5000,
  probeTimeoutMs: 2000,
  commandTimeoutMs: 2000,
  maxReconnectDelayMs: 2000,
  startTimeoutMs: 5000,
};

/**
 * Envelope format version, first element of the header. A payload is the
 * header (a JSON array on one line), `\n`, then the frame as sent to clients:
 *
 * - version 1: `[1, origin instance, messageId|null, publish time (ms), trace context|null]`
 * - version 2: version 1 plus `previousMessageId|null` (listener-session message
 *   frames: the session's previous broadcaster messageId, `'0'` when none), so
 *   a receiving connection notices a publication it missed.
 *
 * This instance writes version 2 and reads both: a version 1 envelope (from an
 * instance still running an earlier build during a rolling upgrade) is
 * delivered without `previousMessageId`, i.e. without the gap check. Earlier
 * builds read version 1 only and drop version 2 envelopes as malformed, so
 * until every instance runs this build, listeners on the older ones miss
 * cross-instance deliveries from the upgraded ones (they resume from the
 * store when they reconnect, e.g. when their instance is upgraded).
 */
const ENVELOPE_VERSION = 2;

/** Most replies kept while Redis does not take them (about 16 MiB of frames at most). */
const MAX_UNSENT = 10_000;
/** Envelope versions this instance reads. */
const READABLE_VERSIONS: readonly unknown[] = [1, 2];

interface PendingProbe {
  token: string;
  arrived: () => void;
}

export class RedisBroker implements Broker {
  readonly kind = 'redis' as const;
  readonly instanceId: string;
  readonly registry: RedisRegistry;

  private readonly options: RedisBrokerSettings;
  private readonly logger: Logger;
  private readonly onStatus: RedisBrokerOptions['onStatus'];
  /** Commands, PUBLISH, scripts and rate limits. No offline queue: a down Redis fails fast. */
  private readonly cmd: Redis;
  /** Pub/Sub only. */
  private readonly sub: Redis;
  private readonly channelPrefix: string;
  private readonly probeChannel: string;
  /** Channels (hub names) this instance wants, replayed on every subscriber (re)connection. */
  private readonly wanted = new Set<string>();
  /**
   * Replies to listeners that Redis did not take, oldest first, published
   * again when the command connection is ready again: the other instances then
   * get them without waiting for a listener to reconnect or for the session's
   * next reply (receivers drop what a replay already sent).
   */
  private unsent: Array<{ channel: string; payload: string }> = [];
  private republishing = false;
  private readonly counters: RedisBrokerStats = {
    published: 0,
    publishFailures: 0,
    republished: 0,
    unsentDropped: 0,
    received: 0,
    echoesDropped: 0,
    malformed: 0,
    probes: 0,
    probeFailures: 0,
    subscriberRepairs: 0,
    resubscribes: 0,
    registryFallbacks: 0,
    registryReadded: 0,
    sessionsExpired: 0,
    reconnects: 0,
  };

  private handlers: BrokerHandlers | undefined;
  private started = false;
  private closed = false;
  private timers: NodeJS.Timeout[] = [];
  private subscriptionHealthy = false;
  private lastProbeOkAt: number | undefined;
  private lastEmitted = '';
  private probeSeq = 0;
  private pendingProbe: PendingProbe | undefined;
  private probeRun: Promise<boolean> | undefined;
  /** Changes whenever the subscriber connects or drops: a probe spanning a change proves nothing. */
  private subEpoch = 0;
  /** The current subscriber connection has every wanted channel (and the probe channel). */
  private subSynced = false;
  private resyncRun: Promise<void> | undefined;
  private refreshRunning = false;
  private closeRun: Promise<void> | undefined;
  private sweepRunning = false;
  /** Redis connections that were ready once and then lost (to log outages once). */
  private readonly down = new Set<'cmd' | 'sub'>();
  private readonly everReady = new Set<'cmd' | 'sub'>();

  constructor(options: RedisBrokerOptions) {
    this.options = {
      redisUrl: options.redisUrl,
      keyPrefix: options.keyPrefix ?? DEFAULTS.keyPrefix,
      registryRefreshIntervalMs: options.registryRefreshIntervalMs ?? DEFAULTS.registryRefreshIntervalMs,
      registryTtlMs: options.registryTtlMs ?? DEFAULTS.registryTtlMs,
      sweepIntervalMs: options.sweepIntervalMs ?? DEFAULTS.sweepIntervalMs,
      probeIntervalMs: options.probeIntervalMs ?? DEFAULTS.probeIntervalMs,
      probeTimeoutMs: options.probeTimeoutMs ?? DEFAULTS.probeTimeoutMs,
      commandTimeoutMs: options.commandTimeoutMs ?? DEFAULTS.commandTimeoutMs,
      maxReconnectDelayMs: options.maxReconnectDelayMs ?? DEFAULTS.maxReconnectDelayMs,
      startTimeoutMs: options.startTimeoutMs ?? DEFAULTS.startTimeoutMs,
    };
    const o = this.options;
    for (const [name, value] of Object.entries(o)) {
      if (typeof value === 'number' && !(Number.isFinite(value) && value > 0)) {
        throw new RangeError(`RedisBroker: ${name} must be a positive number, got ${value}`);
      }
    }
    if (o.registryTtlMs <= o.registryRefreshIntervalMs) {
      throw new RangeError('RedisBroker: registryTtlMs must be longer than registryRefreshIntervalMs');
    }
    this.instanceId = options.instanceId ?? randomUUID();
    this.logger = (options.logger ?? pino({ level: 'silent' })).child({
      component: 'broker',
      instanceId: this.instanceId,
    });
    this.onStatus = options.onStatus;
    this.channelPrefix = `${o.keyPrefix}ch:`;
    this.probeChannel = `${o.keyPrefix}probe:${this.instanceId}`;

    const clientName = (role: string): string => `${o.keyPrefix}${role}:${this.instanceId}`.replace(/[^\w:.-]/g, '_');
    const common = {
      lazyConnect: true,
      enableOfflineQueue: false,
      // Commands in flight when a connection drops fail at once instead of being replayed later.
      maxRetriesPerRequest: 0,
      commandTimeout: o.commandTimeoutMs,
      // A command waiting that long without a byte from Redis means a dead socket: drop it and reconnect.
      socketTimeout: o.commandTimeoutMs,
      connectTimeout: Math.max(o.commandTimeoutMs, 1000),
      retryStrategy: (times: number) => Math.min(50 * 2 ** Math.min(times, 10), o.maxReconnectDelayMs),
    };
    this.cmd = new Redis(o.redisUrl, { ...common, connectionName: clientName('cmd') });
    this.sub = new Redis(o.redisUrl, {
      ...common,
      connectionName: clientName('sub'),
      // The wanted set is replayed by this class on every 'ready'.
      autoResubscribe: false,
      autoResendUnfulfilledCommands: false,
      // A half-open socket is torn down quickly when the probe asks for a reconnect.
      disconnectTimeout: 500,
    });
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
    this.watch(this.cmd, 'cmd');
    this.watch(this.sub, 'sub');
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
      await this.resyncRun;
      await this.probe();
      this.logger.info({ healthy: this.subscriptionHealthy }, 'Redis broker started');
    }
    this.every(this.options.probeIntervalMs, () => void this.probe());
    this.every(this.options.registryRefreshIntervalMs, () => void this.refreshRegistry());
    this.every(this.options.sweepIntervalMs, () => void this.sweep());
    this.emitStatus();
  }

  async publish(publication: Publication): Promise<void> {
    try {
      if (this.wanted.has(publication.channel)) this.handlers?.onDelivery(publication);
    } catch (error) {
      // Other instances still get it.
      this.logger.error({ err: error, channel: publication.channel }, 'delivery handler threw');
    }
    if (this.closed) return;
    // [version, origin instance, messageId, publish time (ms), W3C trace context, previous messageId]
    const header = JSON.stringify([
      ENVELOPE_VERSION,
      this.instanceId,
      publication.messageId ?? null,
      Date.now(),
      publication.trace ?? null,
      publication.previousMessageId ?? null,
    ]);
    const channel = this.channelPrefix + publication.channel;
    const payload = `${header}\n${publication.frame}`;
    try {
      await this.cmd.publish(channel, payload);
      this.counters.published += 1;
    } catch (error) {
      this.counters.publishFailures += 1;
      // Replies to listeners must still reach the other instances: a listener connection places a
      // late one by its messageId (or drops it as already replayed). Typing and presence are
      // momentary, and a late `message:new` would reach dashboards out of order (they catch up by
      // their periodic resync instead).
      if (publication.messageId !== undefined && publication.channel !== broadcastersChannel) {
        this.keepUnsent(channel, payload);
      }
      this.logger.debug({ err: error, channel: publication.channel }, 'publish to Redis failed, delivered locally');
    }
  }

  private keepUnsent(channel: string, payload: string): void {
    this.unsent.push({ channel, payload });
    if (this.unsent.length > MAX_UNSENT) {
      this.unsent.shift();
      this.counters.unsentDropped += 1;
    }
    // The connection may have come back while this publish was failing.
    if (this.cmd.status === 'ready') void this.republish();
  }

  /** Publishes what Redis did not take, in order; stops at the first failure (the next 'ready' resumes). */
  private async republish(): Promise<void> {
    if (this.republishing || this.closed) return;
    this.republishing = true;
    try {
      while (this.unsent.length > 0 && !this.closed) {
        const { channel, payload } = this.unsent[0]!;
        await this.cmd.publish(channel, payload);
        this.unsent.shift();
        this.counters.republished += 1;
      }
    } catch (error) {
      this.logger.debug(
        { err: error, waiting: this.unsent.length },
        'publishing again failed; retried when Redis is back',
      );
    } finally {
      this.republishing = false;
    }
  }

  async subscribe(channel: string): Promise<void> {
    this.wanted.add(channel);
    // Not ready: the channel is subscribed with all the others when the subscriber is back.
    if (this.closed || this.sub.status !== 'ready') return;
    const epoch = this.subEpoch;
    try {
      await this.sub.subscribe(this.channelPrefix + channel);
    } catch (error) {
      this.logger.warn({ err: error, channel }, 'subscribe failed; replaying every channel on a fresh connection');
      // Same connection still up: reconnect it so that its resync includes this channel.
      if (epoch === this.subEpoch && this.sub.status === 'ready' && !this.closed) this.repairSubscriber();
    }
  }

  async unsubscribe(channel: string): Promise<void> {
    if (!this.wanted.delete(channel)) return;
    if (this.closed || this.sub.status !== 'ready') return;
    try {
      await this.sub.unsubscribe(this.channelPrefix + channel);
    } catch (error) {
      // A fresh subscriber connection starts without it anyway.
      this.logger.debug({ err: error, channel }, 'unsubscribe failed');
    }
  }

  rateLimiter(options: RateLimiterOptions): RateLimiterAbstract {
    const common = { points: options.points, duration: options.durationSeconds };
    return new RateLimiterRedis({
      ...common,
      storeClient: this.cmd,
      keyPrefix: `${this.options.keyPrefix}rl:${options.keyPrefix}`,
      rejectIfRedisNotReady: true,
      // Redis down: the same limit, counted by this instance alone.
      insuranceLimiter: new RateLimiterMemory({ ...common, keyPrefix: options.keyPrefix }),
    });
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
    return { ...this.counters };
  }

  /** Channels this instance currently wants (hub names). */
  subscribedChannels(): string[] {
    return [...this.wanted];
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
    this.failPendingProbe();
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
    this.failPendingProbe();
    this.registry.forgetLocally();
    this.cmd.disconnect();
    this.sub.disconnect();
  }

  // --- internals -----------------------------------------------------------

  private watch(client: Redis, role: 'cmd' | 'sub'): void {
    client.on('error', (error: Error) => {
      if (this.closed) return;
      if (!this.down.has(role)) {
        this.down.add(role);
        this.logger.warn({ err: error, connection: role }, 'Redis connection error');
      } else {
        this.logger.debug({ err: error, connection: role }, 'Redis connection error');
      }
    });
    client.on('close', () => {
      if (this.closed) return;
      if (role === 'sub') {
        this.subEpoch += 1;
        this.subSynced = false;
        this.subscriptionHealthy = false;
        this.failPendingProbe();
      }
      this.emitStatus();
    });
    client.on('ready', () => {
      if (this.closed) return;
      if (this.everReady.has(role)) {
        this.counters.reconnects += 1;
        this.logger.info({ connection: role }, 'Redis connection ready again');
      }
      this.everReady.add(role);
      this.down.delete(role);
      if (role === 'sub') {
        this.subEpoch += 1;
        this.subSynced = false;
        this.resyncRun = this.resync(this.subEpoch);
      } else {
        // After an outage (maybe a restart that lost every key) put this instance's entries back.
        void this.refreshRegistry();
        void this.republish();
      }
      this.emitStatus();
    });
  }

  /** Subscribes the probe channel and every wanted channel on a fresh subscriber connection. */
  private async resync(epoch: number): Promise<void> {
    const channels = [this.probeChannel, ...[...this.wanted].map((c) => this.channelPrefix + c)];
    try {
      await this.sub.subscribe(...channels);
    } catch (error) {
      this.logger.warn({ err: error }, 'resubscribe failed');
      if (epoch === this.subEpoch && this.sub.status === 'ready' && !this.closed) this.repairSubscriber();
      return;
    }
    // Dropped meanwhile: the next connection replays its own.
    if (epoch !== this.subEpoch || this.closed) return;
    this.subSynced = true;
    this.counters.resubscribes += 1;
    // Not the first subscription: publications may have been missed while it was down.
    if (this.counters.resubscribes > 1) {
      try {
        this.handlers?.onResubscribed?.();
      } catch (error) {
        this.logger.error({ err: error }, 'resubscribe handler threw');
      }
    }
    this.logger.debug({ channels: channels.length }, 'subscriber channels replayed');
    // Prove the fresh subscription now (once a probe still running from before is done).
    if (this.timers.length > 0) void (this.probeRun ?? Promise.resolve()).then(() => this.probe());
  }

  /** Reconnects the subscriber; its 'ready' replays every channel. */
  private repairSubscriber(): void {
    // This connection is written off now, even though its socket may take a moment to close.
    this.subEpoch += 1;
    this.subSynced = false;
    this.failPendingProbe();
    this.counters.subscriberRepairs += 1;
    this.logger.warn('reconnecting the Redis subscriber to repair its subscriptions');
    this.sub.disconnect(true);
  }

  private readonly onMessage = (redisChannel: string, payload: string): void => {
    if (redisChannel === this.probeChannel) {
      if (this.pendingProbe?.token === payload) this.pendingProbe.arrived();
      return;
    }
    if (!redisChannel.startsWith(this.channelPrefix)) return;
    const channel = redisChannel.slice(this.channelPrefix.length);
    const newline = payload.indexOf('\n');
    let origin: unknown;
    let messageId: unknown;
    let publishedAt: unknown;
    let trace: unknown;
    let previousMessageId: unknown;
    try {
      const header: unknown = JSON.parse(payload.slice(0, newline));
      if (newline < 0 || !Array.isArray(header) || !READABLE_VERSIONS.includes(header[0])) {
        throw new Error('bad envelope');
      }
      [, origin, messageId, publishedAt, trace, previousMessageId] = header;
      // Version 1 has no previousMessageId: delivered without the gap check.
      if (header[0] === 1) previousMessageId = undefined;
      // Receivers compare it with messageIds as a number.
      if (!isOptionalMessageId(previousMessageId)) throw new Error('bad envelope');
    } catch {
      this.counters.malformed += 1;
      this.logger.warn({ channel }, 'dropped a malformed Pub/Sub payload');
      return;
    }
    if (origin === this.instanceId) {
      this.counters.echoesDropped += 1;
      return;
    }
    // A message can still arrive just after the last local connection left.
    if (!this.wanted.has(channel) || !this.handlers) return;
    this.counters.received += 1;
    const publication: Publication = { channel, frame: payload.slice(newline + 1) };
    if (typeof messageId === 'string') publication.messageId = messageId;
    if (typeof previousMessageId === 'string') publication.previousMessageId = previousMessageId;
    if (typeof publishedAt === 'number') publication.publishedAt = publishedAt;
    if (isCarrier(trace)) publication.trace = trace;
    try {
      this.handlers.onDelivery(publication);
    } catch (error) {
      this.logger.error({ err: error, channel }, 'delivery handler threw');
    }
  };

  /**
   * Publishes a token on this instance's probe channel and waits for it on the
   * subscriber. Publish accepted but nothing back in time (or nobody listening)
   * means the subscription is dead: unhealthy, and the subscriber reconnects.
   * Concurrent callers share one run. Resolves with the outcome.
   */
  private probe(): Promise<boolean> {
    if (this.closed) return Promise.resolve(false);
    this.probeRun ??= this.runProbe().finally(() => {
      this.probeRun = undefined;
    });
    return this.probeRun;
  }

  private async runProbe(): Promise<boolean> {
    if (this.sub.status !== 'ready' || !this.subSynced) {
      // Down or still replaying its channels: not healthy, and ioredis or the resync is at work.
      this.setSubscriptionHealthy(false);
      return false;
    }
    const epoch = this.subEpoch;
    this.counters.probes += 1;
    const token = `${++this.probeSeq}:${Date.now()}`;
    let arrived!: () => void;
    const back = new Promise<void>((resolve) => (arrived = resolve));
    this.pendingProbe = { token, arrived };
    let published = false;
    let ok = false;
    try {
      const receivers = await this.cmd.publish(this.probeChannel, token);
      published = true;
      // Nobody listening on our own probe channel: the subscription is gone for sure.
      if (receivers > 0)
        ok =
          (await withTimeout(
            back.then(() => true),
            this.options.probeTimeoutMs,
          )) === true;
    } catch (error) {
      // Redis unreachable: ioredis reconnects by itself, nothing to repair here.
      this.logger.debug({ err: error }, 'probe publish failed');
    } finally {
      if (this.pendingProbe?.token === token) this.pendingProbe = undefined;
    }
    // The subscriber changed meanwhile: this run proves nothing, its resync probes again.
    if (this.closed || epoch !== this.subEpoch) return false;
    if (ok) {
      this.lastProbeOkAt = Date.now();
      this.setSubscriptionHealthy(true);
      return true;
    }
    this.counters.probeFailures += 1;
    this.setSubscriptionHealthy(false);
    // Publish works but nothing comes back: the subscriber looks connected and is not.
    if (published && this.sub.status === 'ready') this.repairSubscriber();
    return false;
  }

  private setSubscriptionHealthy(healthy: boolean): void {
    if (healthy !== this.subscriptionHealthy) {
      if (healthy) this.logger.info('Redis subscription healthy');
      else this.logger.warn('Redis subscription unhealthy');
    }
    this.subscriptionHealthy = healthy;
    this.emitStatus();
  }

  private failPendingProbe(): void {
    this.pendingProbe = undefined;
  }

  private async refreshRegistry(): Promise<void> {
    if (this.refreshRunning || this.closed) return;
    this.refreshRunning = true;
    try {
      const readded = await this.registry.refresh();
      if (readded > 0) {
        this.counters.registryReadded += readded;
        this.logger.warn({ readded }, 'registry: re-added entries Redis had lost');
      }
    } catch (error) {
      this.logger.debug({ err: error }, 'registry refresh failed');
    } finally {
      this.refreshRunning = false;
    }
  }

  private async sweep(): Promise<void> {
    if (this.sweepRunning || this.closed) return;
    this.sweepRunning = true;
    try {
      const expired = await this.registry.sweep();
      if (expired.length > 0 && !this.closed) this.reportExpired(expired);
    } catch (error) {
      this.logger.debug({ err: error }, 'registry sweep failed');
    } finally {
      this.sweepRunning = false;
    }
  }

  private reportExpired(sessionIds: string[]): void {
    this.counters.sessionsExpired += sessionIds.length;
    this.logger.info({ sessions: sessionIds.length }, 'sessions lost their last connection with a vanished instance');
    try {
      this.handlers?.onSessionsExpired(sessionIds);
    } catch (error) {
      this.logger.error({ err: error }, 'onSessionsExpired handler threw');
    }
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
    try {
      this.onStatus(health);
    } catch (error) {
      this.logger.error({ err: error }, 'onStatus callback threw');
    }
  }
}

/** Resolves with the promise's value, or undefined after `ms`. */
async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(resolve, ms, undefined);
    timer.unref();
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** QUIT, or drop the connection when Redis does not answer. */
async function quit(client: Redis): Promise<void> {
  if (client.status === 'end') return;
  if (client.status !== 'ready') {
    client.disconnect();
    return;
  }
  const done = await withTimeout(
    client.quit().then(
      () => true,
      () => false,
    ),
    1000,
  );
  if (done !== true) client.disconnect();
}

/** The URL without credentials, for logs. */
function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '[invalid url]';
  }
}

/** A messageId (decimal digits), null or absent. */
function isOptionalMessageId(value: unknown): boolean {
  return value === undefined || value === null || (typeof value === 'string' && /^\d{1,30}$/.test(value));
}

/** A W3C trace-context carrier: string values only. */
function isCarrier(value: unknown): value is Record<string, string> {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    Object.values(value).every((v) => typeof v === 'string')
  );
}
