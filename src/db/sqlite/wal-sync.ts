/**
 * Durable commits without an fsync inside each COMMIT.
 *
 * With `synchronous=FULL` SQLite syncs the WAL inside every COMMIT, so the
 * writer's thread waits for the disk before it can start the next batch, and
 * after a slow sync (tens of milliseconds on a busy disk) the batches that
 * piled up meanwhile are written one after another, each waiting for its own
 * sync. Instead the writer's handle commits with `synchronous=NORMAL` (the
 * WAL is written but not synced; SQLite still syncs it before every
 * checkpoint and syncs the database after it) and this class syncs the WAL
 * file beside it on libuv's thread pool: a batch is reported committed only
 * once a sync that started after its COMMIT has finished, which is the
 * guarantee FULL gives. Meanwhile the next batches are committed; one sync
 * then covers all of them (group commit at the disk).
 *
 * The WAL file is opened for each sync, so a WAL that SQLite removed and
 * created again (when every connection closed) is still the one synced.
 */
import { close, fdatasync, open } from 'node:fs';

type Done = (error: Error | undefined) => void;

export class WalSync {
  /** Commits that finished since the running sync started: they wait for the next one. */
  private waiting: Done[] = [];
  private syncing = false;

  constructor(private readonly walPath: string) {}

  /** Calls `done` once everything committed so far is on disk (or the sync failed). */
  afterCommit(done: Done): void {
    this.waiting.push(done);
    if (!this.syncing) this.sync();
  }

  private sync(): void {
    const covered = this.waiting;
    this.waiting = [];
    this.syncing = true;
    syncFile(this.walPath, (error) => {
      this.syncing = false;
      for (const done of covered) done(error);
      if (this.waiting.length > 0) this.sync();
    });
  }
}

function syncFile(path: string, callback: (error: Error | undefined) => void): void {
  open(path, 'r', (openError, fd) => {
    if (openError) return callback(openError);
    fdatasync(fd, (syncError) => close(fd, (closeError) => callback(syncError ?? closeError ?? undefined)));
  });
}
