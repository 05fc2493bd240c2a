/** Takes points from a rate limiter for an HTTP request; over the limit: 429 with Retry-After. */
import type { Logger } from 'pino';
import type { RateLimiter } from '../broker/rate-limiter.js';
import { HttpError } from '../errors.js';

export async function consumeOr429(limiter: RateLimiter, key: string, logger: Logger, points = 1): Promise<void> {
  let decision;
  try {
    decision = await limiter.consume(key, points);
  } catch (error) {
    logger.warn({ err: error }, 'rate limiter unavailable; request allowed');
    return;
  }
  if (!decision.allowed) {
    throw new HttpError('rate_limited', undefined, { 'Retry-After': String(Math.ceil(decision.retryAfterMs / 1000)) });
  }
}

/** The wait in ms while the key has no points left (without taking one); undefined otherwise. */
export async function isBlocked(limiter: RateLimiter, key: string): Promise<number | undefined> {
  try {
    return await limiter.blockedFor(key);
  } catch {
    // Limiter store down: do not block logins because of it.
    return undefined;
  }
}
