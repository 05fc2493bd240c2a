/**
 * Group commit: writes that arrive while the event loop is busy are committed
 * together in one transaction, so that a burst of messages costs one COMMIT
 * (and, with SQLite `synchronous=FULL`, one fsync) instead of one each.
 *
 * Writes submitted during one event-loop turn are collected and committed at
 * the end of that turn (setImmediate); while a batch is being committed, new
 * writes wait for the next one. Nothing waits for a timer: a lone write is
 * committed as soon as the turn that submitted it ends.
 *
 * After the commit each write's `afterCommit` runs (acknowledge, publish), one
 * at a time in submission order, and batch n+1's only after batch n's: what
 * is published leaves in stored order. A write's promise settles after its
 * own `afterCommit`.
 */

/** What the batch writer says about one write of the batch. */
export type WriteOutcome<Out> = { ok: true; value: Out } | { ok: false; error: unknown };

/** What the batch writer resolves with once the batch is committed. */
export interface BatchResult<Out> {
  /** One per input, in the same order. */
  outcomes: Array<WriteOutcome<Out>>;
  /**
   * Called once every write of the batch has run its afterCommit (locks that
   * hold other writers back until then are released here).
   */
  release?: (() => Promise<void>) | undefined;
}

/**
 * Writes a batch in one transaction and resolves when it is committed. A
 * per-write failure (an unknown session, say) is an outcome; rejecting means
 * nothing of the batch was stored.
 */
export type BatchWriter<In, Out> = (inputs: readonly In[]) => Promise<BatchResult<Out>>;

interface PendingWrite<In, Out> {
  input: In;
  afterCommit: ((value: Out) => Promise<void>) | undefined;
  resolve: (value: Out) => void;
  reject: (error: unknown) => void;
}

export class GroupCommit<In, Out> {
  private queue: Array<PendingWrite<In, Out>> = [];
  private scheduled = false;
  private writing = false;
  /** The afterCommit callbacks of committed batches, chained in commit order. */
  private settling: Promise<void> = Promise.resolve();

  constructor(
    private readonly writeBatch: BatchWriter<In, Out>,
    /** Most writes per transaction; the rest wait for the next one. */
    private readonly maxBatch = 512,
  ) {}

  submit(input: In, afterCommit?: (value: Out) => Promise<void>): Promise<Out> {
    return new Promise<Out>((resolve, reject) => {
      this.queue.push({ input, afterCommit, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.writing) return;
    this.scheduled = true;
    setImmediate(() => void this.flush());
  }

  private async flush(): Promise<void> {
    this.scheduled = false;
    this.writing = true;
    const batch = this.queue.splice(0, this.maxBatch);
    let result: BatchResult<Out>;
    try {
      result = await this.writeBatch(batch.map((write) => write.input));
      if (result.outcomes.length !== batch.length) {
        await result.release?.();
        throw new Error(`batch writer answered ${result.outcomes.length} outcomes for ${batch.length} writes`);
      }
    } catch (error) {
      result = { outcomes: batch.map(() => ({ ok: false, error })) };
    }
    this.writing = false;
    if (this.queue.length > 0) this.schedule();
    const previous = this.settling;
    this.settling = previous.then(async () => {
      await settle(batch, result.outcomes);
      await result.release?.().catch(() => undefined);
    });
  }
}

async function settle<In, Out>(batch: Array<PendingWrite<In, Out>>, outcomes: Array<WriteOutcome<Out>>): Promise<void> {
  for (const [index, write] of batch.entries()) {
    const outcome = outcomes[index]!;
    if (!outcome.ok) {
      write.reject(outcome.error);
      continue;
    }
    try {
      if (write.afterCommit) await write.afterCommit(outcome.value);
      write.resolve(outcome.value);
    } catch (error) {
      write.reject(error);
    }
  }
}
