/**
 * Smoke run of the benchmark's load generator — correctness, not speed: a
 * real live-chat server process (SQLite on disk, and in memory) and the bare
 * relay, 20 listeners and one broadcaster for a few seconds. Every message must be acked and
 * delivered, nothing lost, and the histograms must have counted exactly what
 * was measured. A relay that drops messages on purpose checks that loss is
 * caught and counted exactly.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { decode } from '../../bench/lib/histogram.js';
import { runTarget, type RunPlan, type TargetRun } from '../../bench/lib/runner.js';
import { TARGETS } from '../../bench/lib/targets.js';

let workDir: string;
before(() => {
  workDir = mkdtempSync(join(tmpdir(), 'livechat-bench-test-'));
});
after(() => rmSync(workDir, { recursive: true, force: true }));

const LISTENERS = 20;
const BROADCASTERS = 1;
// 20 msg/s over 20 listeners stays far below the default per-session limit (10 per 10 s).
const LOAD = { rate: 20, replyRate: 4, durationMs: 2000, warmupMs: 500, drainMs: 5000, textLength: 64 };

function plan(extraEnv?: Record<string, string>, load = LOAD): RunPlan {
  return {
    workDir,
    logLevel: 'warn',
    redisUrl: 'redis://127.0.0.1:6379',
    postgresUrl: 'postgres://postgres@127.0.0.1:5432/test',
    extraEnv,
    listeners: LISTENERS,
    broadcasters: BROADCASTERS,
    sourceAddresses: 2,
    connectConcurrency: 10,
    sessionConcurrency: 5,
    settleMs: 100,
    load,
    log: process.env['BENCH_TEST_VERBOSE'] ? (line) => process.stderr.write(`${line}\n`) : () => undefined,
  };
}

function assertComplete(run: TargetRun): void {
  assert.equal(run.error, undefined, run.error);
  assert.ok(run.setup && run.load && run.server);
  assert.equal(run.setup.connected, LISTENERS);
  const { counts, latency, histograms, errors } = run.load;
  const scheduled = ((LOAD.warmupMs + LOAD.durationMs) * LOAD.rate) / 1000;
  const measured = (LOAD.durationMs * LOAD.rate) / 1000;
  const replies = ((LOAD.warmupMs + LOAD.durationMs) * LOAD.replyRate) / 1000;
  const measuredReplies = replies - (LOAD.warmupMs * LOAD.replyRate) / 1000;
  assert.deepEqual(errors, {});
  assert.equal(counts.scheduled, scheduled);
  assert.equal(counts.sent, scheduled);
  assert.equal(counts.measured, measured);
  assert.equal(counts.acked, scheduled);
  assert.equal(counts.unacked, 0);
  assert.equal(counts.expectedDeliveries, scheduled * BROADCASTERS);
  assert.equal(counts.delivered, scheduled * BROADCASTERS);
  assert.equal(counts.lost, 0);
  assert.equal(counts.duplicates, 0);
  assert.equal(counts.idMismatches, 0);
  assert.equal(counts.repliesSent, replies);
  assert.equal(counts.repliesAcked, replies);
  assert.equal(counts.repliesLost, 0);
  assert.equal(counts.replyCopiesMissing, 0);
  assert.equal(counts.isolationViolations, 0);
  // The histograms counted exactly the measured (post-warm-up) messages.
  assert.equal(latency.sendAck.count, measured);
  assert.equal(latency.sendLag.count, measured);
  assert.equal(latency.sendBroadcaster.count, measured * BROADCASTERS);
  assert.equal(latency.replyListener.count, measuredReplies);
  assert.equal(latency.replyAck.count, measuredReplies);
  assert.equal(latency.sendBroadcasterCross.count, 0, 'one instance: nothing crosses instances');
  assert.equal(decode(histograms.sendAck).totalCount, measured);
  // HDR buckets report a percentile as the top of its bucket; summarize() clamps it to the recorded maximum.
  const { p50, p99, max } = latency.sendAck;
  assert.ok(p50 > 0 && p50 <= p99 && p99 <= max, `p50 ${p50} ≤ p99 ${p99} ≤ max ${max}`);
  assert.ok(Number.isFinite(run.server.rssPerIdleConnectionKiB));
  assert.ok(run.server.cpuMsLoad !== undefined && run.server.cpuMsLoad >= 0);
}

test('generator against a real live-chat server (SQLite): every message acked and delivered', async () => {
  assertComplete(await runTarget(TARGETS['livechat']!, plan()));
});

test('the diagnostic in-memory target (livechat-memory) serves the same load completely', async () => {
  const run = await runTarget(TARGETS['livechat-memory']!, plan());
  assertComplete(run);
  assert.match(run.target.settings['database'] ?? '', /^SQLite in memory/);
});

test('generator against the bare relay: every message acked and delivered', async () => {
  assertComplete(await runTarget(TARGETS['ws-relay']!, plan()));
});

test('generator counts loss exactly when the target drops every 7th message', async () => {
  const run = await runTarget(TARGETS['ws-relay']!, plan({ BENCH_RELAY_DROP_EVERY: '7' }, { ...LOAD, drainMs: 1000 }));
  assert.equal(run.error, undefined, run.error);
  const { counts, latency } = run.load!;
  const dropped = Math.floor(counts.scheduled / 7);
  assert.equal(counts.acked, counts.scheduled);
  assert.equal(counts.unacked, 0);
  assert.equal(counts.lost, dropped);
  assert.equal(counts.delivered, counts.scheduled - dropped);
  assert.equal(counts.repliesLost, 0);
  assert.ok(latency.sendBroadcaster.count < latency.sendAck.count);
});
