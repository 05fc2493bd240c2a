/** Where and when the figures were measured: machine, date, commit. */
import { spawnSync } from 'node:child_process';
import { cpus, freemem, loadavg, release, totalmem, tmpdir, type as osType } from 'node:os';
import { REPO_ROOT } from './proc.js';

export interface MachineInfo {
  cpu: string;
  cores: number;
  memoryGiB: number;
  freeMemoryGiB: number;
  os: string;
  node: string;
  /** File system type of the temporary folder (where SQLite files live). */
  tmpFileSystem: string;
  fdLimit: string;
}

export interface Provenance {
  date: string;
  commit: string;
  /** Files under src/ or bench/ differ from the commit. */
  uncommittedChanges: boolean;
  machine: MachineInfo;
  loadAverageAtStart: number[];
}

function sh(command: string, args: string[]): string {
  const out = spawnSync(command, args, { cwd: REPO_ROOT, encoding: 'utf8' });
  return out.status === 0 ? out.stdout.trim() : '';
}

export function machineInfo(): MachineInfo {
  const list = cpus();
  const df = sh('df', ['-T', tmpdir()]).split('\n')[1]?.split(/\s+/)[1] ?? 'unknown';
  return {
    cpu: list[0]?.model.trim() ?? 'unknown',
    cores: list.length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    freeMemoryGiB: Math.round((freemem() / 2 ** 30) * 10) / 10,
    os: `${osType()} ${release()}`,
    node: process.version,
    tmpFileSystem: df,
    fdLimit: sh('sh', ['-c', 'ulimit -Hn']),
  };
}

export function provenance(): Provenance {
  const commit = sh('git', ['rev-parse', '--short=12', 'HEAD']) || 'unknown';
  const dirty = sh('git', ['status', '--porcelain', '--', 'src', 'bench']) !== '';
  return {
    date: new Date().toISOString(),
    commit,
    uncommittedChanges: dirty,
    machine: machineInfo(),
    loadAverageAtStart: loadavg().map((n) => Math.round(n * 100) / 100),
  };
}
