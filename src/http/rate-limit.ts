/** Takes points from a rate limiter for an HTTP request; over the limit: 429 with Retry-After. */
import type { Logger } from 'pino';
import type { RateLimiter } from '../broker/rate-limiter.js';
import { HttpError } from '../errors.js';

/** True when the points were taken; false when the limiter's store failed and the request is let through. */
export async function consumeOr429(limiter: RateLimiter, key: string, logger: Logger, points = 1): Promise<boolean> {
  let decision;
  try {
    decision = await limiter.consume(key, points);
  } catch (error) {
    logger.warn({ err: error }, 'rate limiter unavailable; request allowed');
    return false;
  }
  if (!decision.allowed) {
    throw new HttpError('rate_limited', undefined, { 'Retry-After': String(Math.ceil(decision.retryAfterMs / 1000)) });
  }
  return true;
}
