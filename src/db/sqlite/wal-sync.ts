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
 * The WAL file stays open between syncs: SQLite removes it only when the
 * last connection to the database closes, and the writer's own connection
 * is open for as long as this class is used (it starts the WAL over in the
 * same file). After a failed sync it is opened again.
 */
import { close, fdatasync, open } from 'node:fs';

type Done = (error: Error | undefined) => void;

export class WalSync {
  /** Commits that finished since the running sync started: they wait for the next one. */
  private waiting: Done[] = [];
  private syncing = false;
  private fd: number | undefined;

  constructor(private readonly walPath: string) {}

  /** Calls `done` once everything committed so far is on disk (or the sync failed). */
  afterCommit(done: Done): void {
    this.waiting.push(done);
    if (!this.syncing) this.sync();
  }

  /** Closes the WAL file (after the last commit was answered). */
  close(): void {
    if (this.fd !== undefined) close(this.fd, () => undefined);
    this.fd = undefined;
  }

  private sync(): void {
    const covered = this.waiting;
    this.waiting = [];
    this.syncing = true;
    this.syncFile((error) => {
      this.syncing = false;
      for (const done of covered) done(error);
      if (this.waiting.length > 0) this.sync();
    });
  }

  private syncFile(callback: (error: Error | undefined) => void): void {
    if (this.fd === undefined) {
      open(this.walPath, 'r', (openError, fd) => {
        if (openError) return callback(openError);
        this.fd = fd;
        this.syncFile(callback);
      });
      return;
    }
    fdatasync(this.fd, (error) => {
      if (error) this.close();
      callback(error ?? undefined);
    });
  }
}
