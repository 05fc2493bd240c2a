/**
 * One target under one plan: start the target's processes and a generator
 * process, create sessions, connect every listener (measuring memory per idle
 * connection), then run the load phase or the capacity search, sampling the
 * server's CPU time around each phase. Everything is stopped and cleaned up
 * whatever happens.
 */
import { join } from 'node:path';
import { GeneratorProcess } from './controller.js';
import type { DashboardFigures } from './dashboard/run.js';
import { FsyncProbe } from './fsync-probe.js';
import { runFloodPhases, type FloodFigures, type FloodPlan } from './flood.js';
import { cpuMs, machineBusyMs, rssKiB, runQueueWaitMs, settledRssKiB, sleep } from './proc.js';
import { startTarget, type RunningTarget, type TargetOptions, type TargetSpec } from './targets.js';
import type { GeneratorSetup, LatencySummary, LoadParams, LoadResult, SetupResult } from './types.js';

export interface CapacityPlan {
  startRate: number;
  factor: number;
  maxRate: number;
  maxSteps: number;
  /** Refinement steps between the last passing and the first failing rate. */
  bisect: number;
  stepMs: number;
  warmupMs: number;
  drainMs: number;
  /** A step passes when every p99 is at most this, nothing is lost or unacked and there is no error. */
  thresholdMs: number;
  /**
   * A step that fails on latency alone is run again this many times before it
   * counts as failed (a shared machine's stalls can fail one short step).
   */
  retries: number;
  /**
   * Further runs allowed when the failed run was noisy (the server or the
   * generator waited for a CPU more than 10 % of the time, or other processes
   * used more than half a core).
   */
  noisyRetries: number;
  /** Replies per listener message. */
  replyRatio: number;
  textLength: number;
}

export interface RunPlan extends TargetOptions {
  listeners: number;
  broadcasters: number;
  sourceAddresses: number;
  connectConcurrency: number;
  sessionConcurrency: number;
  /** Pause after the last listener connected, before memory is sampled (default 2000 ms). */
  settleMs?: number;
  load?: Omit<LoadParams, 'phase'> | undefined;
  capacity?: CapacityPlan | undefined;
  /** With `load`: measure it quiet and beside each flooding listener instead of once. */
  flood?: FloodPlan | undefined;
  /** Print progress lines here. */
  log: (line: string) => void;
}

export interface ServerFigures {
  /** Server RSS (all instances) after sessions exist, before listeners connect. */
  rssBaseKiB: number;
  /** With every listener connected and idle; not measured when the listeners arrive during the load (`showstart`). */
  rssConnectedKiB?: number;
  rssPerIdleConnectionKiB?: number;
  rssPerInstanceKiB: number[];
  cpuMsLoad?: number;
  cpuPercentLoad?: number;
  cpuMsPerThousandMessages?: number;
  rssAfterLoadKiB?: number;
  /** Share of the load phase the server's main thread(s) waited for a CPU (noise from other processes). */
  runQueueWaitPercent?: number;
  /** The same for the generator's main thread. */
  generatorRunQueueWaitPercent?: number;
  /**
   * CPU used on the machine during the load phase by everything except the
   * target and the generator (other work, and Redis/PostgreSQL when used), in cores.
   */
  otherCores?: number;
  /** fsync latency of the scratch file system during the load phase (see fsync-probe.ts). */
  fsyncProbe?: LatencySummary;
}

export interface CapacityStep {
  rate: number;
  replyRate: number;
  pass: boolean;
  reason: string;
  p99: { sendAck: number; sendBroadcaster: number; replyListener: number };
  lost: number;
  unacked: number;
  errors: number;
  achievedRate: number;
  serverCpuPercent: number;
  generatorCpuPercent: number;
  serverRunQueueWaitPercent: number;
  generatorRunQueueWaitPercent: number;
  otherCores: number;
  /** Server CPU time per message (listener messages + replies) over the step, in ms. */
  cpuMsPerMessage: number;
  /** p99 / max of a 4 KiB write + fsync every 100 ms during the step (ms). */
  fsyncP99: number;
  fsyncMax: number;
  /** Set on a step run again after a failure on latency alone. */
  retry?: boolean;
}

/** Whether the machine interfered with a step (see CapacityPlan.noisyRetries). */
export function noisy(step: CapacityStep): boolean {
  return step.serverRunQueueWaitPercent > 10 || step.generatorRunQueueWaitPercent > 10 || step.otherCores > 0.5;
}

export interface CapacityResult {
  plan: CapacityPlan;
  steps: CapacityStep[];
  /** Highest rate that passed (undefined when none did). */
  sustainableRate: number | undefined;
  firstFailingRate: number | undefined;
  stoppedBecause: string;
  /** Median server CPU per message over all steps (ms), and the message rate one full core would carry at that cost. */
  cpuMsPerMessage: number;
  cpuCeilingPerCore: number;
}

export interface TargetRun {
  target: { id: string; label: string; kind: string; instances: number; settings: Record<string, string> };
  setup?: SetupResult & { prepareMs: number };
  server?: ServerFigures;
  load?: LoadResult;
  capacity?: CapacityResult;
  flood?: FloodFigures;
  dashboard?: DashboardFigures;
  error?: string;
}

/** What the generator needs to reach a running target with the plan's clients. */
export function generatorSetup(
  target: RunningTarget,
  plan: Pick<RunPlan, 'listeners' | 'broadcasters' | 'sourceAddresses' | 'connectConcurrency' | 'sessionConcurrency'>,
): GeneratorSetup {
  return {
    wire: target.wire,
    instances: target.urls,
    listeners: plan.listeners,
    broadcasters: plan.broadcasters,
    admin: target.admin,
    sourceAddresses: Array.from({ length: plan.sourceAddresses }, (_, i) => `127.0.0.${i + 1}`),
    connectConcurrency: plan.connectConcurrency,
    sessionConcurrency: plan.sessionConcurrency,
  };
}

const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);
const errorCount = (result: LoadResult) => sum(Object.values(result.errors));

export async function runTarget(spec: TargetSpec, plan: RunPlan): Promise<TargetRun> {
  const run: TargetRun = {
    target: { id: spec.id, label: spec.label, kind: spec.kind, instances: spec.instances, settings: {} },
  };
  const log = (line: string) => plan.log(`[${spec.id}] ${line}`);
  let target: RunningTarget | undefined;
  let generator: GeneratorProcess | undefined;
  try {
    log('starting');
    target = await startTarget(spec, plan);
    run.target.settings = target.settings;
    const pids = target.pids;
    generator = GeneratorProcess.start(join(plan.workDir, `generator-${spec.id}.log`));
    const setupBudget = 120_000 + plan.listeners * 30;
    const storm = plan.load?.storm !== undefined;
    const prepared = await generator.prepare({ ...generatorSetup(target, plan), deferListeners: storm }, setupBudget);
    log(`${prepared.sessionsCreated} sessions in ${prepared.elapsedMs} ms (${prepared.sessionCreatePerSecond}/s)`);
    const rssBase = await Promise.all(pids.map(settledRssKiB));
    if (storm) {
      // The listeners arrive during the load: nothing to connect or to measure idle.
      run.server = { rssBaseKiB: sum(rssBase), rssPerInstanceKiB: rssBase };
    } else {
      const setup = await generator.connect(setupBudget);
      log(`${setup.connected} listeners connected (${setup.connectPerSecond}/s, p99 ${setup.connectLatency.p99} ms)`);
      await sleep(plan.settleMs ?? 2000);
      const rssConnected = await Promise.all(pids.map(settledRssKiB));
      run.setup = { ...setup, prepareMs: prepared.elapsedMs };
      run.server = {
        rssBaseKiB: sum(rssBase),
        rssConnectedKiB: sum(rssConnected),
        rssPerIdleConnectionKiB: Math.round(((sum(rssConnected) - sum(rssBase)) / plan.listeners) * 100) / 100,
        rssPerInstanceKiB: rssConnected,
      };
      log(
        `RSS ${Math.round(sum(rssBase) / 1024)} → ${Math.round(sum(rssConnected) / 1024)} MiB: ${run.server.rssPerIdleConnectionKiB} KiB per idle connection`,
      );
    }

    const genPid = generator.pid;
    if (plan.load && plan.flood) {
      run.flood = await runFloodPhases({
        generator,
        baseUrl: target.urls[0]!,
        plan: plan.flood,
        load: plan.load,
        serverCpuMs: () => sum(pids.map(cpuMs)),
        logFile: (kind) => join(plan.workDir, `flooder-${spec.id}-${kind}.log`),
        log,
      });
    } else if (plan.load) {
      const cpu0 = sum(pids.map(cpuMs));
      const wait0 = sum(pids.map(runQueueWaitMs));
      const genWait0 = runQueueWaitMs(genPid);
      const genCpu0 = cpuMs(genPid);
      const busy0 = machineBusyMs();
      const probe = new FsyncProbe(plan.workDir);
      const wall0 = performance.now();
      log(
        `load: ${plan.load.rate} msg/s + ${plan.load.replyRate} replies/s for ${plan.load.durationMs / 1000} s (+${plan.load.warmupMs / 1000} s warm-up)`,
      );
      const result = await generator
        .load({ ...plan.load, phase: 1 })
        .finally(() => (run.server!.fsyncProbe = probe.stop()));
      const cpu = sum(pids.map(cpuMs)) - cpu0;
      const wall = performance.now() - wall0;
      run.server.runQueueWaitPercent =
        Math.round(((sum(pids.map(runQueueWaitMs)) - wait0) / wall / pids.length) * 1000) / 10;
      run.server.generatorRunQueueWaitPercent = Math.round(((runQueueWaitMs(genPid) - genWait0) / wall) * 1000) / 10;
      run.server.otherCores =
        Math.round(((machineBusyMs() - busy0 - cpu - (cpuMs(genPid) - genCpu0)) / wall) * 100) / 100;
      run.load = result;
      if (result.storm) {
        const { storm: st } = result;
        const perSecond = Math.round((st.arrived / Math.max(1, st.lastArrivedAtMs)) * 1000);
        run.setup = {
          listeners: plan.listeners,
          broadcasters: plan.broadcasters,
          sessionsCreated: st.arrived,
          sessionCreatePerSecond: perSecond,
          connected: st.arrived,
          connectPerSecond: perSecond,
          connectLatency: st.arrival,
          retries: {},
          elapsedMs: st.lastArrivedAtMs,
          prepareMs: prepared.elapsedMs,
        };
        log(
          `storm: ${st.arrived} of ${st.listeners} listeners arrived (${st.failed} failed), the last ${st.lastArrivedAtMs} ms in; ` +
            `arrival p50 ${st.arrival.p50} ms, p99 ${st.arrival.p99} ms; ${st.messagesBeforeLastArrival} messages sent before the last arrival`,
        );
      }
      run.server.cpuMsLoad = Math.round(cpu);
      run.server.cpuPercentLoad = Math.round((cpu / wall) * 1000) / 10;
      run.server.cpuMsPerThousandMessages =
        Math.round((cpu / Math.max(1, (result.counts.sent + result.counts.repliesSent) / 1000)) * 100) / 100;
      // Plain RSS right after the load (no forced GC): what the processes hold while busy.
      run.server.rssAfterLoadKiB = sum(pids.map(rssKiB));
      log(
        `p99 ack ${result.latency.sendAck.p99} ms, broadcaster ${result.latency.sendBroadcaster.p99} ms, reply ${result.latency.replyListener.p99} ms; ` +
          `lost ${result.counts.lost}, unacked ${result.counts.unacked}, errors ${errorCount(result)}; ` +
          `server CPU ${run.server.cpuPercentLoad} %, waited ${run.server.runQueueWaitPercent} %; generator waited ${run.server.generatorRunQueueWaitPercent} %; other processes ${run.server.otherCores} cores; fsync p99 ${run.server.fsyncProbe?.p99} ms`,
      );
    }
    if (plan.capacity) run.capacity = await searchCapacity(generator, pids, genPid, plan, log);
  } catch (error) {
    run.error = (error as Error).message;
    log(`failed: ${run.error}`);
  } finally {
    await generator?.close();
    await target?.stop();
  }
  return run;
}

function judge(result: LoadResult, thresholdMs: number): { pass: boolean; reason: string } {
  const { latency, counts } = result;
  const problems: string[] = [];
  const paths: [string, number][] = [
    ['send→ack', latency.sendAck.p99],
    ['send→broadcaster', latency.sendBroadcaster.p99],
    ['reply→listener', latency.replyListener.p99],
  ];
  for (const [name, p99] of paths) if (p99 > thresholdMs) problems.push(`p99 ${name} ${p99} ms > ${thresholdMs} ms`);
  if (counts.lost > 0) problems.push(`${counts.lost} lost`);
  if (counts.unacked > 0) problems.push(`${counts.unacked} unacked`);
  if (counts.repliesLost > 0) problems.push(`${counts.repliesLost} replies lost`);
  const errors = errorCount(result);
  if (errors > 0) problems.push(`errors ${JSON.stringify(result.errors)}`);
  return { pass: problems.length === 0, reason: problems.join('; ') || 'ok' };
}

async function searchCapacity(
  generator: GeneratorProcess,
  pids: number[],
  genPid: number,
  runPlan: RunPlan,
  log: (line: string) => void,
): Promise<CapacityResult> {
  const plan = runPlan.capacity!;
  const steps: CapacityStep[] = [];
  let phase = 100;
  let lastPass: number | undefined;
  let firstFail: number | undefined;
  let stoppedBecause = '';

  const runStep = async (
    rate: number,
    retry: boolean,
  ): Promise<{ step: CapacityStep; broken: boolean; latencyOnly: boolean }> => {
    const replyRate = Math.max(1, Math.round(rate * plan.replyRatio));
    const cpu0 = sum(pids.map(cpuMs));
    const wait0 = sum(pids.map(runQueueWaitMs));
    const genWait0 = runQueueWaitMs(genPid);
    const genCpu0 = cpuMs(genPid);
    const busy0 = machineBusyMs();
    const probe = new FsyncProbe(runPlan.workDir);
    let fsync: LatencySummary | undefined;
    const wall0 = performance.now();
    const result = await generator
      .load({
        phase: phase++,
        rate,
        replyRate,
        durationMs: plan.stepMs,
        warmupMs: plan.warmupMs,
        drainMs: plan.drainMs,
        textLength: plan.textLength,
      })
      .finally(() => (fsync = probe.stop()));
    const wall = performance.now() - wall0;
    const serverCpu = sum(pids.map(cpuMs)) - cpu0;
    const otherCores =
      Math.round(((machineBusyMs() - busy0 - serverCpu - (cpuMs(genPid) - genCpu0)) / wall) * 100) / 100;
    const verdict = judge(result, plan.thresholdMs);
    const s: CapacityStep = {
      rate,
      replyRate,
      pass: verdict.pass,
      reason: verdict.reason,
      p99: {
        sendAck: result.latency.sendAck.p99,
        sendBroadcaster: result.latency.sendBroadcaster.p99,
        replyListener: result.latency.replyListener.p99,
      },
      lost: result.counts.lost,
      unacked: result.counts.unacked,
      errors: errorCount(result),
      achievedRate: result.achievedRate,
      serverCpuPercent: Math.round((serverCpu / wall) * 1000) / 10,
      generatorCpuPercent: Math.round((result.generator.cpuMs / result.generator.wallMs) * 1000) / 10,
      serverRunQueueWaitPercent: Math.round(((sum(pids.map(runQueueWaitMs)) - wait0) / wall / pids.length) * 1000) / 10,
      generatorRunQueueWaitPercent: Math.round(((runQueueWaitMs(genPid) - genWait0) / wall) * 1000) / 10,
      otherCores,
      cpuMsPerMessage:
        Math.round((serverCpu / Math.max(1, result.counts.sent + result.counts.repliesSent)) * 1000) / 1000,
      fsyncP99: fsync?.p99 ?? 0,
      fsyncMax: fsync?.max ?? 0,
      ...(retry ? { retry: true } : {}),
    };
    steps.push(s);
    log(
      `capacity ${rate} msg/s${retry ? ' (again)' : ''}: ${s.pass ? 'pass' : 'FAIL'} (${s.reason}); ` +
        `CPU server ${s.serverCpuPercent} % generator ${s.generatorCpuPercent} %; waited for a CPU: server ${s.serverRunQueueWaitPercent} % generator ${s.generatorRunQueueWaitPercent} %; other processes ${s.otherCores} cores; fsync p99 ${s.fsyncP99} ms`,
    );
    const broken = Object.keys(result.errors).some(
      (k) => k.startsWith('close:') || k.startsWith('disconnect:') || k.endsWith('send-failed'),
    );
    const latencyOnly = !s.pass && s.lost === 0 && s.unacked === 0 && s.errors === 0 && result.counts.repliesLost === 0;
    return { step: s, broken, latencyOnly };
  };

  /** One rate: run again (after the backlog cleared) when it failed on latency alone. */
  const step = async (rate: number): Promise<{ step: CapacityStep; broken: boolean }> => {
    let attempt = await runStep(rate, false);
    for (let i = 0; !attempt.step.pass && attempt.latencyOnly && !attempt.broken; i++) {
      const allowed = plan.retries + (noisy(attempt.step) ? plan.noisyRetries : 0);
      if (i >= allowed) break;
      if (!(await settle())) break;
      attempt = await runStep(rate, true);
    }
    return attempt;
  };

  /** After a failing step the server may still hold a backlog: wait for it before measuring again. */
  const settle = async (): Promise<boolean> => {
    const outstanding = await generator.quiesce(60_000);
    if (outstanding > 0) {
      stoppedBecause = `the server was still ${outstanding} deliveries behind 60 s after a failing step`;
      return false;
    }
    await sleep(1000);
    return true;
  };

  let rate = plan.startRate;
  for (let i = 0; i < plan.maxSteps; i++) {
    const { step: s, broken } = await step(rate);
    if (s.pass) {
      lastPass = rate;
      const next = Math.round(rate * plan.factor);
      if (next > plan.maxRate) {
        stoppedBecause = `reached the plan's highest rate (${plan.maxRate} msg/s)`;
        break;
      }
      if (firstFail !== undefined) break;
      rate = next;
      continue;
    }
    firstFail = firstFail === undefined ? rate : Math.min(firstFail, rate);
    if (broken) {
      stoppedBecause = 'connections were closed during a failing step';
      break;
    }
    if (lastPass !== undefined) break;
    // The first rate already failed: go down until one passes.
    if (!(await settle())) break;
    rate = Math.round(rate / plan.factor);
    if (rate < 10) {
      stoppedBecause = 'no rate down to 10 msg/s passed';
      break;
    }
  }
  for (let i = 0; i < plan.bisect && lastPass !== undefined && firstFail !== undefined && !stoppedBecause; i++) {
    const mid = Math.round(Math.sqrt(lastPass * firstFail));
    if (mid <= lastPass || mid >= firstFail) break;
    if (!(await settle())) break;
    const { step: s, broken } = await step(mid);
    if (s.pass) lastPass = mid;
    else firstFail = mid;
    if (broken) {
      stoppedBecause = 'connections were closed during a failing step';
      break;
    }
  }
  if (!stoppedBecause) {
    stoppedBecause =
      firstFail !== undefined
        ? `p99 passed ${plan.thresholdMs} ms (or loss/errors) at ${firstFail} msg/s`
        : 'step limit reached';
  }
  const costs = steps
    .map((st) => st.cpuMsPerMessage)
    .filter((c) => c > 0)
    .sort((a, b) => a - b);
  const cpuMsPerMessage = costs.length ? costs[Math.floor(costs.length / 2)]! : 0;
  return {
    plan,
    steps,
    sustainableRate: lastPass,
    firstFailingRate: firstFail,
    stoppedBecause,
    cpuMsPerMessage,
    cpuCeilingPerCore: cpuMsPerMessage > 0 ? Math.round(1000 / cpuMsPerMessage) : 0,
  };
}
