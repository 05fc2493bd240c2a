/**
 * Remembers the last `capacity` message ids seen, so a message delivered twice
 * (replay after a reconnect overlapping what already arrived, two tabs, a
 * resync racing a live event) is handed to the application once.
 */
export class SeenIds {
  private readonly ids = new Set<string>();

  constructor(
    private readonly capacity = 5_000,
    initial: Iterable<string> = [],
  ) {
    for (const id of initial) this.add(id);
  }

  has(id: string): boolean {
    return this.ids.has(id);
  }

  /** Records `id`; returns false when it had been seen already. */
  add(id: string): boolean {
    if (this.ids.has(id)) return false;
    this.ids.add(id);
    if (this.ids.size > this.capacity) {
      // Sets iterate in insertion order: the first one is the oldest.
      const oldest = this.ids.values().next().value;
      if (oldest !== undefined) this.ids.delete(oldest);
    }
    return true;
  }

  get size(): number {
    return this.ids.size;
  }
}
