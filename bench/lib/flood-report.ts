/**
 * The flood scenario's Markdown table and its goal (issue 19): a flooding
 * listener costs the other listeners less than 10 ms of send→ack p50.
 */
import type { FloodPhase } from './flood.js';
import type { Verdict } from './report.js';
import type { ScenarioResult } from './scenarios.js';

export const FLOOD_GOAL_MS = 10;

const n = (v: number) => Math.round(v).toLocaleString('en');
const codes = (record: Record<string, number>) =>
  Object.entries(record)
    .map(([k, v]) => `${k}×${n(v)}`)
    .join(', ') || '–';

function flooderCell(p: FloodPhase): string {
  const f = p.flooder;
  if (!f) return '–';
  return `${p.flooderCpuPercent ?? '–'} % CPU; ${n(f.framesWritten)} frames, ${n(f.connections)} connections, ${n(f.sessions)} sessions; closes ${codes(f.closes)}; refused ${codes(f.refusals)}`;
}

export function floodTable(s: ScenarioResult): string[] {
  const rows = [
    '| target | phase | send→ack p50 / p95 / p99 (ms) | cost of the flood (p50, ms) | lost / unacked | errors | server CPU | what the flooder did |',
    '|---|---|---|---|---|---|---|---|',
  ];
  for (const run of s.runs) {
    const f = run.flood;
    if (!f) {
      rows.push(`| ${run.target.label} | failed: ${(run.error ?? 'no result').split('\n')[0]} | | | | | | |`);
      continue;
    }
    for (const p of f.phases) {
      const cost =
        p.name in f.costP50 ? `**${f.costP50[p.name]!.toFixed(2)}**` : `(quiet mean ${f.quietP50.toFixed(2)})`;
      const a = p.sendAck;
      rows.push(
        `| ${run.target.label} | ${p.name} | ${a.p50} / ${a.p95} / ${a.p99} | ${cost} | ${p.lost} / ${p.unacked} | ${codes(p.errors)} | ${p.serverCpuPercent} % | ${flooderCell(p)} |`,
      );
    }
  }
  return rows;
}

export function floodVerdicts(s: ScenarioResult | undefined): Verdict[] {
  const verdicts: Verdict[] = [];
  for (const run of s?.runs ?? []) {
    const f = run.flood;
    const goal = `a flooding listener costs the others < ${FLOOD_GOAL_MS} ms of send→ack p50, 0 lost`;
    if (!f) {
      verdicts.push({
        scenario: 'flood',
        goal,
        target: run.target.id,
        measured: run.error ?? 'no result',
        verdict: 'not measured',
      });
      continue;
    }
    const worst = Math.max(...Object.values(f.costP50));
    const lost = f.phases.reduce((a, p) => a + p.lost + p.unacked, 0);
    verdicts.push({
      scenario: 'flood',
      goal,
      target: run.target.id,
      measured: `${Object.entries(f.costP50)
        .map(([k, v]) => `${k} ${v.toFixed(2)} ms`)
        .join(', ')} (quiet p50 ${f.quietP50.toFixed(2)} ms); ${lost} lost or unacked`,
      verdict: worst < FLOOD_GOAL_MS && lost === 0 ? 'met' : 'not met',
    });
  }
  return verdicts;
}
