/**
 * The `dashboard` scenario: can a broadcaster read what the server takes?
 * One live-chat instance; the load generator creates the conversations
 * (one listener session each, every one with one message), then the
 * dashboard is opened in Chromium and logged in, and the listeners write at
 * the planned rate while the page's main thread is measured and
 * conversations are opened with clicks.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { GeneratorProcess } from '../controller.js';
import { cpuMs, machineBusyMs, REPO_ROOT, sleep } from '../proc.js';
import { generatorSetup, type TargetRun } from '../runner.js';
import { startTarget, type RunningTarget, type TargetOptions, type TargetSpec } from '../targets.js';
import { busyBetween, DashboardPage, FROZEN_TIMEOUT_MS, type BusyFigures, type LongTaskFigures } from './page.js';
import type { OpenResult } from './probe.js';

export interface DashboardPlan {
  conversations: number;
  /** Listener messages per second while the page is measured. */
  rate: number;
  /** Listener messages per second while every conversation gets its first message. */
  seedRate: number;
  warmupMs: number;
  durationMs: number;
  drainMs: number;
  /** Conversations opened during the measured window, evenly spaced. */
  opens: number;
  textLength: number;
}

/** The targets of issue 18 (point 3). */
export const DASHBOARD_GOALS = { maxTaskMs: 100, maxBusyPercent: 25, maxOpenMs: 150 };

export const BUSY_MEASURE =
  'CDP Performance.getMetrics: TaskDuration delta (wall time of the renderer main thread’s tasks) / Timestamp delta';

export interface DashboardFigures {
  conversations: number;
  /** From the login click until the socket was open and the first conversation row was shown. */
  listShownMs?: number;
  busy?: BusyFigures;
  longTasks?: LongTaskFigures;
  /** Questions the page did not answer in time (a frozen page). */
  unanswered: string[];
  opens: { attempted: number; samples: OpenResult[]; failures: string[]; medianMs?: number; maxMs?: number };
  /** Listener messages of the measured phase the page's WebSocket received (distinct). */
  framesSeen: number;
  /** Rows showing a message of the measured phase as their last message at the end. */
  previewsShown: number;
  pageErrors: string[];
  busyMeasure: string;
  /** CPU used during the window, in cores: by the server, and by the whole machine (server, generator, Chromium, neighbours). */
  serverCores?: number;
  machineCores?: number;
}

export interface DashboardRunPlan extends TargetOptions {
  dashboard: DashboardPlan;
  sourceAddresses: number;
  log: (line: string) => void;
}

const SEED_PHASE = 1;
const LOAD_PHASE = 2;

/** The dashboard is measured as built from the current sources (as `npm run build` does), once per process. */
let built: Promise<unknown> | undefined;
function buildWebAssets(): Promise<unknown> {
  built ??= promisify(execFile)(
    process.execPath,
    [join(REPO_ROOT, 'node_modules/vite/bin/vite.js'), 'build', '--config', 'web/vite.config.ts', '--logLevel', 'warn'],
    { cwd: REPO_ROOT },
  ).catch((error: Error) => {
    built = undefined;
    throw new Error(`building the web assets failed: ${error.message}`);
  });
  return built;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export async function runDashboard(spec: TargetSpec, plan: DashboardRunPlan): Promise<TargetRun> {
  const d = plan.dashboard;
  const figures: DashboardFigures = {
    conversations: d.conversations,
    opens: { attempted: 0, samples: [], failures: [] },
    framesSeen: 0,
    previewsShown: 0,
    pageErrors: [],
    unanswered: [],
    busyMeasure: BUSY_MEASURE,
  };
  const run: TargetRun = {
    target: { id: spec.id, label: spec.label, kind: spec.kind, instances: spec.instances, settings: {} },
    dashboard: figures,
  };
  const log = (line: string) => plan.log(`[${spec.id}] ${line}`);
  let target: RunningTarget | undefined;
  let generator: GeneratorProcess | undefined;
  let page: DashboardPage | undefined;
  try {
    if (spec.kind !== 'livechat') throw new Error('the dashboard scenario needs a live-chat target');
    log('building the web assets and starting');
    await buildWebAssets();
    target = await startTarget(spec, { ...plan, allowOwnOrigin: true });
    run.target.settings = target.settings;
    generator = GeneratorProcess.start(join(plan.workDir, `generator-${spec.id}.log`));
    const budget = 120_000 + d.conversations * 30;
    const clients = { listeners: d.conversations, broadcasters: 1, connectConcurrency: 200, sessionConcurrency: 32 };
    const prepared = await generator.prepare(
      generatorSetup(target, { ...clients, sourceAddresses: plan.sourceAddresses }),
      budget,
    );
    const setup = await generator.connect(budget);
    run.setup = { ...setup, prepareMs: prepared.elapsedMs };
    log(`${setup.connected} listeners connected; sending the first message of every conversation`);
    const seed = await generator.load({
      phase: SEED_PHASE,
      rate: d.seedRate,
      replyRate: 0,
      durationMs: Math.ceil((d.conversations * 1000) / d.seedRate),
      warmupMs: 0,
      drainMs: 30_000,
      textLength: d.textLength,
    });
    if (seed.counts.acked < d.conversations || seed.counts.lost > 0)
      throw new Error(`seeding: ${seed.counts.acked} of ${seed.counts.scheduled} first messages acked`);

    page = await DashboardPage.open(`${target.urls[0]}/dashboard`, LOAD_PHASE);
    figures.listShownMs = await page.login(target.admin.username, target.admin.password, 120_000);
    log(`dashboard logged in, first row after ${figures.listShownMs} ms; load: ${d.rate} msg/s`);

    // Busy share from here: the page answers now, it may not once the load runs.
    const from = await page.mark();
    const loading = generator.load({
      phase: LOAD_PHASE,
      rate: d.rate,
      replyRate: 0,
      durationMs: d.durationMs,
      warmupMs: d.warmupMs,
      drainMs: d.drainMs,
      textLength: d.textLength,
    });
    loading.catch(() => undefined); // awaited below; a page that stops answering leaves it behind
    await sleep(d.warmupMs);
    const started = performance.now();
    const span = { startMs: Date.now(), endMs: NaN };
    const cpu0 = { server: cpuMs(target.pids[0]!), machine: machineBusyMs() };
    const opened = new Set<string>();
    for (let i = 1; i <= d.opens; i++) {
      const due = started + (i * d.durationMs) / (d.opens + 1);
      if (performance.now() > started + d.durationMs) break;
      await sleep(Math.max(0, due - performance.now()));
      figures.opens.attempted++;
      try {
        figures.opens.samples.push(await page.openConversation(SEED_PHASE, opened));
      } catch (error) {
        figures.opens.failures.push((error as Error).message.split('\n')[0]!);
      }
    }
    await sleep(Math.max(0, started + d.durationMs - performance.now()));
    const wall = performance.now() - started;
    span.endMs = Date.now();
    figures.serverCores = Math.round(((cpuMs(target.pids[0]!) - cpu0.server) / wall) * 100) / 100;
    figures.machineCores = Math.round(((machineBusyMs() - cpu0.machine) / wall) * 100) / 100;
    const unanswered = (error: Error) => void figures.unanswered.push(error.message.split('\n')[0]!);
    const to = await page.mark(FROZEN_TIMEOUT_MS).catch(unanswered);
    if (to) figures.busy = busyBetween(from, to);
    run.load = await loading;
    figures.framesSeen = page.framesSeen.size;
    figures.longTasks = (await page.longTasks(span).catch(unanswered)) ?? undefined;
    figures.previewsShown = (await page.previewsOf(LOAD_PHASE).catch(unanswered)) ?? 0;
    const times = figures.opens.samples.map((s) => s.ms);
    if (times.length) {
      figures.opens.medianMs = Math.round(median(times) * 10) / 10;
      figures.opens.maxMs = Math.max(...times);
    }
    const t = figures.longTasks;
    log(
      `long tasks ${t ? `${t.count} (max ${t.maxMs} ms, ${t.totalMs} ms in ${t.windowMs} ms)` : '–'}, busy ${figures.busy?.percent ?? '–'} % over ${figures.busy?.wallMs ?? '–'} ms; ` +
        `opens ${times.length}/${figures.opens.attempted} (median ${figures.opens.medianMs ?? '–'} ms, max ${figures.opens.maxMs ?? '–'} ms); ` +
        `page received ${figures.framesSeen} of ${run.load.counts.sent} messages; CPU: server ${figures.serverCores}, machine ${figures.machineCores} cores` +
        (figures.unanswered.length ? `; unanswered: ${figures.unanswered.join('; ')}` : ''),
    );
  } catch (error) {
    run.error = (error as Error).message;
    log(`failed: ${run.error}`);
  } finally {
    if (page) figures.pageErrors = page.errors.slice(0, 20);
    await page?.close();
    await generator?.close();
    await target?.stop();
  }
  return run;
}
