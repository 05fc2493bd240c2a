/** The `showstart` scenario's own table and goal: the listeners' arrival, and the tail over the run. */
import type { Verdict } from './report.js';
import type { ScenarioResult } from './scenarios.js';

const ms = (n: number) => (n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2));
const int = (n: number) => Math.round(n).toLocaleString('en');

/** p99 send→ack by when the message was due: "0–5 s: 12.3 · 5–10 s: …". */
export function bucketLine(run: ScenarioResult['runs'][number]): string {
  const buckets = run.load?.ackBuckets ?? [];
  const width = run.load?.params.bucketMs ?? 0;
  return buckets
    .filter((b) => b.count > 0)
    .map((b) => `${b.fromMs / 1000}–${(b.fromMs + width) / 1000} s: ${ms(b.p99)}`)
    .join(' · ');
}

export function stormTable(s: ScenarioResult): string[] {
  const head = [
    'target',
    'listeners arrived / failed',
    'last arrived at',
    'arrival (session + handshake) p50 / **p99** / max (ms)',
    'messages sent before the last arrival',
    'send→ack **p99** by due time (ms)',
  ];
  const rows = [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`];
  for (const run of s.runs) {
    const st = run.load?.storm;
    if (!st) continue;
    rows.push(
      '| ' +
        [
          run.target.label,
          `${int(st.arrived)} of ${int(st.listeners)} / ${int(st.failed)}`,
          `${(st.lastArrivedAtMs / 1000).toFixed(1)} s`,
          `${ms(st.arrival.p50)} / **${ms(st.arrival.p99)}** / ${ms(st.arrival.max)}`,
          int(st.messagesBeforeLastArrival),
          bucketLine(run),
        ].join(' | ') +
        ' |',
    );
  }
  return rows.length > 2 ? ['', ...rows] : [];
}

export const STORM_GOAL_RATIO = 3;

export function stormVerdicts(s: ScenarioResult | undefined): Verdict[] {
  const verdicts: Verdict[] = [];
  const relay = s?.runs.find((r) => r.target.id === 'ws-relay')?.load;
  const goal = `p99 send→ack over the whole run (no warm-up) ≤ ${STORM_GOAL_RATIO}× the bare relay's, 0 lost`;
  for (const run of (s?.runs ?? []).filter((r) => r.target.kind === 'livechat')) {
    const load = run.load;
    const base = { scenario: 'showstart' as const, goal, target: run.target.id };
    if (!load?.storm || !relay) {
      verdicts.push({
        ...base,
        measured: run.error ?? (relay ? 'no result' : 'bare relay not measured'),
        verdict: 'not measured',
      });
      continue;
    }
    const ratio = load.latency.sendAck.p99 / relay.latency.sendAck.p99;
    const c = load.counts;
    const lost = c.lost + c.unacked + c.repliesLost + c.repliesUnacked;
    const everyone = load.storm.arrived === load.storm.listeners;
    verdicts.push({
      ...base,
      measured:
        `${ratio.toFixed(1)}× (${ms(load.latency.sendAck.p99)} vs ${ms(relay.latency.sendAck.p99)} ms); ` +
        `${int(lost)} lost or unacked; ${int(load.storm.arrived)} of ${int(load.storm.listeners)} listeners arrived`,
      verdict: ratio <= STORM_GOAL_RATIO && lost === 0 && everyone ? 'met' : 'not met',
    });
  }
  return verdicts;
}
