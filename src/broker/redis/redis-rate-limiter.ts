/** Rate limits whose counters live in Redis, with the same limit per instance while Redis is down. */
import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis } from 'rate-limiter-flexible';
import { buildRateLimiter, type RateLimiterFactory } from '../rate-limiter.js';

/** `keyPrefix` is the deployment's Redis prefix (e.g. `livechat:`). */
export function redisRateLimiters(redis: Redis, keyPrefix: string): RateLimiterFactory {
  return {
    create(options) {
      return buildRateLimiter(options, (part) => {
        const common = { points: part.points, duration: part.durationSeconds };
        return new RateLimiterRedis({
          ...common,
          storeClient: redis,
          keyPrefix: `${keyPrefix}rl:${part.keyPrefix}`,
          rejectIfRedisNotReady: true,
          // Redis down: the same limit, counted by this instance alone.
          insuranceLimiter: new RateLimiterMemory({ ...common, keyPrefix: part.keyPrefix }),
        });
      });
    },
  };
}
