// Checks, before the test suites run, that what they need is on this machine, and
// makes it so where that is safe: as root it installs a missing Chromium, nginx or
// redis-server (Debian packages), and it starts a local PostgreSQL or Redis that is
// installed but stopped. Anything else stops the run at once with one line naming
// what is missing and the command that installs it.
//
// The decisions are pure functions (`decide`, `failureLine`); everything that looks
// at or changes the machine goes through a `probes` object, so the unit test
// (test/unit/preflight.test.ts) runs them without installing anything.
//
// scripts/run-tests.mjs loads this file through tsx's loader.
import { spawnSync } from 'node:child_process';
import { accessSync, constants, readdirSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export type RequirementName = 'chromium' | 'nginx' | 'redis-server' | 'postgres' | 'redis';
export type ProgramState = 'present' | 'missing';
export type ServiceState = 'answers' | 'refuses' | 'stopped' | 'missing';
/** What a service probe sees: it answers, it runs but refuses us, or nothing answers. */
export interface ServiceProbe {
  state: 'answers' | 'refuses' | 'down';
  detail?: string;
}

interface Common {
  label: string;
  /** The environment variable that names it for the tests. */
  envVar: string;
  /** The environment names it: then it is never installed or started here. */
  configured: boolean;
}
export interface Program extends Common {
  kind: 'program';
  /** A fixed path, or else `command` looked up on PATH and in `extraDirs`. */
  binary?: string | undefined;
  command?: string;
  extraDirs?: string[];
  apt: string;
}
export interface Service extends Common {
  kind: 'service';
  /** Where the tests connect. */
  url: string;
  /** The package that installs it. */
  apt: string;
  /** Run when it is installed but stopped. */
  start: [string, ...string[]];
}
export type Requirement = Program | Service;

export type Decision = { action: 'none' | 'install' | 'start' } | Failure;
export interface Failure {
  action: 'fail';
  missing: string;
  install?: string;
}

/** Everything the preflight looks at or changes on the machine. */
export interface Probes {
  isRoot(): boolean;
  isExecutable(path: string): boolean;
  pathDirs(): string[];
  /** The folders under /etc/postgresql: installed clusters' versions. */
  postgresVersions(): string[];
  postgresState(url: string): Promise<ServiceProbe>;
  redisState(url: string): Promise<ServiceProbe>;
  /** Runs a command; true when it exited 0. */
  run(command: string, args: string[]): boolean;
  sleep(ms: number): Promise<unknown>;
  log(line: string): void;
}

type Env = Record<string, string | undefined>;
type ServiceName = 'postgres' | 'redis';
type ProgramName = Exclude<RequirementName, ServiceName>;

const DEFAULT_POSTGRES_URL = 'postgres://postgres@127.0.0.1:5432/test';
const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';
const SBIN_DIRS = ['/usr/sbin', '/usr/local/sbin', '/usr/local/nginx/sbin'];

/** What each suite (folder under test/) needs; a suite not listed needs everything. */
export const SUITE_NEEDS: Record<string, RequirementName[]> = {
  unit: [],
  integration: ['postgres', 'redis', 'redis-server'],
  cluster: ['postgres', 'redis', 'redis-server', 'nginx'],
  e2e: ['chromium'],
  reliability: ['postgres', 'redis'],
  bench: ['postgres', 'redis', 'chromium'],
};

/**
 * The requirements, with the places and addresses the tests themselves use
 * (test/e2e/browser.ts, test/cluster/nginx.ts, test/helpers/).
 * A program: `binary` is a fixed path, or `command` is looked up on PATH (and `extraDirs`).
 * A service: `url` is where the tests connect; `start` is run when it is installed but stopped.
 */
export function requirements(env: Env): { [K in RequirementName]: K extends ServiceName ? Service : Program } {
  const configured = (envVar: string) => ({ envVar, configured: env[envVar] !== undefined });
  const postgresUrl = env.LIVECHAT_TEST_POSTGRES_URL;
  const redisUrl = env.LIVECHAT_TEST_REDIS_URL;
  return {
    chromium: {
      kind: 'program',
      label: 'Chromium',
      binary: env.LIVECHAT_TEST_CHROMIUM ?? '/usr/bin/chromium',
      ...configured('LIVECHAT_TEST_CHROMIUM'),
      apt: 'chromium',
    },
    nginx: {
      kind: 'program',
      label: 'nginx',
      binary: env.LIVECHAT_TEST_NGINX,
      command: 'nginx',
      extraDirs: SBIN_DIRS,
      ...configured('LIVECHAT_TEST_NGINX'),
      apt: 'nginx-light',
    },
    'redis-server': {
      kind: 'program',
      label: 'redis-server',
      binary: env.LIVECHAT_TEST_REDIS_SERVER,
      command: 'redis-server',
      ...configured('LIVECHAT_TEST_REDIS_SERVER'),
      apt: 'redis-server',
    },
    postgres: {
      kind: 'service',
      label: 'PostgreSQL',
      url: postgresUrl ?? DEFAULT_POSTGRES_URL,
      ...configured('LIVECHAT_TEST_POSTGRES_URL'),
      apt: 'postgresql',
      start: ['pg_ctlcluster', '--skip-systemctl-redirect', '<version>', 'main', 'start'],
    },
    redis: {
      kind: 'service',
      label: 'Redis',
      url: redisUrl ?? DEFAULT_REDIS_URL,
      ...configured('LIVECHAT_TEST_REDIS_URL'),
      apt: 'redis-server',
      start: [
        'redis-server',
        '--daemonize',
        'yes',
        '--bind',
        '127.0.0.1',
        '-::1',
        '--port',
        '6379',
        '--save',
        '',
        '--appendonly',
        'no',
      ],
    },
  };
}

/** The requirement names the given suites need, in a stable order. */
export function neededBy(suites: string[]): RequirementName[] {
  const all = Object.keys(requirements({})) as RequirementName[];
  const needed = new Set(suites.flatMap((suite) => SUITE_NEEDS[suite] ?? all));
  return all.filter((name) => needed.has(name));
}

/**
 * What to do about one requirement.
 * `state` of a program: 'present' | 'missing'.
 * `state` of a service: 'answers' | 'refuses' (it runs but refused us; `detail` says why)
 * | 'stopped' (installed, not answering) | 'missing' (not answering, not installed here).
 * A program or service the environment names (`configured`) is never installed or started.
 * Returns { action: 'none' | 'install' | 'start' } or { action: 'fail', missing, install? }.
 */
export function decide(
  requirement: Requirement,
  state: ProgramState | ServiceState,
  { root, detail = '' }: { root: boolean; detail?: string | undefined },
): Decision {
  if (state === 'present' || state === 'answers') return { action: 'none' };
  const { label, envVar } = requirement;
  if (requirement.kind === 'program') {
    return root && !requirement.configured ? { action: 'install' } : missingProgram(requirement);
  }
  const at = `${label} at ${requirement.url}`;
  if (state === 'refuses') return { action: 'fail', missing: `${at} (it answers but refused us: ${detail})` };
  if (requirement.configured) return { action: 'fail', missing: `${at} (${envVar}; it does not answer)` };
  if (state === 'stopped') return { action: 'start' };
  return { action: 'fail', missing: `${at} (not installed)`, install: requirement.apt };
}

/** How a missing program is named in the failure line, with its package unless the environment names it. */
function missingProgram({ label, envVar, configured, binary, command, apt }: Program): Failure {
  if (configured) return { action: 'fail', missing: `${label} (${envVar}=${binary})` };
  return { action: 'fail', missing: `${label} (${binary ?? command}; or set ${envVar})`, install: apt };
}

/** One line naming everything missing and the one command that installs what a package can. */
export function failureLine(failures: Failure[], { root }: { root: boolean }): string {
  const packages = [...new Set(failures.flatMap((f) => (f.install ? [f.install] : [])))];
  const command = packages.length
    ? `; install with: ${root ? '' : 'sudo '}apt-get install -y ${packages.join(' ')}`
    : '';
  return `npm test needs what is not here: ${failures.map((f) => f.missing).join(', ')}${command}`;
}

/** The real machine. */
export const systemProbes: Probes = {
  isRoot: () => process.getuid?.() === 0,
  isExecutable(path) {
    try {
      accessSync(path, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  },
  pathDirs: () => (process.env.PATH ?? '').split(delimiter).filter(Boolean),
  postgresVersions() {
    try {
      return readdirSync('/etc/postgresql');
    } catch {
      return [];
    }
  },
  async postgresState(url) {
    const { default: pg } = await import('pg');
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.query('SELECT 1');
      return { state: 'answers' };
    } catch (error) {
      // A SQLSTATE means a server answered; 57P03 is "starting up".
      const { code, message } = error as { code?: unknown; message?: string };
      const refused = typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) && code !== '57P03';
      return { state: refused ? 'refuses' : 'down', detail: message };
    } finally {
      await client.end().catch(() => undefined);
    }
  },
  async redisState(url) {
    const { Redis } = await import('ioredis');
    const client = new Redis(url, {
      lazyConnect: true,
      connectTimeout: 2000,
      maxRetriesPerRequest: 0,
      enableOfflineQueue: false,
      retryStrategy: () => null,
    });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.ping();
      return { state: 'answers' };
    } catch (error) {
      const { message } = error as { message?: string };
      return { state: /NOAUTH|WRONGPASS|DENIED/.test(message ?? '') ? 'refuses' : 'down', detail: message };
    } finally {
      client.disconnect();
    }
  },
  run(command, args) {
    const result = spawnSync(command, args, {
      stdio: ['ignore', 'inherit', 'inherit'],
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
    return result.status === 0;
  },
  sleep: (ms) => sleep(ms),
  log: (line) => console.error(line),
};

function findProgram(requirement: Program, probes: Probes): boolean {
  if (requirement.binary) return probes.isExecutable(requirement.binary);
  const dirs = [...probes.pathDirs(), ...(requirement.extraDirs ?? [])];
  return dirs.some((dir) => probes.isExecutable(join(dir, requirement.command ?? '')));
}

function serviceInstalled(name: ServiceName, probes: Probes, reqs: ReturnType<typeof requirements>): boolean {
  if (name === 'postgres') return probes.postgresVersions().length > 0;
  return findProgram(reqs['redis-server'], probes);
}

function serviceState(name: ServiceName, requirement: Service, probes: Probes): Promise<ServiceProbe> {
  return name === 'postgres' ? probes.postgresState(requirement.url) : probes.redisState(requirement.url);
}

function startCommand(name: ServiceName, requirement: Service, probes: Probes): [string, ...string[]] {
  if (name !== 'postgres') return requirement.start;
  const [version] = probes.postgresVersions();
  const [command, ...args] = requirement.start;
  return [command, ...args.map((arg) => (arg === '<version>' ? (version ?? '') : arg))];
}

/**
 * Makes the machine ready for `suites`. Returns undefined when it is, or the one
 * line to print when it is not.
 */
export async function preflight(
  suites: string[],
  { env = process.env, probes = systemProbes, waitMs = 60_000 }: { env?: Env; probes?: Probes; waitMs?: number } = {},
): Promise<string | undefined> {
  const names = neededBy(suites);
  if (names.length === 0) return undefined;
  const reqs = requirements(env);
  const root = probes.isRoot();
  const failures: Failure[] = [];

  // Programs first: redis-server installed here is also what starts a stopped Redis.
  const programs = names.filter((name): name is ProgramName => reqs[name].kind === 'program');
  const toInstall: ProgramName[] = [];
  for (const name of programs) {
    const decision = decide(reqs[name], findProgram(reqs[name], probes) ? 'present' : 'missing', { root });
    if (decision.action === 'install') toInstall.push(name);
    if (decision.action === 'fail') failures.push(decision);
  }
  if (toInstall.length > 0) {
    const packages = toInstall.map((name) => reqs[name].apt);
    probes.log(`preflight: installing ${packages.join(' ')} (apt-get)`);
    const installed =
      probes.run('apt-get', ['update', '-qq']) && probes.run('apt-get', ['install', '-y', '-qq', ...packages]);
    for (const name of toInstall) {
      if (!installed || !findProgram(reqs[name], probes)) failures.push(missingProgram(reqs[name]));
    }
  }

  for (const name of names.filter((n): n is ServiceName => reqs[n].kind === 'service')) {
    const requirement = reqs[name];
    const { state, detail } = await serviceState(name, requirement, probes);
    const observed = state === 'down' ? (serviceInstalled(name, probes, reqs) ? 'stopped' : 'missing') : state;
    const decision = decide(requirement, observed, { root, detail });
    if (decision.action === 'fail') failures.push(decision);
    if (decision.action !== 'start') continue;
    const [command, ...args] = startCommand(name, requirement, probes);
    probes.log(`preflight: starting ${requirement.label}: ${command} ${args.join(' ')}`);
    const started = probes.run(command, args) && (await waitUntilAnswers(name, requirement, probes, waitMs));
    if (!started) {
      failures.push({
        action: 'fail',
        missing: `${requirement.label} at ${requirement.url} (installed, but \`${command} ${args.join(' ')}\` did not bring it up)`,
      });
    }
  }
  return failures.length > 0 ? failureLine(failures, { root }) : undefined;
}

async function waitUntilAnswers(
  name: ServiceName,
  requirement: Service,
  probes: Probes,
  waitMs: number,
): Promise<boolean> {
  for (let waited = 0; ; waited += 1000) {
    if ((await serviceState(name, requirement, probes)).state === 'answers') return true;
    if (waited >= waitMs) return false;
    await probes.sleep(1000);
  }
}
