/** Takes points from a rate limiter for an HTTP request; over the limit: 429 with Retry-After. */
import { RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { Logger } from 'pino';
import { HttpError } from '../errors.js';

export async function consumeOr429(
  limiter: RateLimiterAbstract,
  key: string,
  logger: Logger,
  points = 1,
): Promise<void> {
  try {
    await limiter.consume(key, points);
  } catch (rejection) {
    if (rejection instanceof RateLimiterRes) {
      throw new HttpError('rate_limited', undefined, {
        'Retry-After': String(Math.ceil(rejection.msBeforeNext / 1000)),
      });
    }
    logger.warn({ err: rejection }, 'rate limiter unavailable; request allowed');
  }
}

/** True when the key has no points left (without taking one). */
export async function isBlocked(
  limiter: RateLimiterAbstract,
  key: string,
  points: number,
): Promise<number | undefined> {
  try {
    const state = await limiter.get(key);
    if (state && state.consumedPoints >= points) return state.msBeforeNext;
  } catch {
    // Limiter store down: do not block logins because of it.
  }
  return undefined;
}
