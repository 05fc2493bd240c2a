/**
 * Broadcaster login attempts, counted before the password is checked: the
 * check is slow (scrypt), so attempts sent at once would all pass a limiter
 * that is only charged afterwards. Each attempt reserves a point atomically
 * (in Redis too) and a wrong password keeps it; only an attempt that was not a
 * failure gets its own point back, so a success never clears the failures
 * counted before it.
 */
import type { Logger } from 'pino';
import type { RateLimiter } from '../broker/rate-limiter.js';
import { consumeOr429 } from './rate-limit.js';

export interface LoginLimiters {
  /** Failed logins per username and IP (brute force on one account). */
  loginFailureLimiter: RateLimiter;
  /** All login attempts per IP, right or wrong (credential stuffing); never refunded. */
  loginIpLimiter: RateLimiter;
}

/**
 * Runs `check` (answering undefined for wrong credentials) once both limiters
 * let the attempt through; over either limit: a 429 HttpError, nothing checked.
 */
export async function limitLoginAttempt<T>(
  limiters: LoginLimiters,
  attempt: { username: string; ip: string },
  logger: Logger,
  check: () => Promise<T | undefined>,
): Promise<T | undefined> {
  await consumeOr429(limiters.loginIpLimiter, attempt.ip, logger);
  const failureKey = `${attempt.username.toLowerCase()}|${attempt.ip}`;
  const reserved = await consumeOr429(limiters.loginFailureLimiter, failureKey, logger);
  let failed = false;
  try {
    const outcome = await check();
    failed = outcome === undefined;
    return outcome;
  } finally {
    // A success, or an error before any answer, is not a failed login.
    if (reserved && !failed) {
      await limiters.loginFailureLimiter
        .refund(failureKey)
        .catch((error: unknown) => logger.warn({ err: error }, 'login attempt not refunded'));
    }
  }
}
