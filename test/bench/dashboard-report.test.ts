/**
 * The dashboard scenario's pure parts, without a browser: the busy share
 * between two CDP marks, and the goals of issue 18 checked against figures
 * (met, not met, a frozen page, a run that never reached the page).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { busyBetween } from '../../bench/lib/dashboard/page.js';
import { dashboardTable, dashboardVerdicts } from '../../bench/lib/dashboard/report.js';
import { BUSY_MEASURE, type DashboardFigures } from '../../bench/lib/dashboard/run.js';
import type { TargetRun } from '../../bench/lib/runner.js';
import type { ScenarioResult } from '../../bench/lib/scenarios.js';

function figures(overrides: Partial<DashboardFigures>): DashboardFigures {
  return {
    conversations: 3000,
    listShownMs: 800,
    busy: { percent: 12.5, wallMs: 35_000 },
    longTasks: { count: 2, maxMs: 80, totalMs: 140, windowMs: 30_000 },
    opens: { attempted: 3, samples: [], failures: [], medianMs: 60, maxMs: 120 },
    framesSeen: 3500,
    previewsShown: 40,
    pageErrors: [],
    unanswered: [],
    busyMeasure: BUSY_MEASURE,
    ...overrides,
  };
}

function scenario(dashboard: DashboardFigures, error?: string): ScenarioResult {
  const run: TargetRun = {
    target: { id: 'livechat', label: 'live chat', kind: 'livechat', instances: 1, settings: {} },
    dashboard,
    ...(error ? { error } : {}),
  };
  return { runs: [run] } as unknown as ScenarioResult;
}

const verdictsOf = (s: ScenarioResult) => dashboardVerdicts(s).map((v) => v.verdict);

test('busy share is task time over metric time between the marks', () => {
  assert.deepEqual(busyBetween({ taskDuration: 10, timestamp: 100 }, { taskDuration: 15, timestamp: 120 }), {
    percent: 25,
    wallMs: 20_000,
  });
});

test('every goal met', () => {
  assert.deepEqual(verdictsOf(scenario(figures({}))), ['met', 'met', 'met']);
});

test('a task over 100 ms, a busy main thread, a slow or failed open are not met', () => {
  assert.deepEqual(verdictsOf(scenario(figures({ longTasks: { count: 1, maxMs: 101, totalMs: 101, windowMs: 1 } }))), [
    'not met',
    'met',
    'met',
  ]);
  assert.deepEqual(verdictsOf(scenario(figures({ busy: { percent: 25, wallMs: 1 } }))), ['met', 'not met', 'met']);
  const slow = figures({ opens: { attempted: 2, samples: [], failures: [], medianMs: 100, maxMs: 150 } });
  assert.deepEqual(verdictsOf(scenario(slow)), ['met', 'met', 'not met']);
  const failed = figures({ opens: { attempted: 2, samples: [], failures: ['timeout'], medianMs: 50, maxMs: 60 } });
  assert.deepEqual(verdictsOf(scenario(failed)), ['met', 'met', 'not met']);
});

test('a page that stopped answering fails; a run that never reached the page measured nothing', () => {
  const frozen = figures({ longTasks: undefined, unanswered: ['long tasks: no answer within 120000 ms'] });
  const verdicts = dashboardVerdicts(scenario(frozen));
  assert.equal(verdicts[0]!.verdict, 'not met');
  assert.match(verdicts[0]!.measured, /did not answer/);
  assert.match(dashboardTable(scenario(frozen)).join('\n'), /the page did not answer/);
  const neverReached = figures({ listShownMs: undefined, busy: undefined, longTasks: undefined });
  neverReached.opens = { attempted: 0, samples: [], failures: [] };
  assert.deepEqual(verdictsOf(scenario(neverReached, 'server did not start')), [
    'not measured',
    'not measured',
    'not measured',
  ]);
});
