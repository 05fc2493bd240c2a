/**
 * Publications the bus did not take, oldest first, bounded: published again in
 * order once the bus is back (the caller decides which ones are kept). Pure:
 * the publish function is given to {@link UnsentQueue.drain}.
 */

export interface UnsentItem {
  channel: string;
  payload: string;
}

export class UnsentQueue {
  private items: UnsentItem[] = [];
  private draining = false;
  /** Items dropped (oldest first) because more than `capacity` waited. */
  dropped = 0;
  /** Items published again by drain(). */
  republished = 0;

  constructor(private readonly capacity: number) {
    if (!(Number.isInteger(capacity) && capacity > 0)) throw new RangeError('UnsentQueue: capacity must be > 0');
  }

  get size(): number {
    return this.items.length;
  }

  push(item: UnsentItem): void {
    this.items.push(item);
    if (this.items.length > this.capacity) {
      this.items.shift();
      this.dropped += 1;
    }
  }

  /** Drops every item waiting (counted as dropped). */
  clear(): void {
    this.dropped += this.items.length;
    this.items = [];
  }

  /**
   * Publishes the items in order; stops at the first failure, which is
   * rethrown, leaving that item first for the next drain. A drain already
   * running makes this call a no-op. `shouldStop` is checked before each item.
   */
  async drain(publish: (item: UnsentItem) => Promise<unknown>, shouldStop: () => boolean = () => false): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    try {
      while (this.items.length > 0 && !shouldStop()) {
        const item = this.items[0]!;
        await publish(item);
        // A push meanwhile may have dropped it as the oldest.
        if (this.items[0] === item) this.items.shift();
        this.republished += 1;
      }
    } finally {
      this.draining = false;
    }
  }
}
