/**
 * Child processes and what the kernel says about them: spawning node with a
 * raised file-descriptor limit, CPU time and resident memory from /proc,
 * free ports, readiness, bounded stops.
 */
import { spawn, spawnSync, type ChildProcess, type StdioOptions } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const GC_HOOK = pathToFileURL(join(REPO_ROOT, 'bench/lib/gc-hook.mjs')).href;

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

let cachedFdLimit: number | undefined;
/** The descriptor limit children get: the hard limit, at most 65,535. */
export function fdLimit(): number {
  if (cachedFdLimit !== undefined) return cachedFdLimit;
  const out = spawnSync('sh', ['-c', 'ulimit -Hn'], { encoding: 'utf8' }).stdout.trim();
  const hard = out === 'unlimited' ? 65_535 : Number(out);
  cachedFdLimit = Number.isFinite(hard) && hard > 0 ? Math.min(hard, 65_535) : 1024;
  return cachedFdLimit;
}

let cachedTicks: number | undefined;
function clockTicks(): number {
  if (cachedTicks === undefined) {
    const out = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim());
    cachedTicks = Number.isFinite(out) && out > 0 ? out : 100;
  }
  return cachedTicks;
}

export interface SpawnOptions {
  env: NodeJS.ProcessEnv;
  /** Append stdout and stderr here (created). */
  logFile?: string;
  /** Open an IPC channel (for the generator). */
  ipc?: boolean;
  /** Write stdout/stderr to the parent's instead of a log file. */
  inherit?: boolean;
}

/** Runs `node ...args` through `sh -c 'ulimit -n N; exec ...'`; the returned pid is node's own. */
export function spawnNode(args: string[], options: SpawnOptions): ChildProcess {
  let out: number | 'inherit' | 'ignore' = 'ignore';
  if (options.inherit) out = 'inherit';
  else if (options.logFile) out = openSync(options.logFile, 'a');
  const stdio: StdioOptions = ['ignore', out, out];
  if (options.ipc) stdio.push('ipc');
  const child = spawn('sh', ['-c', `ulimit -n ${fdLimit()} 2>/dev/null; exec "$0" "$@"`, process.execPath, ...args], {
    cwd: REPO_ROOT,
    env: options.env,
    stdio,
  });
  if (typeof out === 'number') closeSync(out);
  return child;
}

/** User + system CPU time of a process in milliseconds (0 when it is gone). */
export function cpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / clockTicks();
  } catch {
    return 0;
  }
}

/**
 * Time the process's main thread spent runnable but waiting for a CPU, in ms
 * (from /proc/PID/schedstat; 0 when unavailable). On a shared machine this
 * is the noise: latency the code under test did not cause.
 */
export function runQueueWaitMs(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/schedstat`, 'utf8').trim().split(/\s+/);
    return Number(fields[1]) / 1e6;
  } catch {
    return 0;
  }
}

/** CPU time the whole machine spent busy (all cores, everything but idle and I/O wait), in ms. */
export function machineBusyMs(): number {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    const total = fields.slice(0, 8).reduce((a, b) => a + b, 0);
    const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
    return ((total - idle) * 1000) / clockTicks();
  } catch {
    return 0;
  }
}

/** Resident set size in KiB (0 when the process is gone). */
export function rssKiB(pid: number): number {
  try {
    const match = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) : 0;
  } catch {
    return 0;
  }
}

/** Asks the process for a full GC (see gc-hook.mjs), lets it settle, then reads its RSS. */
export async function settledRssKiB(pid: number): Promise<number> {
  for (let i = 0; i < 2; i++) {
    try {
      process.kill(pid, 'SIGUSR2');
    } catch {
      return 0;
    }
    await sleep(400);
  }
  return rssKiB(pid);
}

export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

/** Polls `url` until it answers 200; fails early when the child exits. */
export async function waitReady(url: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  let exited: number | null | undefined;
  child.once('exit', (code) => (exited = code));
  while (Date.now() < until) {
    if (exited !== undefined) throw new Error(`process exited with ${exited} before it was ready`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  throw new Error(`${url} not ready after ${timeoutMs} ms`);
}

/** SIGTERM, then SIGKILL after `timeoutMs`; resolves when the process is gone. */
export async function stopProcess(child: ChildProcess, timeoutMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  await exited;
  clearTimeout(timer);
}

/** The tail of a log file, for error messages. */
export function tail(file: string, lines = 15): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}
