/**
 * LIVECHAT_RETENTION_DAYS: listeners' sessions and messages older than that
 * are deleted on a schedule (hourly, the first pass a minute after start), a
 * batch at a time with a pause between batches, so the message path never
 * waits behind a long delete. Every instance may run it: the deletes are
 * idempotent, and a random offset keeps instances from running in step.
 */
import type { Logger } from 'pino';
import type { Store } from '../db/types.js';

export interface RetentionOptions {
  store: Store;
  logger: Logger;
  /** 0 = keep forever (nothing is scheduled). */
  days: number;
  intervalMs?: number;
  firstDelayMs?: number;
  batchSize?: number;
  /** Pause between two batches. */
  pauseMs?: number;
}

const DAY_MS = 24 * 3600 * 1000;

/** Deletes everything older than `cutoff`, batch after batch; how many rows went. */
export async function deleteOlderThan(
  store: Store,
  cutoff: Date,
  options: { batchSize?: number; pauseMs?: number; stopped?: () => boolean } = {},
): Promise<number> {
  const batchSize = options.batchSize ?? 500;
  let total = 0;
  for (;;) {
    const deleted = await store.retention.deleteOlderThan(cutoff, batchSize);
    total += deleted;
    if (deleted === 0 || options.stopped?.()) return total;
    if (options.pauseMs) await new Promise((resolve) => setTimeout(resolve, options.pauseMs));
  }
}

/** Starts the schedule; returns what stops it. */
export function scheduleRetention(options: RetentionOptions): () => void {
  if (options.days === 0) return () => undefined;
  const interval = options.intervalMs ?? 3600_000;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const run = async () => {
    const cutoff = new Date(Date.now() - options.days * DAY_MS);
    try {
      const deleted = await deleteOlderThan(options.store, cutoff, {
        batchSize: options.batchSize,
        pauseMs: options.pauseMs ?? 50,
        stopped: () => stopped,
      });
      if (deleted > 0) options.logger.info({ deleted, cutoff: cutoff.toISOString() }, 'retention: old data deleted');
    } catch (error) {
      options.logger.warn({ err: error }, 'retention: deleting old data failed; tried again at the next run');
    }
    if (!stopped) {
      timer = setTimeout(() => void run(), interval);
      timer.unref();
    }
  };
  timer = setTimeout(() => void run(), (options.firstDelayMs ?? 60_000) + Math.random() * 10_000);
  timer.unref();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
