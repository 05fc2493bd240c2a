/** Below this many slots nothing is swept. */
const MIN_SWEEP_AT = 1024;

interface Slot {
  /** Settles after the key's last task; undefined when none is queued or running. */
  tail: Promise<unknown> | undefined;
  /** The sweep generation the key was last used in. */
  generation: number;
}

/**
 * Runs tasks one at a time per key, in arrival order; different keys run
 * concurrently. Used to keep the messages of one session in stored order from
 * commit to fan-out.
 *
 * A key keeps its slot between tasks: a session that sends every few seconds
 * would otherwise add and delete a map entry per message, and a map that
 * churns has its table reallocated over and over, each new table living long
 * enough to reach V8's old generation. Only the promise of the key's last task
 * is dropped when it settles. Slots unused since the previous sweep are swept
 * whenever a new key finds the map twice as large as after that sweep.
 */
export class KeyedQueue {
  private readonly slots = new Map<string, Slot>();
  /** Counts sweeps; a slot records the one it was last used in. */
  private generation = 0;
  private sweepAt = MIN_SWEEP_AT;

  /** Starts `task` at once when nothing of its key is queued or running; otherwise after the last one settles. */
  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    let slot = this.slots.get(key);
    if (slot === undefined) {
      if (this.slots.size >= this.sweepAt) this.sweep();
      slot = { tail: undefined, generation: this.generation };
      this.slots.set(key, slot);
    }
    slot.generation = this.generation;
    const previous = slot.tail;
    const result = previous === undefined ? start(task) : previous.then(task, task);
    const settled = (): void => {
      if (slot.tail === tail) slot.tail = undefined;
    };
    const tail = result.then(settled, settled);
    slot.tail = tail;
    return result;
  }

  /** Number of keys with queued or running tasks. */
  get size(): number {
    let busy = 0;
    for (const slot of this.slots.values()) if (slot.tail !== undefined) busy++;
    return busy;
  }

  /** Number of keys holding a slot, busy or not (bounded by the sweeps). */
  get slotCount(): number {
    return this.slots.size;
  }

  private sweep(): void {
    for (const [key, slot] of this.slots) {
      if (slot.tail === undefined && slot.generation < this.generation) this.slots.delete(key);
    }
    this.generation++;
    this.sweepAt = Math.max(MIN_SWEEP_AT, 2 * this.slots.size);
  }
}

/** `task()`, with a synchronous throw turned into a rejection. */
function start<T>(task: () => Promise<T>): Promise<T> {
  try {
    return task();
  } catch (error) {
    return Promise.reject(error);
  }
}
