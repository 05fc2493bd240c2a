/**
 * Small per-connection counters: refused-message abuse (close 1008 beyond the
 * threshold within one window) and typing-indicator throttling.
 */

/** Counts refusals in fixed windows; `add()` is true once the count passes the threshold. */
export class RefusalCounter {
  private windowStart = 0;
  private count = 0;

  constructor(
    private readonly windowMs: number,
    private readonly threshold: number,
  ) {}

  add(now = Date.now()): boolean {
    if (now - this.windowStart >= this.windowMs) {
      this.windowStart = now;
      this.count = 0;
    }
    this.count += 1;
    return this.count > this.threshold;
  }
}

/**
 * Passes a typing state on when it changes, and repeats `true` at most once
 * per interval (clients send it on every keystroke).
 */
export class TypingThrottle {
  private last: boolean | undefined;
  private lastSentAt = 0;

  constructor(private readonly intervalMs: number) {}

  shouldForward(isTyping: boolean, now = Date.now()): boolean {
    if (isTyping === this.last && (!isTyping || now - this.lastSentAt < this.intervalMs)) return false;
    this.last = isTyping;
    this.lastSentAt = now;
    return true;
  }
}
