/**
 * Real server processes for multi-instance tests.
 *
 * A {@link Deployment} is what several instances share: a fresh PostgreSQL
 * database, a Redis server (the shared test Redis, or a throwaway one from
 * {@link startThrowawayRedis}), a key prefix of its own, the JWT secret and the
 * broadcaster account. {@link Deployment.start} spawns one more instance — the
 * `livechat start` command run from source, exactly as in production apart
 * from short broker timings — and waits until it is listening and `/readyz`
 * answers 200. An {@link Instance} can be killed (`SIGKILL` for a crash,
 * `SIGTERM` for a graceful stop) and restarted on the same port; everything it
 * wrote to stdout and stderr is kept, and {@link Deployment.withLogs} appends
 * the tail of every instance's log to a failing test's error.
 *
 * PostgreSQL and Redis must be reachable: creating a deployment fails loudly
 * when they are not, it never skips.
 *
 * ```ts
 * const deployment = await Deployment.create();
 * const [a, b] = await deployment.startMany(2);
 * await deployment.withLogs(async () => {
 *   // talk to a.baseUrl / b.wsUrl …
 *   await a.kill('SIGKILL');
 *   await a.restart();
 * });
 * await deployment.stop();
 * ```
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import pg from 'pg';
import { createTestDatabase, type TestDatabase } from './databases.js';
import { freePort } from './ports.js';
import { connectRedis, dropRedisPrefix } from './redis.js';
import { TEST_JWT_SECRET, testRedisUrl } from './server.js';
import { sleep, waitFor } from './wait.js';

/** The repository root: server processes run from here (the entry imports `./src/cli.ts`). */
export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

/** `livechat …` from source, arguments after it (see test/integration/process.test.ts). */
const ENTRY = "import('./src/cli.ts').then((m) => m.main(process.argv.slice(1)))";

/** The broadcaster account every instance of a deployment creates at start (LIVECHAT_ADMIN_*). */
export const TEST_ADMIN = { username: 'penyiar-a', password: 'rahasia-penyiar-a', name: 'Penyiar A' } as const;

/**
 * Settings every instance gets unless the deployment or the instance overrides
 * them: short Redis broker timings (a crashed instance's sessions go offline
 * after about 2 seconds, a dead subscription is noticed within half a second),
 * a 2-second heartbeat, a 3-second shutdown, no session-creation limit (every
 * test client comes from 127.0.0.1), and JSON logs at `info`.
 */
export const FAST_INSTANCE_ENV: Readonly<Record<string, string>> = {
  NODE_ENV: 'production',
  HOST: '127.0.0.1',
  LIVECHAT_LOG_LEVEL: 'info',
  LIVECHAT_REDIS_REGISTRY_TTL_MS: '1500',
  LIVECHAT_REDIS_REGISTRY_REFRESH_MS: '400',
  LIVECHAT_REDIS_SWEEP_INTERVAL_MS: '300',
  LIVECHAT_REDIS_PROBE_INTERVAL_MS: '400',
  LIVECHAT_HEARTBEAT_INTERVAL_MS: '2000',
  LIVECHAT_SHUTDOWN_TIMEOUT_MS: '3000',
  LIVECHAT_SESSION_CREATE_LIMIT_PER_MINUTE: '0',
};

/** One parsed JSON log line (pino): `level` 30 info, 40 warn, 50 error, 60 fatal. */
export interface LogEntry {
  level: number;
  msg: string;
  pid?: number;
  [field: string]: unknown;
}

/** How a process ended. */
export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** Children still running when the test process exits are killed with it. */
const liveChildren = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of liveChildren) child.kill('SIGKILL');
});

function track(child: ChildProcess): Promise<ExitInfo> {
  liveChildren.add(child);
  return new Promise((resolve) => {
    child.once('exit', (code, signal) => {
      liveChildren.delete(child);
      resolve({ code, signal });
    });
  });
}

function childEnv(env: Record<string, string>): Record<string, string> {
  const base: Record<string, string> = {};
  for (const name of ['PATH', 'HOME', 'TMPDIR', 'LANG']) {
    const value = process.env[name];
    if (value !== undefined) base[name] = value;
  }
  return { ...base, ...env };
}

/** Output of a `livechat` command that ran to its end. */
export interface CommandResult extends ExitInfo {
  stdout: string;
  stderr: string;
}

/**
 * Runs `livechat <args>` from source to its end (e.g. a start that must be
 * refused). The environment is exactly `env` plus PATH/HOME; killed after
 * `timeoutMs`.
 */
export async function runCommand(
  args: string[],
  env: Record<string, string>,
  timeoutMs = 30_000,
): Promise<CommandResult> {
  const child = spawn(process.execPath, ['--import', 'tsx', '--eval', ENTRY, ...args], {
    cwd: repoRoot,
    env: childEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exit = track(child);
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const info = await exit;
  clearTimeout(timer);
  return { ...info, stdout, stderr };
}

export interface InstanceOptions {
  /** Label in logs and failure reports. Default `i1`, `i2`, … in start order. */
  name?: string;
  /** Settings for this instance on top of the deployment's (an empty string removes one). */
  env?: Record<string, string>;
  /** Command-line arguments. Default `['start']`. */
  args?: string[];
  /** Port to listen on. Default 0 (any free port; a restart keeps the one bound first). */
  port?: number;
  /** How many "live chat listening" lines make the start complete (the worker count in cluster mode). Default 1. */
  listeningLines?: number;
  /** Wait for `/readyz` to answer 200 after listening (default true). */
  waitReady?: boolean;
  /** Default 30 000. */
  startTimeoutMs?: number;
}

/**
 * One running (or stopped) server process. Its output of every run is kept in
 * order, each run introduced by a `--- start #n ---` line.
 */
export class Instance {
  readonly name: string;
  /** The port it listens on (0 until the first start completed). */
  port: number;
  private child: ChildProcess | undefined;
  private exitPromise: Promise<ExitInfo> = Promise.resolve({ code: null, signal: null });
  private lastExit: ExitInfo | undefined;
  private readonly lines: string[] = [];
  /** `lines` parsed: the log entry of each line, or undefined for other output. */
  private readonly parsed: (LogEntry | undefined)[] = [];
  private partial = { stdout: '', stderr: '' };
  private runs = 0;
  /** Index in `lines` where the current run begins. */
  private runStart = 0;
  private readonly dataDir: string;

  /** @internal Use {@link Deployment.start}. */
  constructor(
    private readonly env: Record<string, string>,
    private readonly options: Required<Omit<InstanceOptions, 'env' | 'port'>> & { port: number },
  ) {
    this.name = options.name;
    this.port = options.port;
    this.dataDir = mkdtempSync(join(tmpdir(), `livechat-${options.name}-`));
  }

  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get wsUrl(): string {
    return `ws://127.0.0.1:${this.port}`;
  }

  /** Process id of the current run (undefined when not running). */
  get pid(): number | undefined {
    return this.running ? this.child?.pid : undefined;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Resolves when the current run's process exits (at once when none runs). */
  get exited(): Promise<ExitInfo> {
    return this.exitPromise;
  }

  /** How the last run ended (undefined while running or before the first run). */
  get exitInfo(): ExitInfo | undefined {
    return this.running ? undefined : this.lastExit;
  }

  /** Everything written to stdout and stderr, over all runs, one string. */
  output(): string {
    return this.lines.join('\n');
  }

  /** The JSON log lines, over all runs (or the current run only); other lines are left out. */
  entries(options: { currentRun?: boolean } = {}): LogEntry[] {
    const parsed = options.currentRun ? this.parsed.slice(this.runStart) : this.parsed;
    return parsed.filter((entry): entry is LogEntry => entry !== undefined);
  }

  /** Log entries at warn level or above, over all runs. */
  problems(): LogEntry[] {
    return this.entries().filter((entry) => entry.level >= 40);
  }

  /** Waits for a log entry matching `match` (message text or predicate), returns it. */
  async waitForLog(match: string | ((entry: LogEntry) => boolean), timeoutMs = 10_000): Promise<LogEntry> {
    const test = typeof match === 'string' ? (entry: LogEntry) => entry.msg === match : match;
    let found: LogEntry | undefined;
    await waitFor(() => (found = this.entries().find(test)) !== undefined, {
      message: `log "${String(match)}" from ${this.name}`,
      timeoutMs,
    });
    return found!;
  }

  /** The instance ids of the Redis broker of every run, from the start-up log (`component: broker`). */
  brokerInstanceIds(): string[] {
    const ids = this.entries()
      .filter((entry) => entry['component'] === 'broker' && typeof entry['instanceId'] === 'string')
      .map((entry) => entry['instanceId'] as string);
    return [...new Set(ids)];
  }

  /** `GET /readyz`: status and body. Rejects when nothing answers. */
  async readyz(): Promise<{ status: number; body: any }> {
    const response = await fetch(`${this.baseUrl}/readyz`, { signal: AbortSignal.timeout(5000) });
    const text = await response.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // keep the text
    }
    return { status: response.status, body };
  }

  /** Waits until `/readyz` answers 200 (database and Redis reachable, subscription healthy). */
  async ready(timeoutMs = 15_000): Promise<void> {
    await waitFor(async () => (await this.readyz().catch(() => ({ status: 0 }))).status === 200, {
      message: `${this.name} to be ready`,
      timeoutMs,
      intervalMs: 50,
    });
  }

  /**
   * Starts the process and waits until it listens (and is ready, unless
   * `waitReady` is false). The first start binds the configured port (0: any);
   * later starts reuse the port bound first. Throws, with the output, when the
   * process exits or does not listen in time.
   */
  async start(): Promise<void> {
    if (this.running) throw new Error(`${this.name} is already running`);
    this.runs += 1;
    this.runStart = this.lines.length;
    this.push(`--- start #${this.runs} ---`);
    const env = Object.fromEntries(
      Object.entries({ ...this.env, PORT: String(this.port), LIVECHAT_DATA_DIR: this.dataDir }).filter(
        ([, v]) => v !== '',
      ),
    );
    const child = spawn(process.execPath, ['--import', 'tsx', '--eval', ENTRY, ...this.options.args], {
      cwd: repoRoot,
      env: childEnv(env),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    this.partial = { stdout: '', stderr: '' };
    child.stdout!.on('data', (chunk: Buffer) => this.take('stdout', chunk));
    child.stderr!.on('data', (chunk: Buffer) => this.take('stderr', chunk));
    this.exitPromise = track(child).then((info) => {
      this.flush();
      this.lastExit = info;
      return info;
    });

    const want = this.options.listeningLines;
    const deadline = Date.now() + this.options.startTimeoutMs;
    for (;;) {
      const listening = this.entries({ currentRun: true }).filter((entry) => entry.msg === 'live chat listening');
      if (listening.length >= want) {
        this.port = Number(listening[0]!['port']);
        break;
      }
      if (!this.running || Date.now() > deadline) {
        if (this.running) await this.kill('SIGKILL');
        throw new Error(`${this.name} did not start (wanted ${want} listening line(s)):\n${this.tail(60)}`);
      }
      await sleep(25);
    }
    if (this.options.waitReady) await this.ready();
  }

  /**
   * Sends `signal` and waits for the process to exit. SIGKILL is a crash: no
   * socket is closed cleanly and nothing is released in Redis. SIGTERM is a
   * graceful stop (SIGKILL follows after `graceMs` if it hangs). Resolves at
   * once when it is not running.
   */
  async kill(signal: 'SIGKILL' | 'SIGTERM' = 'SIGTERM', graceMs = 15_000): Promise<ExitInfo> {
    const child = this.child;
    if (!child || !this.running) return this.lastExit ?? { code: null, signal: null };
    child.kill(signal);
    let timer: NodeJS.Timeout | undefined;
    if (signal !== 'SIGKILL') timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    const info = await this.exitPromise;
    clearTimeout(timer);
    return info;
  }

  /** Stops it gracefully when running (SIGTERM), then starts it again on the same port with the same data folder. */
  async restart(): Promise<void> {
    await this.kill('SIGTERM');
    await this.start();
  }

  /** The last `lines` lines of output (all runs). */
  tail(lines = 40): string {
    return this.lines.slice(-lines).join('\n');
  }

  /** @internal Removes the data folder (the deployment calls this after the process is gone). */
  dispose(): void {
    rmSync(this.dataDir, { recursive: true, force: true });
  }

  private push(line: string): void {
    this.lines.push(line);
    let entry: LogEntry | undefined;
    if (line.startsWith('{')) {
      try {
        const value = JSON.parse(line) as LogEntry;
        if (typeof value.msg === 'string') entry = value;
      } catch {
        // not a log line
      }
    }
    this.parsed.push(entry);
  }

  private take(stream: 'stdout' | 'stderr', chunk: Buffer): void {
    const text = this.partial[stream] + chunk.toString();
    const parts = text.split('\n');
    this.partial[stream] = parts.pop() ?? '';
    for (const line of parts) this.push(stream === 'stderr' && !line.startsWith('{') ? `[stderr] ${line}` : line);
  }

  private flush(): void {
    for (const stream of ['stdout', 'stderr'] as const) {
      if (this.partial[stream] !== '') this.push(this.partial[stream]);
      this.partial[stream] = '';
    }
  }
}

export interface DeploymentOptions {
  /** Redis the instances share. Default: the test Redis (LIVECHAT_TEST_REDIS_URL or redis://127.0.0.1:6379). */
  redisUrl?: string;
  /** Settings for every instance, on top of {@link FAST_INSTANCE_ENV} (an empty string removes one). */
  env?: Record<string, string>;
  /** Leave REDIS_URL unset (single-instance or refusal tests). */
  withoutRedis?: boolean;
}

/**
 * What a group of instances shares — a fresh PostgreSQL database, a Redis key
 * prefix, the JWT secret and the broadcaster account — and the instances
 * started on it.
 */
export class Deployment {
  readonly instances: Instance[] = [];
  /** Broadcaster account (LIVECHAT_ADMIN_*), shaped for `loginAdmin` from clients.ts together with an instance. */
  readonly admin = { ...TEST_ADMIN };
  private pool: pg.Pool | undefined;

  private constructor(
    private readonly database: TestDatabase,
    /** The `REDIS_URL` instances get (undefined with `withoutRedis`). */
    readonly redisUrl: string | undefined,
    /** `LIVECHAT_REDIS_PREFIX` of every instance: unique per deployment. */
    readonly redisPrefix: string,
    private readonly baseEnv: Record<string, string>,
  ) {}

  /** Creates the database and checks that Redis answers (fails loudly otherwise). */
  static async create(options: DeploymentOptions = {}): Promise<Deployment> {
    const redisUrl = options.withoutRedis ? undefined : (options.redisUrl ?? testRedisUrl);
    // The shared test Redis must answer now; a throwaway one may be down on purpose later.
    if (redisUrl !== undefined) (await connectRedis(redisUrl)).disconnect();
    const database = await createTestDatabase('postgres');
    const redisPrefix = `test:cluster:${randomBytes(5).toString('hex')}:`;
    const env: Record<string, string> = {
      ...FAST_INSTANCE_ENV,
      DATABASE_URL: database.url,
      LIVECHAT_JWT_SECRET: TEST_JWT_SECRET,
      LIVECHAT_ADMIN_USERNAME: TEST_ADMIN.username,
      LIVECHAT_ADMIN_PASSWORD: TEST_ADMIN.password,
      LIVECHAT_ADMIN_NAME: TEST_ADMIN.name,
      ...(redisUrl === undefined ? {} : { REDIS_URL: redisUrl, LIVECHAT_REDIS_PREFIX: redisPrefix }),
      ...options.env,
    };
    return new Deployment(database, redisUrl, redisPrefix, env);
  }

  /** `DATABASE_URL` of every instance. */
  get databaseUrl(): string {
    return this.database.url;
  }

  /** The environment an instance with these extra settings gets (PORT and LIVECHAT_DATA_DIR are added per instance). */
  envFor(extra: Record<string, string> = {}): Record<string, string> {
    return { ...this.baseEnv, ...extra };
  }

  /** Spawns one more instance and waits until it is listening and ready (see {@link InstanceOptions}). */
  async start(options: InstanceOptions = {}): Promise<Instance> {
    const instance = new Instance(this.envFor(options.env), {
      name: options.name ?? `i${this.instances.length + 1}`,
      args: options.args ?? ['start'],
      port: options.port ?? 0,
      listeningLines: options.listeningLines ?? 1,
      waitReady: options.waitReady ?? true,
      startTimeoutMs: options.startTimeoutMs ?? 30_000,
    });
    this.instances.push(instance);
    await instance.start();
    return instance;
  }

  /** Starts `count` instances one after another (the database migrates once, on the first). */
  async startMany(count: number, options: Omit<InstanceOptions, 'name' | 'port'> = {}): Promise<Instance[]> {
    const started: Instance[] = [];
    for (let i = 0; i < count; i++) started.push(await this.start(options));
    return started;
  }

  /** Runs SQL on the deployment's database (for counts and checks). */
  async query<Row extends Record<string, unknown> = Record<string, unknown>>(
    sql: string,
    params: unknown[] = [],
  ): Promise<Row[]> {
    this.pool ??= new pg.Pool({ connectionString: this.database.url, max: 2 });
    const result = await this.pool.query<Row>(sql, params);
    return result.rows;
  }

  /** The last lines of every instance's output, for a failure message. */
  report(linesPerInstance = 40): string {
    return this.instances
      .map((instance) => {
        const state = instance.running
          ? `running, pid ${instance.pid}`
          : `stopped ${JSON.stringify(instance.exitInfo)}`;
        return `=== ${instance.name} (port ${instance.port}, ${state}) ===\n${instance.tail(linesPerInstance)}`;
      })
      .join('\n');
  }

  /** Runs `body`; when it throws, the error is rethrown with {@link report} appended to its message. */
  async withLogs<T>(body: () => Promise<T>): Promise<T> {
    try {
      return await body();
    } catch (error) {
      if (error instanceof Error) {
        error.message += `\n\nInstance logs:\n${this.report()}`;
        throw error;
      }
      throw new Error(`${String(error)}\n\nInstance logs:\n${this.report()}`, { cause: error });
    }
  }

  /** Stops every instance (SIGTERM, SIGKILL if it hangs), drops the database and the Redis keys. */
  async stop(): Promise<void> {
    await Promise.all(this.instances.map((instance) => instance.kill('SIGTERM', 8000)));
    for (const instance of this.instances) instance.dispose();
    await this.pool?.end();
    this.pool = undefined;
    await this.database.drop();
    if (this.redisUrl !== undefined) await dropRedisPrefix(this.redisUrl, this.redisPrefix).catch(() => undefined);
  }
}

/** A redis-server child process that tests may stop and start (never the shared one). */
export interface ThrowawayRedis {
  readonly port: number;
  readonly url: string;
  readonly running: boolean;
  /** Stops it (SIGKILL by default: an abrupt loss; nothing is saved either way). */
  stop(signal?: 'SIGKILL' | 'SIGTERM'): Promise<void>;
  /** Starts it again on the same port, empty. */
  start(): Promise<void>;
}

/**
 * Starts `redis-server` on a free port without persistence (`--save ""
 * --appendonly no`), so that a restart comes back empty like a lost server.
 * Fails loudly when redis-server is not installed (LIVECHAT_TEST_REDIS_SERVER
 * names another binary).
 */
export async function startThrowawayRedis(): Promise<ThrowawayRedis> {
  const binary = process.env['LIVECHAT_TEST_REDIS_SERVER'] ?? 'redis-server';
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  let child: ChildProcess | undefined;
  let exit: Promise<ExitInfo> = Promise.resolve({ code: null, signal: null });
  let output = '';
  const isRunning = () => child !== undefined && child.exitCode === null && child.signalCode === null;

  const start = async (): Promise<void> => {
    if (isRunning()) throw new Error('the throwaway redis-server is already running');
    output = '';
    const spawned = spawn(
      binary,
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'no'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child = spawned;
    const failed = new Promise<Error>((resolve) =>
      spawned.once('error', (error) =>
        resolve(new Error(`cannot run ${binary} (needed for this test): ${error.message}`)),
      ),
    );
    spawned.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    spawned.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    exit = track(spawned);
    const deadline = Date.now() + 10_000;
    for (;;) {
      const error = await Promise.race([failed, sleep(50).then(() => undefined)]);
      if (error) throw error;
      if (!isRunning()) throw new Error(`redis-server exited at start:\n${output}`);
      const client = new Redis(url, { lazyConnect: true, retryStrategy: () => null, connectTimeout: 500 });
      client.on('error', () => undefined);
      const ok = await client.connect().then(
        () => client.ping().then(() => true),
        () => false,
      );
      client.disconnect();
      if (ok) return;
      if (Date.now() > deadline) throw new Error(`redis-server did not answer on port ${port}:\n${output}`);
    }
  };

  await start();
  return {
    port,
    url,
    get running() {
      return isRunning();
    },
    async stop(signal = 'SIGKILL') {
      if (!isRunning()) return;
      child!.kill(signal);
      await exit;
    },
    start,
  };
}
