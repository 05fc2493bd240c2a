/**
 * Rate limits, in the project's own terms: callers see {@link RateLimiter} and
 * {@link RateLimitDecision}, never rate-limiter-flexible's types, which sit
 * behind {@link flexibleRateLimiter} (memory here, Redis in ../redis).
 */
import { RateLimiterMemory, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';

export interface RateLimiterOptions {
  /** Names the counter set; two limiters with the same prefix share counters. */
  keyPrefix: string;
  /** Points per key within the window. */
  points: number;
  durationSeconds: number;
}

export type RateLimitDecision = { allowed: true; remaining: number } | { allowed: false; retryAfterMs: number };

export interface RateLimiter {
  /**
   * Takes points for a key, atomically (in Redis too): of concurrent calls, only as many as there
   * are points are allowed. Rejects only when the limiter's store failed (callers then let the
   * request through).
   */
  consume(key: string, points?: number): Promise<RateLimitDecision>;
  /** Gives back points taken by an allowed {@link consume} (e.g. a login that turned out right). */
  refund(key: string, points?: number): Promise<void>;
}

/** Makes limiters whose counters are shared by every instance using the same broker. */
export interface RateLimiterFactory {
  create(options: RateLimiterOptions): RateLimiter;
}

/** The project's limiter over a rate-limiter-flexible one. */
export function flexibleRateLimiter(limiter: RateLimiterAbstract): RateLimiter {
  return {
    async consume(key, points = 1) {
      try {
        const res = await limiter.consume(key, points);
        return { allowed: true, remaining: res.remainingPoints };
      } catch (rejection) {
        if (rejection instanceof RateLimiterRes) return { allowed: false, retryAfterMs: rejection.msBeforeNext };
        throw rejection;
      }
    },
    async refund(key, points = 1) {
      await limiter.reward(key, points);
    },
  };
}

/** Counters in this process's memory. */
export function memoryRateLimiter(options: RateLimiterOptions): RateLimiter {
  return flexibleRateLimiter(
    new RateLimiterMemory({ keyPrefix: options.keyPrefix, points: options.points, duration: options.durationSeconds }),
  );
}

export const memoryRateLimiters: RateLimiterFactory = { create: memoryRateLimiter };
