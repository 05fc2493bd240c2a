/**
 * Rate limits, in the project's own terms: callers see {@link RateLimiter} and
 * {@link RateLimitDecision}, never rate-limiter-flexible's types, which sit
 * behind {@link buildRateLimiter} (memory here, Redis in ../redis).
 */
import { BurstyRateLimiter, RateLimiterMemory, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';

export interface RateLimiterOptions {
  /** Names the counter set; two limiters with the same prefix share counters. */
  keyPrefix: string;
  /** Points per key within the window. */
  points: number;
  /** Whole seconds (Redis expiries are in seconds). */
  durationSeconds: number;
  /**
   * A fixed window (the default) lets up to twice its points through around its end: the last
   * points of one window, then all of the next. Spread, the points are shared out over up to
   * {@link MAX_SLICES} slices of the window (see {@link windowParts}): a burst takes one slice's
   * points, and no span of `durationSeconds` lets more than about `points × (1 + 1/slices)` through.
   */
  spread?: boolean;
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

/** Most slices a spread window is cut into: bursts of a sixth of the points. */
export const MAX_SLICES = 6;

/** Fixed windows that together make one {@link RateLimiterOptions} limiter. */
export interface WindowParts {
  /** Checked first: `points` shared out over slices of the window. */
  steady: Omit<RateLimiterOptions, 'spread'>;
  /** What does not share out evenly, over the whole window; taken when `steady` refuses. */
  burst?: Omit<RateLimiterOptions, 'spread'>;
}

/**
 * A spread limiter's parts: `slices` (at most {@link MAX_SLICES}, at most `points`, dividing
 * `durationSeconds`) windows of `floor(points / slices)` each, and the rest as a burst over the
 * whole window. Any span of `durationSeconds` meets at most `slices + 1` slices and two burst
 * windows: at most `points + floor(points / slices) + rest` pass, where a fixed window lets `2 × points`.
 */
export function windowParts(options: RateLimiterOptions): WindowParts {
  const { spread, ...fixed } = options;
  if (!spread) return { steady: fixed };
  let slices = Math.max(1, Math.min(MAX_SLICES, options.points));
  while (slices > 1 && options.durationSeconds % slices !== 0) slices -= 1;
  const perSlice = Math.floor(options.points / slices);
  const rest = options.points - perSlice * slices;
  const steady = { ...fixed, points: perSlice, durationSeconds: options.durationSeconds / slices };
  return rest > 0 ? { steady, burst: { ...fixed, keyPrefix: `${options.keyPrefix}:burst`, points: rest } } : { steady };
}

/** The project's limiter over rate-limiter-flexible ones, each made by `make` in one store (memory, Redis). */
export function buildRateLimiter(
  options: RateLimiterOptions,
  make: (part: Omit<RateLimiterOptions, 'spread'>) => RateLimiterAbstract,
): RateLimiter {
  const parts = windowParts(options);
  const steady = make(parts.steady);
  const limiter = parts.burst ? new BurstyRateLimiter(steady, make(parts.burst)) : steady;
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
      // Points taken from the burst part come back to the steady part: the same total.
      await steady.reward(key, points);
    },
  };
}

/** Counters in this process's memory. */
export function memoryRateLimiter(options: RateLimiterOptions): RateLimiter {
  return buildRateLimiter(
    options,
    (part) => new RateLimiterMemory({ keyPrefix: part.keyPrefix, points: part.points, duration: part.durationSeconds }),
  );
}

export const memoryRateLimiters: RateLimiterFactory = { create: memoryRateLimiter };
