/**
 * Group commit: writes that arrive while the event loop is busy are committed
 * together in one transaction, so that a burst of messages costs one COMMIT
 * (and, with SQLite `synchronous=FULL`, one fsync) instead of one each.
 *
 * Writes submitted during one event-loop turn are collected and committed at
 * the end of that turn (setImmediate). At most `maxInFlight` batches are with
 * the batch writer at once (one by default); while that many are, new writes
 * wait and go together in the next batch. A write that finds no batch with
 * the writer never waits for a timer: it is sent as soon as the turn that
 * submitted it ends. With `gatherMs`, a write that finds a batch already out
 * (the writer is busy: load) waits up to that long for company, as
 * PostgreSQL's `commit_delay` does when other transactions are active: under
 * load, fewer and larger transactions, each costing one hand-over to the
 * writer and one commit.
 *
 * After the commit each write's `afterCommit` runs (acknowledge, publish) in
 * submission order, and batch n+1's only after batch n's, even when batch n+1
 * is answered first: what is published leaves in stored order. By default one
 * runs at a time. With `orderKey`, writes of different keys start one after
 * another without waiting for each other (what each sends before its first
 * await still leaves in submission order), and only writes sharing a key wait
 * for the one before: a batch of messages into different sessions costs one
 * publication round trip, not one per message. A write's promise settles after
 * its own `afterCommit`.
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
  /** Batches sent to the batch writer and not answered yet. */
  private inFlight = 0;
  /** The afterCommit callbacks of committed batches, chained in commit order. */
  private settling: Promise<void> = Promise.resolve();

  /** Most writes per transaction; the rest wait for the next one. */
  private readonly maxBatch: number;
  /**
   * Most batches with the writer at once. More than one only for a writer
   * that keeps its batches in order and can take the next one while an
   * earlier one is still being made durable (the SQLite writer's thread).
   */
  private readonly maxInFlight: number;
  /** How long a batch waits for more writes while another is with the writer; 0: no wait. */
  private readonly gatherMs: number;
  /** Writes whose afterCommit must wait for each other; undefined: all of them. */
  private readonly orderKey: ((input: In) => unknown) | undefined;

  constructor(
    private readonly writeBatch: BatchWriter<In, Out>,
    options: { maxBatch?: number; maxInFlight?: number; gatherMs?: number; orderKey?: (input: In) => unknown } = {},
  ) {
    this.maxBatch = options.maxBatch ?? 512;
    this.maxInFlight = options.maxInFlight ?? 1;
    this.gatherMs = options.gatherMs ?? 0;
    this.orderKey = options.orderKey;
  }

  submit(input: In, afterCommit?: (value: Out) => Promise<void>): Promise<Out> {
    return new Promise<Out>((resolve, reject) => {
      this.queue.push({ input, afterCommit, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.inFlight >= this.maxInFlight) return;
    this.scheduled = true;
    if (this.gatherMs > 0 && this.inFlight > 0) setTimeout(() => this.flush(), this.gatherMs);
    else setImmediate(() => this.flush());
  }

  private flush(): void {
    this.scheduled = false;
    const batch = this.queue.splice(0, this.maxBatch);
    this.inFlight++;
    const written = this.write(batch.map((write) => write.input));
    void written.then(() => {
      this.inFlight--;
      if (this.queue.length > 0) this.schedule();
    });
    // Chained at send time, so batches settle in the order they were sent.
    this.settling = this.settling.then(async () => {
      const result = await written;
      await settle(batch, result.outcomes, this.orderKey);
      await result.release?.().catch(() => undefined);
    });
  }

  /** The batch writer's answer; a failure becomes a failed outcome for every write. */
  private async write(inputs: In[]): Promise<BatchResult<Out>> {
    try {
      const result = await this.writeBatch(inputs);
      if (result.outcomes.length !== inputs.length) {
        await result.release?.();
        throw new Error(`batch writer answered ${result.outcomes.length} outcomes for ${inputs.length} writes`);
      }
      return result;
    } catch (error) {
      return { outcomes: inputs.map(() => ({ ok: false, error })) };
    }
  }
}

/**
 * Runs the batch's afterCommit callbacks, each write's after the previous one
 * of the same key (`orderKey`; without it, after the previous one), and
 * settles each write after its own. Resolves when all have run.
 */
async function settle<In, Out>(
  batch: Array<PendingWrite<In, Out>>,
  outcomes: Array<WriteOutcome<Out>>,
  orderKey: ((input: In) => unknown) | undefined,
): Promise<void> {
  const tails = new Map<unknown, Promise<void>>();
  for (const [index, write] of batch.entries()) {
    const outcome = outcomes[index]!;
    if (!outcome.ok) {
      write.reject(outcome.error);
      continue;
    }
    const run = async (): Promise<void> => {
      try {
        if (write.afterCommit) await write.afterCommit(outcome.value);
        write.resolve(outcome.value);
      } catch (error) {
        write.reject(error);
      }
    };
    const key = orderKey?.(write.input);
    const previous = tails.get(key);
    tails.set(key, previous ? previous.then(run) : run());
  }
  await Promise.all(tails.values());
}
