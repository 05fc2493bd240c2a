/**
 * Reconnect delays: exponential backoff with "full jitter".
 *
 * The delay before attempt `n` (0-based) is a uniformly random value in
 * `[0, min(maxMs, baseMs * 2^n)]`. Full jitter spreads thousands of listeners
 * that lost the same server over the whole window instead of letting them
 * reconnect in lock-step.
 */
export interface BackoffOptions {
  /** Upper bound of the first window, in milliseconds. Default 500. */
  baseMs?: number;
  /** Cap of the window, in milliseconds. Default 8 000: a server back after an outage is found within seconds. */
  maxMs?: number;
  /** Source of randomness in [0, 1). Default `Math.random`. */
  random?: () => number;
}

export const DEFAULT_BACKOFF = { baseMs: 500, maxMs: 8_000 } as const;

/** The window (upper bound) for attempt `attempt`: `min(maxMs, baseMs * 2^attempt)`. */
export function backoffCeiling(attempt: number, options: BackoffOptions = {}): number {
  const base = options.baseMs ?? DEFAULT_BACKOFF.baseMs;
  const max = options.maxMs ?? DEFAULT_BACKOFF.maxMs;
  const n = Math.max(0, Math.floor(attempt));
  // 2^n overflows to Infinity for large n; min() keeps the result bounded.
  return Math.min(max, base * 2 ** Math.min(n, 1024));
}

/** A full-jitter delay for attempt `attempt`: uniform in [0, backoffCeiling(attempt)]. */
export function backoffDelay(attempt: number, options: BackoffOptions = {}): number {
  const random = options.random ?? Math.random;
  const r = Math.min(Math.max(random(), 0), 1);
  return Math.round(r * backoffCeiling(attempt, options));
}

/**
 * Stateful counter around {@link backoffDelay}: every `next()` widens the
 * window until the cap; `reset()` starts over (the client calls it once a
 * connection has stayed up long enough to count as stable).
 */
export class Backoff {
  private attempt = 0;
  constructor(private readonly options: BackoffOptions = {}) {}

  /** The delay for the current attempt; advances the attempt counter. */
  next(): number {
    const delay = backoffDelay(this.attempt, this.options);
    this.attempt += 1;
    return delay;
  }

  reset(): void {
    this.attempt = 0;
  }

  get attempts(): number {
    return this.attempt;
  }
}
