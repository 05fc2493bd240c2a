/**
 * The dashboard scenario's Markdown table and its goals (issue 18, point 3):
 * no task over 100 ms, the main thread busy under 25 %, a conversation opens
 * in under 150 ms.
 */
import type { Verdict } from '../report.js';
import type { TargetRun } from '../runner.js';
import type { ScenarioResult } from '../scenarios.js';
import { DASHBOARD_GOALS as GOALS, type DashboardFigures } from './run.js';

const n = (v: number | undefined) => (v === undefined ? '–' : Math.round(v).toLocaleString('en'));

function opensCell(d: DashboardFigures): string {
  const o = d.opens;
  const failed = o.failures.length ? `, ${o.failures.length} did not open` : '';
  return `${o.samples.length}/${o.attempted}: median **${n(o.medianMs)}** / max ${n(o.maxMs)}${failed}`;
}

export function dashboardTable(s: ScenarioResult): string[] {
  const rows = [
    '| target | first row after login (ms) | long tasks: count / **max** / total (ms) | main thread busy | conversation open (ms) | messages on the page / sent | CPU: server / machine (cores) | errors |',
    '|---|---|---|---|---|---|---|---|',
  ];
  for (const run of s.runs) {
    const d = run.dashboard;
    if (!d) {
      rows.push(`| ${run.target.label} | ${run.error ?? 'no result'} | | | | | | |`);
      continue;
    }
    const t = d.longTasks;
    const tasks = t
      ? `${n(t.count)} / **${n(t.maxMs)}** / ${n(t.totalMs)}`
      : d.unanswered.length
        ? 'the page did not answer'
        : '–';
    const busy = d.busy ? `**${d.busy.percent.toFixed(1)} %** over ${(d.busy.wallMs / 1000).toFixed(1)} s` : '–';
    const sent = run.load ? `${n(d.framesSeen)} / ${n(run.load.counts.sent)}` : '–';
    const problems = [run.error, ...d.unanswered, ...d.opens.failures, ...d.pageErrors.map((e) => `page: ${e}`)].filter(
      Boolean,
    );
    rows.push(
      `| ${run.target.label} | ${n(d.listShownMs)} | ${tasks} | ${busy} | ${opensCell(d)} | ${sent} | ${d.serverCores ?? '–'} / ${d.machineCores ?? '–'} | ${problems.length ? problems.join('; ').replace(/\|/g, '/') : '0'} |`,
    );
  }
  return rows;
}

export function dashboardVerdicts(s: ScenarioResult | undefined): Verdict[] {
  const verdicts: Verdict[] = [];
  for (const run of s?.runs ?? []) {
    const d = run.dashboard;
    // A run that never reached the page measured nothing; one whose page stopped answering failed.
    const reached = d?.listShownMs !== undefined;
    const add = (goal: string, measured: string | undefined, ok: boolean | undefined) =>
      verdicts.push({
        scenario: 'dashboard',
        goal,
        target: run.target.id,
        measured: measured ?? run.error ?? 'no result',
        verdict: !reached || ok === undefined ? (reached ? 'not met' : 'not measured') : ok ? 'met' : 'not met',
      });
    const t = d?.longTasks;
    const silent = d?.unanswered.length ? `the page did not answer: ${d.unanswered.join('; ')}` : undefined;
    add(
      `no task over ${GOALS.maxTaskMs} ms`,
      t ? `longest ${n(t.maxMs)} ms (${n(t.count)} long tasks, ${n(t.totalMs)} ms in ${n(t.windowMs)} ms)` : silent,
      t && t.maxMs <= GOALS.maxTaskMs,
    );
    add(
      `main thread busy under ${GOALS.maxBusyPercent} %`,
      d?.busy && `${d.busy.percent.toFixed(1)} % over ${n(d.busy.wallMs)} ms`,
      d?.busy && d.busy.percent < GOALS.maxBusyPercent,
    );
    add(`a conversation opens in under ${GOALS.maxOpenMs} ms`, d && openMeasured(run, d), d && openOk(d));
  }
  return verdicts;
}

function openMeasured(run: TargetRun, d: DashboardFigures): string | undefined {
  if (d.opens.attempted === 0) return run.error;
  if (d.opens.samples.length === 0)
    return `none of ${d.opens.attempted} opened (${d.opens.failures[0] ?? 'no result'})`;
  return `median ${n(d.opens.medianMs)} ms, max ${n(d.opens.maxMs)} ms over ${d.opens.samples.length} of ${d.opens.attempted} opens`;
}

function openOk(d: DashboardFigures): boolean | undefined {
  if (d.opens.attempted === 0) return undefined;
  return d.opens.failures.length === 0 && d.opens.maxMs !== undefined && d.opens.maxMs < GOALS.maxOpenMs;
}
