/** Options, defaults, health and counters of the Redis broker. */
import type { Logger } from 'pino';
import type { RetainOnFailure } from '../types.js';

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
  /**
   * Which publications Redis did not take are kept and published again once it
   * is back (the caller's policy). Default: none.
   */
  retainOnFailure?: RetainOnFailure | undefined;
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
  /** Retained publications published again once the command connection was back. */
  republished: number;
  /** Retained publications not published again because more than `MAX_UNSENT` waited. */
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
export type RedisBrokerSettings = Required<
  Omit<RedisBrokerOptions, 'logger' | 'instanceId' | 'onStatus' | 'retainOnFailure'>
>;

const DEFAULTS: Omit<RedisBrokerSettings, 'redisUrl'> = {
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

/** The options with every default applied; throws RangeError on a bad timing. */
export function redisBrokerSettings(options: RedisBrokerOptions): RedisBrokerSettings {
  const settings: RedisBrokerSettings = { redisUrl: options.redisUrl, ...DEFAULTS };
  for (const name of Object.keys(DEFAULTS) as (keyof typeof DEFAULTS)[]) {
    const value = options[name];
    if (value !== undefined) (settings as Record<string, unknown>)[name] = value;
  }
  for (const [name, value] of Object.entries(settings)) {
    if (typeof value === 'number' && !(Number.isFinite(value) && value > 0)) {
      throw new RangeError(`RedisBroker: ${name} must be a positive number, got ${value}`);
    }
  }
  if (settings.registryTtlMs <= settings.registryRefreshIntervalMs) {
    throw new RangeError('RedisBroker: registryTtlMs must be longer than registryRefreshIntervalMs');
  }
  return settings;
}

/** Every counter at zero. */
export function zeroStats(): RedisBrokerStats {
  return {
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
}
