/**
 * Results: the JSON of an invocation, the merged "latest" file (the newest
 * result of every scenario), the goals checked against them, and the
 * Markdown rendering of both.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { dashboardTable, dashboardVerdicts } from './dashboard/report.js';
import { floodTable, floodVerdicts } from './flood-report.js';
import { showTable } from './show-report.js';
import { stormTable, stormVerdicts } from './showstart-report.js';
import type { TargetRun } from './runner.js';
import { SCENARIOS, type ScenarioName, type ScenarioResult } from './scenarios.js';
import type { LatencySummary } from './types.js';

export interface ResultsFile {
  version: 1;
  scenarios: Partial<Record<ScenarioName, ScenarioResult>>;
  verdicts: Verdict[];
}

export interface Verdict {
  scenario: ScenarioName;
  goal: string;
  target: string;
  measured: string;
  verdict: 'met' | 'not met' | 'not measured';
}

// ---------- numbers ----------

const int = (n: number) => Math.round(n).toLocaleString('en');
export function ms(n: number): string {
  if (n >= 100) return int(n);
  if (n >= 10) return n.toFixed(1);
  return n.toFixed(2);
}
const quad = (l: LatencySummary) =>
  l.count === 0 ? '–' : `${ms(l.p50)} / ${ms(l.p95)} / **${ms(l.p99)}** / ${ms(l.max)}`;
const times = (value: number, goal: number) => `${(value / goal).toFixed(value / goal >= 10 ? 0 : 1)}× the goal`;

function errorsCell(errors: Record<string, number>): string {
  const entries = Object.entries(errors).filter(([, n]) => n > 0);
  if (entries.length === 0) return '0';
  return entries.map(([name, n]) => `${name} ×${int(n)}`).join(', ');
}

/** Anything missing at all: messages lost or unacked, replies lost or unacked or missing a broadcaster copy. */
function lostOf(run: TargetRun): number {
  const c = run.load?.counts;
  return c ? c.lost + c.unacked + c.repliesLost + c.repliesUnacked + c.replyCopiesMissing : NaN;
}

function lostText(run: TargetRun): string {
  const c = run.load!.counts;
  const parts = [
    `${int(c.lost)} of ${int(c.scheduled)} messages lost`,
    `${int(c.unacked)} unacked`,
    `${int(c.repliesLost)} of ${int(c.repliesScheduled)} replies lost`,
  ];
  if (c.repliesUnacked) parts.push(`${int(c.repliesUnacked)} replies unacked`);
  return parts.join(', ');
}

// ---------- goals ----------

function p99Max(run: TargetRun): number {
  const l = run.load!.latency;
  return Math.max(l.sendAck.p99, l.sendBroadcaster.p99, l.replyListener.p99);
}

export function computeVerdicts(results: ResultsFile['scenarios']): Verdict[] {
  const verdicts: Verdict[] = [];
  const add = (scenario: ScenarioName, goal: string, target: string, measured: string, ok: boolean | undefined) =>
    verdicts.push({
      scenario,
      goal,
      target,
      measured,
      verdict: ok === undefined ? 'not measured' : ok ? 'met' : 'not met',
    });
  const live = (s: ScenarioResult | undefined) => (s?.runs ?? []).filter((r) => r.target.kind === 'livechat');
  const byId = (s: ScenarioResult | undefined, id: string) => s?.runs.find((r) => r.target.id === id);

  const seed = results.seed;
  for (const run of live(seed)) {
    if (!run.load) {
      add('seed', 'p99 far below 500 ms, 0 lost', run.target.id, run.error ?? 'no load result', undefined);
      continue;
    }
    const p = p99Max(run);
    add(
      'seed',
      'p99 (every path) far below 500 ms (here: under 100 ms)',
      run.target.id,
      `${ms(p)} ms (${((p / 500) * 100).toFixed(1)} % of 500 ms)`,
      p < 500 / 5,
    );
    add('seed', '0 lost', run.target.id, lostText(run), lostOf(run) === 0);
  }

  const single = results.single;
  const relay = byId(single, 'ws-relay');
  const capacity = results.capacity;
  const capRelay = byId(capacity, 'ws-relay')?.capacity?.sustainableRate;
  const capSio = byId(capacity, 'socketio')?.capacity?.sustainableRate;
  const singleTargets = live(single).length > 0 ? live(single) : [];
  for (const run of singleTargets) {
    const id = run.target.id;
    if (!run.load) {
      add('single', 'runs at the single load', id, run.error ?? 'no load result', false);
      continue;
    }
    const l = run.load.latency;
    add(
      'single',
      'p99 send→ack ≤ 30 ms',
      id,
      `${ms(l.sendAck.p99)} ms${l.sendAck.p99 > 30 ? ` (${times(l.sendAck.p99, 30)})` : ''}`,
      l.sendAck.p99 <= 30,
    );
    add(
      'single',
      'p99 send→broadcaster ≤ 30 ms',
      id,
      `${ms(l.sendBroadcaster.p99)} ms${l.sendBroadcaster.p99 > 30 ? ` (${times(l.sendBroadcaster.p99, 30)})` : ''}`,
      l.sendBroadcaster.p99 <= 30,
    );
    add('single', '0 lost', id, lostText(run), lostOf(run) === 0);
    const perConn = run.server?.rssPerIdleConnectionKiB;
    add(
      'single',
      '≤ 12 KiB RSS per idle connection',
      id,
      perConn === undefined ? 'not measured' : `${perConn.toFixed(1)} KiB`,
      perConn === undefined ? undefined : perConn <= 12,
    );
    if (relay?.load) {
      const r = relay.load.latency;
      const ratio = Math.max(l.sendAck.p99 / r.sendAck.p99, l.sendBroadcaster.p99 / r.sendBroadcaster.p99);
      add(
        'single',
        'p99 within 1.5× the bare relay at the same load',
        id,
        `${ratio.toFixed(ratio >= 10 ? 0 : 1)}× (ack ${ms(l.sendAck.p99)} vs ${ms(r.sendAck.p99)} ms, broadcaster ${ms(l.sendBroadcaster.p99)} vs ${ms(r.sendBroadcaster.p99)} ms)`,
        ratio <= 1.5,
      );
      // Performance round 2's goals, beside the first release's (1.5× above).
      add(
        'single',
        'p99 ≤ 2× the bare relay at the same load',
        id,
        `${ratio.toFixed(ratio >= 10 ? 0 : 1)}×`,
        ratio <= 2,
      );
      const cpu = run.server?.cpuMsPerThousandMessages;
      const relayCpu = relay.server?.cpuMsPerThousandMessages;
      if (cpu !== undefined && relayCpu !== undefined) {
        const cpuRatio = cpu / relayCpu;
        add(
          'single',
          'server CPU per message ≤ 2× the bare relay',
          id,
          `${cpuRatio.toFixed(1)}× (${ms(cpu)} vs ${ms(relayCpu)} ms per 1,000 messages)`,
          cpuRatio <= 2,
        );
      }
    } else {
      add('single', 'p99 within 1.5× the bare relay at the same load', id, 'bare relay not measured', undefined);
    }
  }
  for (const run of live(capacity)) {
    const id = run.target.id;
    const rate = run.capacity?.sustainableRate;
    const show = (n: number | undefined) => (n === undefined ? 'none' : `${int(n)} msg/s`);
    const relayCap = byId(capacity, 'ws-relay')?.capacity;
    const cpuRatio =
      relayCap?.cpuCeilingPerCore && run.capacity?.cpuCeilingPerCore
        ? run.capacity.cpuCeilingPerCore / relayCap.cpuCeilingPerCore
        : undefined;
    if (capRelay !== undefined) {
      const share = rate === undefined ? 0 : rate / capRelay;
      add(
        'capacity',
        'sustainable rate ≥ 50 % of the bare relay',
        id,
        `${show(rate)} = ${(share * 100).toFixed(0)} % of ${show(capRelay)}` +
          (cpuRatio === undefined ? '' : `; messages per CPU-second: ${(cpuRatio * 100).toFixed(0)} % of the relay's`),
        share >= 0.5,
      );
    } else add('capacity', 'sustainable rate ≥ 50 % of the bare relay', id, 'bare relay not measured', undefined);
    if (capSio !== undefined) {
      add(
        'capacity',
        'sustainable rate above the Socket.IO relay',
        id,
        `${show(rate)} vs ${show(capSio)}`,
        rate !== undefined && rate > capSio,
      );
    } else add('capacity', 'sustainable rate above the Socket.IO relay', id, 'Socket.IO relay not measured', undefined);
  }

  for (const run of live(results.cluster)) {
    const id = run.target.id;
    if (!run.load) {
      add('cluster', 'cross-instance p99 ≤ 50 ms, 0 lost', id, run.error ?? 'no load result', false);
      continue;
    }
    const l = run.load.latency;
    const cross = Math.max(l.sendBroadcasterCross.p99, l.replyListenerCross.p99);
    add(
      'cluster',
      'cross-instance p99 ≤ 50 ms',
      id,
      `${ms(cross)} ms (send→broadcaster ${ms(l.sendBroadcasterCross.p99)}, reply→listener ${ms(l.replyListenerCross.p99)})${cross > 50 ? `, ${times(cross, 50)}` : ''}` +
        `; how saturated: servers ${run.server?.cpuPercentLoad ?? '–'} % of a core and waited for a CPU ${run.server?.runQueueWaitPercent ?? '–'} % of the time, other processes (PostgreSQL, Redis) ${run.server?.otherCores?.toFixed(2) ?? '–'} cores, generator waited ${run.server?.generatorRunQueueWaitPercent ?? '–'} %`,
      l.sendBroadcasterCross.count > 0 && cross <= 50,
    );
    add('cluster', '0 lost', id, lostText(run), lostOf(run) === 0);
  }
  verdicts.push(...dashboardVerdicts(results.dashboard));
  verdicts.push(...floodVerdicts(results.flood));
  verdicts.push(...stormVerdicts(results.showstart));
  return verdicts;
}

// ---------- Markdown ----------

function provenanceLine(s: ScenarioResult): string {
  const p = s.provenance;
  const m = p.machine;
  return (
    `Measured ${p.date.slice(0, 16).replace('T', ' ')} UTC on commit \`${p.commit}\`${p.uncommittedChanges ? ' (with uncommitted changes)' : ''}; ` +
    `${m.cores} × ${m.cpu}, ${m.memoryGiB} GiB, ${m.os}, Node ${m.node}, temp on ${m.tmpFileSystem}; ` +
    `load average at start ${p.loadAverageAtStart.join(' / ')}. Command: \`${s.command}\`${s.quick ? ' (quick run: reduced size)' : ''}.`
  );
}

function loadTable(s: ScenarioResult): string[] {
  const cross = s.runs.some((r) => r.target.instances > 1);
  const head = [
    'target',
    'send→ack p50 / p95 / **p99** / max (ms)',
    'send→broadcaster',
    'reply→listener',
    ...(cross ? ['cross-instance send→broadcaster', 'cross-instance reply→listener'] : []),
    'lost / unacked',
    'errors',
    'sessions/s · connects/s',
    'server CPU (per 1k msgs) · waited for CPU',
    'RSS / idle conn',
    'generator CPU · waited · send lag p99',
    'other processes (cores)',
    'fsync p99 / max (ms)',
  ];
  const rows = [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`];
  for (const run of s.runs) {
    if (!run.load) {
      rows.push(
        `| ${run.target.label} | failed: ${(run.error ?? 'no result').split('\n')[0]} |${' |'.repeat(head.length - 2)}`,
      );
      continue;
    }
    const { latency: l, counts: c, generator: g } = run.load;
    const sv = run.server!;
    rows.push(
      '| ' +
        [
          run.target.label,
          quad(l.sendAck),
          quad(l.sendBroadcaster),
          quad(l.replyListener),
          ...(cross ? [quad(l.sendBroadcasterCross), quad(l.replyListenerCross)] : []),
          `${int(c.lost + c.repliesLost)} / ${int(c.unacked + c.repliesUnacked)}`,
          errorsCell(run.load.errors),
          `${int(run.setup!.sessionCreatePerSecond)} · ${int(run.setup!.connectPerSecond)}`,
          `${sv.cpuPercentLoad ?? '–'} % (${sv.cpuMsPerThousandMessages ?? '–'} ms) · ${sv.runQueueWaitPercent ?? '–'} %`,
          sv.rssPerIdleConnectionKiB === undefined ? '–' : `${sv.rssPerIdleConnectionKiB.toFixed(1)} KiB`,
          `${((g.cpuMs / g.wallMs) * 100).toFixed(0)} % · ${sv.generatorRunQueueWaitPercent ?? '–'} % · ${ms(l.sendLag.p99)} ms`,
          sv.otherCores === undefined ? '–' : sv.otherCores.toFixed(2),
          sv.fsyncProbe ? `${ms(sv.fsyncProbe.p99)} / ${ms(sv.fsyncProbe.max)}` : '–',
        ].join(' | ') +
        ' |',
    );
  }
  return rows;
}

function capacityTable(s: ScenarioResult): string[] {
  const rows = [
    '| target | sustainable rate (msg/s) | first failing rate | stopped because | server CPU per message · one core would carry | steps: rate → worst p99 (ms), ✓ pass / ✗ fail |',
    '|---|---|---|---|---|---|',
  ];
  for (const run of s.runs) {
    const c = run.capacity;
    if (!c) {
      rows.push(`| ${run.target.label} | failed: ${(run.error ?? 'no result').split('\n')[0]} | | | | |`);
      continue;
    }
    const ceiling = c.cpuMsPerMessage ? `${c.cpuMsPerMessage.toFixed(3)} ms · ${int(c.cpuCeilingPerCore)} msg/s` : '–';
    const steps = c.steps
      .map(
        (st) =>
          `${int(st.rate)}${st.retry ? ' (again)' : ''} → ${ms(Math.max(st.p99.sendAck, st.p99.sendBroadcaster, st.p99.replyListener))} ${st.pass ? '✓' : '✗'}`,
      )
      .join(' · ');
    rows.push(
      `| ${run.target.label} | **${c.sustainableRate === undefined ? 'none' : int(c.sustainableRate)}** | ${c.firstFailingRate === undefined ? '–' : int(c.firstFailingRate)} | ${c.stoppedBecause} | ${ceiling} | ${steps} |`,
    );
  }
  rows.push(
    '',
    'Server and generator CPU at the sustainable rate and at the first failing rate (last attempt of each):',
    '',
  );
  rows.push(
    '| target | rate | server CPU · waited for CPU | generator CPU · waited for CPU | other processes (cores) | fsync p99 / max (ms) | why it failed |',
    '|---|---|---|---|---|---|---|',
  );
  for (const run of s.runs) {
    const c = run.capacity;
    if (!c) continue;
    const pass = c.steps.filter((st) => st.pass && st.rate === c.sustainableRate).at(-1);
    const fail = c.steps.filter((st) => !st.pass && st.rate === c.firstFailingRate).at(-1);
    for (const st of [pass, fail]) {
      if (st) {
        rows.push(
          `| ${run.target.label} | ${int(st.rate)} | ${st.serverCpuPercent} % · ${st.serverRunQueueWaitPercent} % | ` +
            `${st.generatorCpuPercent} % · ${st.generatorRunQueueWaitPercent} % | ${st.otherCores.toFixed(2)} | ` +
            `${st.fsyncP99 === undefined ? '–' : `${ms(st.fsyncP99)} / ${ms(st.fsyncMax)}`} | ${st.pass ? '–' : st.reason} |`,
        );
      }
    }
  }
  return rows;
}

function idleTable(s: ScenarioResult): string[] {
  const rows = [
    '| target | idle connections | server RSS before → after (MiB) | **RSS per idle connection** | connects/s | connect p99 (ms) |',
    '|---|---|---|---|---|---|',
  ];
  for (const run of s.runs) {
    if (!run.server || !run.setup) {
      rows.push(`| ${run.target.label} | failed: ${(run.error ?? 'no result').split('\n')[0]} | | | | |`);
      continue;
    }
    rows.push(
      `| ${run.target.label} | ${int(run.setup.connected)} | ${int(run.server.rssBaseKiB / 1024)} → ${int((run.server.rssConnectedKiB ?? NaN) / 1024)} | **${run.server.rssPerIdleConnectionKiB?.toFixed(1) ?? '–'} KiB** | ${int(run.setup.connectPerSecond)} | ${ms(run.setup.connectLatency.p99)} |`,
    );
  }
  return rows;
}

export function renderScenario(s: ScenarioResult): string {
  const lines = [`### ${s.title}`, '', `${s.description}.`, '', provenanceLine(s), ''];
  if (s.scenario === 'capacity') lines.push(...capacityTable(s));
  else if (s.scenario === 'idle') lines.push(...idleTable(s));
  else if (s.scenario === 'dashboard') lines.push(...dashboardTable(s));
  else if (s.scenario === 'flood') lines.push(...floodTable(s));
  else lines.push(...loadTable(s));
  if (s.scenario === 'show') lines.push(...showTable(s));
  if (s.scenario === 'showstart') lines.push(...stormTable(s));
  const settings = s.runs.find((r) => r.target.kind === 'livechat')?.target.settings;
  const notes = [...s.plan.notes];
  if (settings && Object.keys(settings).length > 0) {
    notes.push(
      `Live-chat settings: ${Object.entries(settings)
        .map(([k, v]) => `${k}=${v}`)
        .join(', ')}.`,
    );
  }
  if (notes.length) lines.push('', ...notes.map((n) => `- ${n}`));
  return lines.join('\n');
}

export function renderVerdicts(verdicts: Verdict[]): string {
  if (verdicts.length === 0) return '_No goal could be checked with these results._';
  const mark = { met: '✅ met', 'not met': '❌ not met', 'not measured': '– not measured' };
  return [
    '| scenario | goal | target | measured | verdict |',
    '|---|---|---|---|---|',
    ...verdicts.map((v) => `| ${v.scenario} | ${v.goal} | ${v.target} | ${v.measured} | ${mark[v.verdict]} |`),
  ].join('\n');
}

export function renderResults(file: ResultsFile, heading: string): string {
  const parts = [
    `# ${heading}`,
    '',
    'Latencies are measured from the time each send was *scheduled* (open loop, no coordinated omission), in milliseconds: ' +
      'p50 / p95 / **p99** / max. "lost" counts messages that did not reach every broadcaster (and replies that did not reach their listener); ' +
      '"unacked" counts messages never acknowledged. Server CPU is the CPU time of the server process(es) over the load phase, as a share of one core. ' +
      'See bench/README.md for how to run and read these figures.',
    '',
    '## Goals',
    '',
    renderVerdicts(file.verdicts),
  ];
  for (const name of SCENARIOS) {
    const s = file.scenarios[name];
    if (s) parts.push('', `## ${name}`, '', renderScenario(s));
  }
  return parts.join('\n') + '\n';
}

/** Renders latest.md (and the README's copy) again from latest.json, e.g. after the report format changed. */
export function rerenderLatest(outDir: string): string {
  const latestJson = join(outDir, 'latest.json');
  const latest = JSON.parse(readFileSync(latestJson, 'utf8')) as ResultsFile;
  latest.verdicts = computeVerdicts(latest.scenarios);
  writeFileSync(latestJson, JSON.stringify(latest, null, 1) + '\n');
  const latestMd = join(outDir, 'latest.md');
  writeFileSync(latestMd, renderResults(latest, 'Live chat benchmark: latest results'));
  updateReadme(join(outDir, '..', 'README.md'), latest);
  return latestMd;
}

/** Writes this invocation's files and, when asked, merges its scenarios into latest.{json,md}. */
export function saveResults(
  outDir: string,
  stamp: string,
  scenarios: ScenarioResult[],
  updateLatest: boolean,
): { runJson: string; runMd: string; latestMd?: string } {
  const runsDir = join(outDir, 'runs');
  mkdirSync(runsDir, { recursive: true });
  const own: ResultsFile = { version: 1, scenarios: {}, verdicts: [] };
  for (const s of scenarios) own.scenarios[s.scenario] = s;
  own.verdicts = computeVerdicts(own.scenarios);
  const runJson = join(runsDir, `${stamp}.json`);
  const runMd = join(runsDir, `${stamp}.md`);
  writeFileSync(runJson, JSON.stringify(own, null, 1) + '\n');
  writeFileSync(runMd, renderResults(own, `Benchmark run ${stamp}`));
  if (!updateLatest) return { runJson, runMd };

  const latestJson = join(outDir, 'latest.json');
  let latest: ResultsFile = { version: 1, scenarios: {}, verdicts: [] };
  if (existsSync(latestJson)) {
    try {
      latest = JSON.parse(readFileSync(latestJson, 'utf8')) as ResultsFile;
    } catch {
      // unreadable: start over
    }
  }
  for (const s of scenarios) latest.scenarios[s.scenario] = s;
  latest.verdicts = computeVerdicts(latest.scenarios);
  writeFileSync(latestJson, JSON.stringify(latest, null, 1) + '\n');
  const latestMd = join(outDir, 'latest.md');
  writeFileSync(latestMd, renderResults(latest, 'Live chat benchmark: latest results'));
  updateReadme(join(outDir, '..', 'README.md'), latest);
  return { runJson, runMd, latestMd };
}

const START = '<!-- latest-results:start -->';
const END = '<!-- latest-results:end -->';

/** Replaces the part of bench/README.md between the result markers with the latest tables. */
function updateReadme(file: string, latest: ResultsFile): void {
  if (!existsSync(file)) return;
  const text = readFileSync(file, 'utf8');
  const start = text.indexOf(START);
  const end = text.indexOf(END);
  if (start < 0 || end < start) return;
  const body = renderResults(latest, 'Latest results')
    .replace(/^# Latest results\n\n/, '')
    .replace(/^### /gm, '#### ')
    .replace(/^## /gm, '### ');
  writeFileSync(file, `${text.slice(0, start + START.length)}\n\n${body}\n${text.slice(end)}`);
}
