/**
 * Smoke run of the `showstart` scenario's generator — correctness, not speed:
 * 30 listeners arrive over 1.5 s (each creating its session and connecting)
 * while 20 msg/s already flow, against a real live-chat server process and
 * the bare relay. Every listener must arrive, every message be sent, acked
 * and delivered exactly once, every one counted (there is no warm-up), and
 * messages must have been sent before the last listener arrived: the flow
 * overlapped the storm.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { runTarget, type RunPlan, type TargetRun } from '../../bench/lib/runner.js';
import { TARGETS } from '../../bench/lib/targets.js';

let workDir: string;
before(() => {
  workDir = mkdtempSync(join(tmpdir(), 'livechat-bench-storm-'));
});
after(() => rmSync(workDir, { recursive: true, force: true }));

const LISTENERS = 30;
const LOAD = {
  rate: 20,
  replyRate: 4,
  durationMs: 2500,
  warmupMs: 0,
  drainMs: 5000,
  textLength: 64,
  storm: { arriveWithinMs: 1500 },
  bucketMs: 500,
};

function plan(): RunPlan {
  return {
    workDir,
    logLevel: 'warn',
    redisUrl: 'redis://127.0.0.1:6379',
    postgresUrl: 'postgres://postgres@127.0.0.1:5432/test',
    listeners: LISTENERS,
    broadcasters: 1,
    // The first listeners carry the whole rate, as in the full scenario.
    listenerRateLimit: 1_000_000,
    sourceAddresses: 2,
    connectConcurrency: 10,
    sessionConcurrency: 5,
    load: LOAD,
    log: process.env['BENCH_TEST_VERBOSE'] ? (line) => process.stderr.write(`${line}\n`) : () => undefined,
  };
}

function assertComplete(run: TargetRun): void {
  assert.equal(run.error, undefined, run.error);
  assert.ok(run.load?.storm && run.setup && run.server);
  const { counts, latency, errors, storm, ackBuckets } = run.load;
  const scheduled = (LOAD.durationMs * LOAD.rate) / 1000;
  const replies = (LOAD.durationMs * LOAD.replyRate) / 1000;
  assert.deepEqual(errors, {});
  assert.equal(storm.arrived, LISTENERS);
  assert.equal(storm.failed, 0);
  assert.equal(run.setup.connected, LISTENERS);
  assert.ok(
    storm.messagesBeforeLastArrival > 0 && storm.messagesBeforeLastArrival < scheduled,
    `${storm.messagesBeforeLastArrival} messages before the last arrival`,
  );
  assert.ok(storm.lastArrivedAtMs >= LOAD.storm.arriveWithinMs * ((LISTENERS - 1) / LISTENERS));
  assert.equal(counts.scheduled, scheduled);
  assert.equal(counts.sent, scheduled);
  assert.equal(counts.acked, scheduled);
  assert.equal(counts.delivered, scheduled);
  assert.equal(counts.lost, 0);
  assert.equal(counts.duplicates, 0);
  assert.equal(counts.idMismatches, 0);
  assert.equal(counts.repliesSent, replies);
  assert.equal(counts.repliesAcked, replies);
  assert.equal(counts.repliesLost, 0);
  assert.equal(counts.isolationViolations, 0);
  // No warm-up: every message is in the histograms, and in exactly one bucket by its due time.
  assert.equal(latency.sendAck.count, scheduled);
  assert.equal(latency.replyListener.count, replies);
  assert.equal(
    ackBuckets?.reduce((sum, bucket) => sum + bucket.count, 0),
    scheduled,
  );
  assert.equal(ackBuckets?.length, Math.ceil(LOAD.durationMs / LOAD.bucketMs));
  assert.equal(run.server.rssPerIdleConnectionKiB, undefined, 'no idle phase to measure');
}

test('showstart against a real live-chat server: every listener arrives during the flow, nothing is lost', async () => {
  assertComplete(await runTarget(TARGETS['livechat']!, plan()));
});

test('showstart against the bare relay: the same, in the same generator', async () => {
  assertComplete(await runTarget(TARGETS['ws-relay']!, plan()));
});
