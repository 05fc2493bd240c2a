/**
 * Smoke run of the benchmark's `dashboard` scenario: a real live-chat server,
 * 50 conversations, the dashboard in Chromium and 5 listener messages/s for a
 * few seconds. It checks the instrument, not the dashboard's speed: every
 * figure is present and sane, conversations were opened by click, and the
 * messages sent during the window reached the page.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { CHROMIUM } from '../../bench/lib/dashboard/page.js';
import { dashboardVerdicts } from '../../bench/lib/dashboard/report.js';
import { runDashboard } from '../../bench/lib/dashboard/run.js';
import { planScenario } from '../../bench/lib/scenarios.js';
import { TARGETS } from '../../bench/lib/targets.js';

let workDir: string;
before(() => {
  workDir = mkdtempSync(join(tmpdir(), 'livechat-bench-dashboard-'));
});
after(() => rmSync(workDir, { recursive: true, force: true }));

test('the dashboard scenario measures long tasks, busy share and conversation opens', async () => {
  // npm test's preflight installs Chromium for this suite; without it this fails loudly, never skips.
  assert.ok(existsSync(CHROMIUM), `no Chromium at ${CHROMIUM}`);
  const plan = planScenario('dashboard', {
    quick: true,
    listeners: 50,
    rate: 5,
    durationS: 4,
    warmupS: 1,
    opens: 3,
  });
  assert.ok(plan.dashboard);
  const run = await runDashboard(TARGETS['livechat']!, {
    workDir,
    logLevel: 'warn',
    redisUrl: 'redis://127.0.0.1:6379',
    postgresUrl: 'postgres://postgres@127.0.0.1:5432/test',
    sourceAddresses: 2,
    dashboard: plan.dashboard,
    log: process.env['BENCH_TEST_VERBOSE'] ? (line) => process.stderr.write(`${line}\n`) : () => undefined,
  });
  assert.equal(run.error, undefined, run.error);
  const d = run.dashboard!;
  assert.equal(run.setup?.connected, 50);
  assert.deepEqual(d.pageErrors, []);
  assert.ok(d.listShownMs !== undefined && d.listShownMs > 0);

  assert.deepEqual(d.unanswered, []);
  const t = d.longTasks!;
  assert.ok(t.windowMs >= 3500 && t.windowMs < 60_000, `window ${t.windowMs} ms`);
  assert.ok(t.count >= 0 && t.maxMs >= 0 && t.totalMs >= t.maxMs);
  const busy = d.busy!;
  assert.ok(busy.wallMs >= t.windowMs, `busy measured over ${busy.wallMs} ms`);
  assert.ok(busy.percent > 0 && busy.percent <= 100, `busy ${busy.percent} %`);

  assert.equal(d.opens.attempted, 3);
  assert.deepEqual(d.opens.failures, []);
  assert.equal(new Set(d.opens.samples.map((s) => s.name)).size, 3, 'three different conversations opened');
  for (const s of d.opens.samples) assert.ok(s.ms > 0 && s.ms < 30_000, `${s.name} opened in ${s.ms} ms`);
  assert.ok(d.opens.medianMs! > 0 && d.opens.maxMs! >= d.opens.medianMs!);

  // Every message sent during the phase reached the page, and the list shows some of them.
  const load = run.load!;
  assert.equal(load.counts.sent, 25);
  assert.equal(load.counts.lost, 0);
  assert.equal(d.framesSeen, load.counts.sent);
  assert.ok(d.previewsShown > 0, 'the session list shows messages of the measured phase');

  const verdicts = dashboardVerdicts({ runs: [run] } as never);
  assert.equal(verdicts.length, 3);
  assert.ok(verdicts.every((v) => v.verdict !== 'not measured'));
});
