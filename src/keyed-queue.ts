/**
 * Runs tasks one at a time per key, in arrival order; different keys run
 * concurrently. Used to keep the messages of one session in stored order from
 * commit to fan-out.
 */
export class KeyedQueue {
  private readonly tails = new Map<string, Promise<unknown>>();

  /** Starts `task` at once when nothing of its key is queued or running; otherwise after the last one settles. */
  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const { tails } = this;
    const previous = tails.get(key);
    const result = previous === undefined ? start(task) : previous.then(task, task);
    const forget = (): void => {
      if (tails.get(key) === tail) tails.delete(key);
    };
    const tail = result.then(forget, forget);
    tails.set(key, tail);
    return result;
  }

  /** Number of keys with queued or running tasks. */
  get size(): number {
    return this.tails.size;
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
