/**
 * Disk noise indicator: while a phase runs, writes 4 KiB and fsyncs it every
 * 100 ms in the scratch folder (the file system the SQLite files live on) and
 * records how long each fsync took. With LIVECHAT_SQLITE_SYNCHRONOUS=FULL
 * every stored message waits for one such fsync, so a slow disk (other
 * processes writing) shows here before it shows in the latencies.
 */
import { closeSync, fsyncSync, openSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { createHistogram, recordMs, summarize } from './histogram.js';
import type { LatencySummary } from './types.js';

export class FsyncProbe {
  private readonly histogram = createHistogram();
  private readonly file: string;
  private readonly fd: number;
  private readonly timer: NodeJS.Timeout;
  private readonly block = Buffer.alloc(4096, 7);

  constructor(dir: string) {
    this.file = join(dir, `fsync-probe-${process.pid}-${Date.now()}`);
    this.fd = openSync(this.file, 'w');
    this.timer = setInterval(() => this.probe(), 100);
  }

  private probe(): void {
    const started = performance.now();
    try {
      writeSync(this.fd, this.block, 0, this.block.length, 0);
      fsyncSync(this.fd);
    } catch {
      return;
    }
    recordMs(this.histogram, performance.now() - started);
  }

  stop(): LatencySummary {
    clearInterval(this.timer);
    closeSync(this.fd);
    rmSync(this.file, { force: true });
    return summarize(this.histogram);
  }
}
