/**
 * Picks the broker: in memory for a single process, Redis when a URL is given
 * (REDIS_URL), so that any number of instances act as one service.
 */
import type { Logger } from 'pino';
import { MemoryBroker } from './memory/memory-broker.js';
import { RedisBroker, type RedisBrokerOptions } from './redis/redis-broker.js';
import type { Broker } from './types.js';

export * from './types.js';
export { MemoryBroker, MemoryRegistry } from './memory/memory-broker.js';
export { RedisBroker } from './redis/redis-broker.js';
export type {
  RedisBrokerHealth,
  RedisBrokerOptions,
  RedisBrokerSettings,
  RedisBrokerStats,
} from './redis/redis-broker.js';

export interface CreateBrokerOptions extends Omit<RedisBrokerOptions, 'redisUrl'> {
  /** Unset or empty: the in-memory broker (every other option is then ignored). */
  redisUrl?: string | undefined;
  logger?: Logger | undefined;
}

export function createBroker(options: CreateBrokerOptions = {}): Broker {
  const { redisUrl, ...rest } = options;
  if (redisUrl === undefined || redisUrl === '') return new MemoryBroker();
  return new RedisBroker({ ...rest, redisUrl });
}

/** The Redis broker's health and counters, when that is the one in use. */
export function isRedisBroker(broker: Broker): broker is RedisBroker {
  return broker instanceof RedisBroker;
}
