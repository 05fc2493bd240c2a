/**
 * Counts the promises still pending, for shutdown to wait on (the message
 * path's answers, the store's calls). A counter and one shared callback
 * instead of a Set of the promises: tracking is on every message's path.
 */
export class InFlight {
  private count = 0;
  private waiters: Array<() => void> = [];
  private readonly settled = (): void => {
    if (--this.count > 0) return;
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  };

  /** Counts `promise` until it settles; returns it. */
  track<T>(promise: Promise<T>): Promise<T> {
    this.count++;
    promise.then(this.settled, this.settled);
    return promise;
  }

  get size(): number {
    return this.count;
  }

  /** Resolves once nothing is pending, including what is tracked while waiting. */
  idle(): Promise<void> {
    return this.count === 0 ? Promise.resolve() : new Promise((resolve) => this.waiters.push(resolve));
  }
}
