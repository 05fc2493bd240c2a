/**
 * The `flood` scenario's phases: the `seed` load measured quiet, then once
 * beside each kind of flooding listener (bench/generator/flooder.ts, its own
 * process, its own source address), then quiet again. What a flood costs the
 * other listeners is the flooded send→ack p50 against the mean of the two
 * quiet ones (measured before and after, so a drift of the machine does not
 * count for or against the flood).
 */
import type { ChildProcess } from 'node:child_process';
import { setPriority } from 'node:os';
import type { GeneratorProcess } from './controller.js';
import { cpuMs, sleep, spawnNode, stopProcess } from './proc.js';
import { childEnv } from './targets.js';
import type { LatencySummary, LoadParams, LoadResult } from './types.js';

export const FLOOD_KINDS = ['typing', 'markup', 'sends'] as const;
export type FloodKind = (typeof FLOOD_KINDS)[number];

/** What one flooder did, as it reports it. */
export interface FloodStats {
  kind: FloodKind;
  framesWritten: number;
  /** WebSocket connections opened (it reconnects after every close). */
  connections: number;
  sessions: number;
  /** Close codes of opened connections → count. */
  closes: Record<string, number>;
  /** Refused session creations and upgrades, by status. */
  refusals: Record<string, number>;
}

export interface FloodPlan {
  kinds: FloodKind[];
  /** Source address of the flooders (apart from the generator's). */
  localAddress: string;
  /**
   * CPU priority of the flooder process (the bench uses 19, the lowest: on one machine
   * its own writing loop would otherwise take a core from the server, which an attacker
   * on another machine does not).
   */
  nice: number;
}

export interface FloodPhase {
  /** `quiet`, `quiet again`, or the flood kind. */
  name: string;
  flooder?: FloodStats;
  /** The flooder process's CPU use over the phase (% of one core). */
  flooderCpuPercent?: number;
  sendAck: LatencySummary;
  lost: number;
  unacked: number;
  errors: Record<string, number>;
  serverCpuPercent: number;
}

export interface FloodFigures {
  phases: FloodPhase[];
  /** Mean of the quiet phases' send→ack p50 (ms). */
  quietP50: number;
  /** Per flood kind: its send→ack p50 minus quietP50 (ms). */
  costP50: Record<string, number>;
}

class FlooderProcess {
  private constructor(private readonly child: ChildProcess) {}

  static start(baseUrl: string, kind: FloodKind, plan: FloodPlan, logFile: string): FlooderProcess {
    const { localAddress } = plan;
    const child = spawnNode(['--import', 'tsx', 'bench/generator/flooder.ts'], {
      env: childEnv({ NODE_ENV: 'production', BENCH_FLOOD: JSON.stringify({ baseUrl, kind, localAddress }) }),
      ipc: true,
      logFile,
    });
    try {
      setPriority(child.pid!, plan.nice);
    } catch {
      // not permitted here: measured as it is, and the flooder's CPU is reported
    }
    return new FlooderProcess(child);
  }

  /** Resolves once the flooder's first connection is open and writing. */
  flooding(timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`the flooder was not flooding within ${timeoutMs} ms`)),
        timeoutMs,
      );
      const onMessage = (reply: { type: string }) => {
        if (reply.type !== 'flooding') return;
        clearTimeout(timer);
        this.child.off('message', onMessage);
        resolve();
      };
      this.child.on('message', onMessage);
    });
  }

  get pid(): number {
    return this.child.pid!;
  }

  async stop(): Promise<FloodStats> {
    const stats = await new Promise<FloodStats>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the flooder did not report within 10 s')), 10_000);
      this.child.once('message', (reply: { type: string; stats: FloodStats }) => {
        clearTimeout(timer);
        resolve(reply.stats);
      });
      this.child.once('exit', (code) => reject(new Error(`the flooder exited (${code}) before reporting`)));
      this.child.send({ type: 'stop' });
    });
    await stopProcess(this.child, 5000);
    return stats;
  }

  kill(): Promise<void> {
    return stopProcess(this.child, 5000);
  }
}

export async function runFloodPhases(options: {
  generator: GeneratorProcess;
  baseUrl: string;
  plan: FloodPlan;
  load: Omit<LoadParams, 'phase'>;
  /** Server CPU time so far (ms), summed over its processes. */
  serverCpuMs: () => number;
  logFile: (kind: FloodKind) => string;
  log: (line: string) => void;
}): Promise<FloodFigures> {
  const { generator, plan, load, log } = options;
  const phases: FloodPhase[] = [];
  let phaseNumber = 1;
  const measure = async (name: string, kind?: FloodKind): Promise<void> => {
    let flooder: FlooderProcess | undefined;
    if (kind) {
      flooder = FlooderProcess.start(options.baseUrl, kind, plan, options.logFile(kind));
      await flooder.flooding(60_000).catch(async (error: Error) => {
        await flooder!.kill();
        throw error;
      });
      await sleep(1000); // the flood is under way before the measured load starts
    }
    const cpu0 = options.serverCpuMs();
    const flooderCpu0 = flooder ? cpuMs(flooder.pid) : 0;
    const wall0 = performance.now();
    let result: LoadResult;
    try {
      result = await generator.load({ ...load, phase: phaseNumber++ });
    } catch (error) {
      await flooder?.kill();
      throw error;
    }
    const wall = performance.now() - wall0;
    const serverCpuPercent = Math.round(((options.serverCpuMs() - cpu0) / wall) * 1000) / 10;
    const flooderCpuPercent = flooder ? Math.round(((cpuMs(flooder.pid) - flooderCpu0) / wall) * 1000) / 10 : undefined;
    const stats = await flooder?.stop();
    const phase: FloodPhase = {
      name,
      ...(stats ? { flooder: stats, flooderCpuPercent } : {}),
      sendAck: result.latency.sendAck,
      lost: result.counts.lost + result.counts.repliesLost,
      unacked: result.counts.unacked + result.counts.repliesUnacked,
      errors: result.errors,
      serverCpuPercent,
    };
    phases.push(phase);
    log(
      `flood phase ${name}: send→ack p50 ${phase.sendAck.p50} ms p99 ${phase.sendAck.p99} ms; lost ${phase.lost}, unacked ${phase.unacked}; server CPU ${serverCpuPercent} %` +
        (stats
          ? `; flooder wrote ${stats.framesWritten} frames over ${stats.connections} connections, closes ${JSON.stringify(stats.closes)}`
          : ''),
    );
    // Let what the flood left behind clear before the next phase.
    if (kind) await generator.quiesce(30_000);
  };

  await measure('quiet');
  for (const kind of plan.kinds) await measure(kind, kind);
  await measure('quiet again');
  const quiet = phases.filter((p) => !p.flooder);
  const quietP50 = Math.round((quiet.reduce((a, p) => a + p.sendAck.p50, 0) / quiet.length) * 100) / 100;
  const costP50: Record<string, number> = {};
  for (const p of phases) if (p.flooder) costP50[p.name] = Math.round((p.sendAck.p50 - quietP50) * 100) / 100;
  return { phases, quietP50, costP50 };
}
