/**
 * Smoke run of the `flood` scenario — correctness, not speed: a real live-chat
 * server process under a small load, measured quiet, beside each kind of
 * flooding listener (its own process), and quiet again. Every flooder must be
 * answered with 1008 closes, the other listeners must lose nothing, and the
 * report must carry each flood's cost. Against the bare relay, which never
 * closes anyone, the same run must show no 1008 at all (so the check can fail).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { FLOOD_KINDS } from '../../bench/lib/flood.js';
import { floodTable, floodVerdicts } from '../../bench/lib/flood-report.js';
import { runTarget, type RunPlan } from '../../bench/lib/runner.js';
import { planScenario } from '../../bench/lib/scenarios.js';
import { TARGETS } from '../../bench/lib/targets.js';

let workDir: string;
before(() => {
  workDir = mkdtempSync(join(tmpdir(), 'livechat-flood-test-'));
});
after(() => rmSync(workDir, { recursive: true, force: true }));

function plan(): RunPlan {
  return {
    workDir,
    logLevel: 'warn',
    redisUrl: 'redis://127.0.0.1:6379',
    postgresUrl: 'postgres://postgres@127.0.0.1:5432/test',
    listeners: 20,
    broadcasters: 1,
    sourceAddresses: 2,
    connectConcurrency: 10,
    sessionConcurrency: 5,
    settleMs: 100,
    load: { rate: 20, replyRate: 4, durationMs: 1500, warmupMs: 500, drainMs: 5000, textLength: 64 },
    flood: { kinds: [...FLOOD_KINDS], localAddress: '127.0.0.250', nice: 0 },
    log: process.env['BENCH_TEST_VERBOSE'] ? (line) => process.stderr.write(`${line}\n`) : () => undefined,
  };
}

test('flood scenario: each flooder is closed with 1008, the others lose nothing, the cost is reported', async () => {
  const run = await runTarget(TARGETS['livechat']!, plan());
  assert.equal(run.error, undefined, run.error);
  const flood = run.flood!;
  assert.deepEqual(
    flood.phases.map((p) => p.name),
    ['quiet', ...FLOOD_KINDS, 'quiet again'],
  );
  for (const phase of flood.phases) {
    assert.equal(phase.lost, 0, `${phase.name}: nothing lost`);
    assert.equal(phase.unacked, 0, `${phase.name}: nothing unacked`);
    // The flooder's own accepted messages reach the broadcaster as messages the generator did not send.
    assert.deepEqual(
      Object.keys(phase.errors).filter((k) => k !== 'new-unknown'),
      [],
      `${phase.name}: no other error`,
    );
    assert.ok(phase.sendAck.count > 0, `${phase.name}: the load was measured`);
    if (phase.name.startsWith('quiet')) continue;
    const f = phase.flooder!;
    assert.ok(
      f.framesWritten > 200,
      `${phase.name}: the flooder wrote more than the frame budget (${f.framesWritten})`,
    );
    assert.ok((f.closes['1008'] ?? 0) >= 1, `${phase.name}: closed with 1008 (${JSON.stringify(f.closes)})`);
    assert.equal(typeof flood.costP50[phase.name], 'number');
  }
  const scenario = planScenario('flood', { quick: true });
  const result = {
    scenario: 'flood' as const,
    title: scenario.title,
    description: scenario.description,
    command: 'test',
    quick: true,
    provenance: {} as never,
    plan: scenario,
    runs: [run],
    finishedAt: new Date().toISOString(),
  };
  const table = floodTable(result).join('\n');
  for (const kind of FLOOD_KINDS) assert.match(table, new RegExp(`\\| ${kind} \\|`));
  const [verdict] = floodVerdicts(result);
  assert.ok(verdict && verdict.verdict !== 'not measured', 'the goal was judged');
});

test('flood scenario against the bare relay: nobody is closed with 1008', async () => {
  const relayPlan = { ...plan(), flood: { kinds: ['typing' as const], localAddress: '127.0.0.250', nice: 0 } };
  const run = await runTarget(TARGETS['ws-relay']!, relayPlan);
  assert.equal(run.error, undefined, run.error);
  const typing = run.flood!.phases.find((p) => p.name === 'typing')!;
  assert.equal(typing.flooder!.closes['1008'] ?? 0, 0);
});
