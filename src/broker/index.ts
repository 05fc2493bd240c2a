/**
 * Picks what instances share: in memory for a single process, Redis when a URL
 * is given (REDIS_URL), so that any number of instances act as one service.
 * {@link createBrokerServices} returns a {@link BrokerServices} bundle (see
 * ./services.ts): the pub/sub `broker`, the connection `registry`, the rate
 * `limiters`, and — for Redis — `readiness` and `telemetry`.
 */
import type { Logger } from 'pino';
import { MemoryBroker } from './memory/memory-broker.js';
import { MemoryRegistry } from './memory/memory-registry.js';
import { memoryRateLimiters } from './rate-limiter.js';
import { RedisBroker } from './redis/redis-broker.js';
import type { RedisBrokerOptions } from './redis/redis-options.js';
import type { BrokerServices } from './services.js';

export * from './types.js';
export * from './registry.js';
export * from './rate-limiter.js';
export * from './services.js';
export { MemoryBroker } from './memory/memory-broker.js';
export { MemoryRegistry } from './memory/memory-registry.js';
export { RedisBroker } from './redis/redis-broker.js';
export type {
  RedisBrokerHealth,
  RedisBrokerOptions,
  RedisBrokerSettings,
  RedisBrokerStats,
} from './redis/redis-options.js';

export interface CreateBrokerOptions extends Omit<RedisBrokerOptions, 'redisUrl'> {
  /** Unset or empty: everything in memory (every other option is then ignored). */
  redisUrl?: string | undefined;
  logger?: Logger | undefined;
}

export function createBrokerServices(options: CreateBrokerOptions = {}): BrokerServices {
  const { redisUrl, ...rest } = options;
  if (redisUrl === undefined || redisUrl === '') {
    return {
      transport: 'memory',
      broker: new MemoryBroker(),
      registry: new MemoryRegistry(),
      limiters: memoryRateLimiters,
    };
  }
  const broker = new RedisBroker({ ...rest, redisUrl });
  return {
    transport: 'redis',
    broker,
    registry: broker.registry,
    limiters: broker.limiters,
    readiness: { name: 'redis', check: () => broker.ping() },
    telemetry: broker,
  };
}
