/**
 * Small per-connection counters: fixed-window counting (refusals before the
 * 1008 abuse close, the inbound frame budget) and typing-indicator throttling.
 */

/** Counts events in fixed windows; `add()` is true once the count passes the threshold. */
export class WindowCounter {
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
 * Forwards a connection's typing state at most once per interval, whatever
 * the value: a state offered within the interval waits for its end and is
 * forwarded then if it differs from the last one forwarded (so alternating
 * `true`/`false` costs one forward per interval, and the final state still
 * arrives). `true` is repeated at most once per interval (clients refresh it
 * while typing goes on); a repeated `false` is not forwarded.
 */
export class TypingThrottle {
  private forwarded: boolean | undefined;
  private forwardedAt = -Infinity;
  private pending: boolean | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly intervalMs: number,
    private readonly forward: (isTyping: boolean) => void,
    private readonly now: () => number = Date.now,
  ) {}

  offer(isTyping: boolean): void {
    const now = this.now();
    if (this.timer === undefined && now - this.forwardedAt >= this.intervalMs) {
      if (isTyping || isTyping !== this.forwarded) this.send(isTyping, now);
      return;
    }
    this.pending = isTyping;
    if (this.timer === undefined) {
      this.timer = setTimeout(() => this.flush(), this.forwardedAt + this.intervalMs - now);
      this.timer.unref();
    }
  }

  /**
   * The connection's message was stored: every dashboard clears the typing
   * line on its `message:new`, so the next `true` is news again and must be
   * forwarded even if `true` was the last state forwarded.
   */
  messageSent(): void {
    this.forwarded = false;
  }

  /** Drops a waiting state (the connection closed). */
  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.pending = undefined;
  }

  private flush(): void {
    this.timer = undefined;
    const state = this.pending;
    this.pending = undefined;
    if (state !== undefined && state !== this.forwarded) this.send(state, this.now());
  }

  private send(isTyping: boolean, now: number): void {
    this.forwarded = isTyping;
    this.forwardedAt = now;
    this.forward(isTyping);
  }
}
