/**
 * The systems under test, each started as real processes on loopback:
 * the live-chat server (one or two instances, SQLite or PostgreSQL, memory or
 * Redis broker) and the two baselines. Every target gets its own database,
 * Redis prefix and data folder, removed again by `stop()`.
 */
import { execFile, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { Redis } from 'ioredis';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { freePort, GC_HOOK, REPO_ROOT, spawnNode, stopProcess, tail, waitReady } from './proc.js';
import type { Wire } from './types.js';

export type TargetKind = 'livechat' | 'ws-relay' | 'socketio';

export interface TargetSpec {
  /** Short name used on the command line and in the results. */
  id: string;
  label: string;
  kind: TargetKind;
  instances: number;
  database?: 'sqlite' | 'postgres';
  redis?: boolean;
  sqliteSynchronous?: 'FULL' | 'NORMAL';
  /** SQLite in memory: no file, no writer thread, no fsync (a diagnostic that leaves the disk out). */
  sqliteInMemory?: boolean;
  /** Experiments (bench/experiments/*.mjs, plain JavaScript) preloaded into the server: proposed changes measured without editing the server. */
  experiments?: string[];
  /** Extra server environment of an experiment. */
  experimentEnv?: Record<string, string>;
}

const experiment = (base: TargetSpec, suffix: string, files: string[], what: string): TargetSpec => ({
  ...base,
  id: `${base.id}-${suffix}`,
  label: `${base.label.replace(/\)$/, '')}, experiment: ${what})`,
  experiments: files,
});

/**
 * The Node.js flags the service runs with: `npm start`, the systemd unit and
 * docs/deploy.md pass the same (a unit test compares them).
 */
export const SERVER_NODE_FLAGS = ['--max-semi-space-size=64', '--heap-growing-percent=100'];

/**
 * The live-chat servers run the compiled service, `bin/livechat.js start`, as
 * `npm start` does, with no TypeScript loader (the one that runs the bench's
 * own TypeScript wraps every function it compiles to keep its name: a call and
 * a property store per closure the service does not pay), so their preloads
 * are plain JavaScript. It is compiled into dist/ as by `npm run build`, once
 * per process, before the first live-chat target starts.
 */
let compiled: Promise<unknown> | undefined;
function compileService(): Promise<unknown> {
  compiled ??= promisify(execFile)(
    process.execPath,
    [join(REPO_ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'],
    { cwd: REPO_ROOT },
  ).catch((error: Error & { stdout?: string }) => {
    compiled = undefined;
    throw new Error(`compiling the service failed: ${error.message}\n${error.stdout ?? ''}`);
  });
  return compiled;
}

export const TARGETS: Record<string, TargetSpec> = {
  livechat: {
    id: 'livechat',
    label: 'live chat (SQLite, synchronous=FULL, default)',
    kind: 'livechat',
    instances: 1,
    database: 'sqlite',
    sqliteSynchronous: 'FULL',
  },
  'livechat-normal': {
    id: 'livechat-normal',
    label: 'live chat (SQLite, synchronous=NORMAL)',
    kind: 'livechat',
    instances: 1,
    database: 'sqlite',
    sqliteSynchronous: 'NORMAL',
  },
  'livechat-memory': {
    id: 'livechat-memory',
    label: 'live chat (SQLite in memory, no disk: diagnostic)',
    kind: 'livechat',
    instances: 1,
    database: 'sqlite',
    sqliteInMemory: true,
  },
  'livechat-pg': {
    id: 'livechat-pg',
    label: 'live chat (PostgreSQL, one instance)',
    kind: 'livechat',
    instances: 1,
    database: 'postgres',
  },
  'livechat-cluster': {
    id: 'livechat-cluster',
    label: 'live chat ×2 (PostgreSQL + Redis)',
    kind: 'livechat',
    instances: 2,
    database: 'postgres',
    redis: true,
  },
  'ws-relay': { id: 'ws-relay', label: 'bare ws relay (floor)', kind: 'ws-relay', instances: 1 },
  socketio: { id: 'socketio', label: 'Socket.IO relay (websocket only)', kind: 'socketio', instances: 1 },
};

for (const base of ['livechat', 'livechat-normal', 'livechat-cluster']) {
  const spec = TARGETS[base]!;
  for (const t of [
    experiment(spec, 'loopmon', ['loop-monitor'], 'event-loop stalls logged'),
    {
      ...experiment(spec, 'nohb', ['loop-monitor'], 'no heartbeat sweep during the run, stalls logged'),
      experimentEnv: { LIVECHAT_HEARTBEAT_INTERVAL_MS: '86400000' },
    },
  ]) {
    TARGETS[t.id] = t;
  }
}

export interface TargetOptions {
  /** Scratch folder of this run (logs, SQLite file, data folders). */
  workDir: string;
  /** LIVECHAT_RATE_LIMIT_MESSAGES, when the load needs more than the default. */
  listenerRateLimit?: number | undefined;
  logLevel: string;
  redisUrl: string;
  postgresUrl: string;
  /** When set, server processes run with --cpu-prof and write their profiles into this folder at exit. */
  cpuProfileDir?: string | undefined;
  /** Extra environment for the target's processes (tests use it for fault injection). */
  extraEnv?: Record<string, string> | undefined;
  /** Also allow each instance's own origin (http://127.0.0.1:PORT): a browser opens its pages. */
  allowOwnOrigin?: boolean | undefined;
}

export interface RunningTarget {
  spec: TargetSpec;
  wire: Wire;
  urls: string[];
  pids: number[];
  admin: { username: string; password: string };
  /** Settings worth printing next to the figures (no secrets). */
  settings: Record<string, string>;
  logFiles: string[];
  stop(): Promise<void>;
}

/** Environment without anything that could leak into a target's configuration. */
function baseEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^(LIVECHAT_|BENCH_|DATABASE_URL$|REDIS_URL$|PORT$|HOST$|NODE_ENV$|NODE_TEST_CONTEXT$|NODE_OPTIONS$)/.test(key))
      continue;
    env[key] = value;
  }
  return env;
}

export function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  return { ...baseEnv(), ...extra };
}

async function pgAdmin(postgresUrl: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: postgresUrl, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

async function dropRedisPrefix(redisUrl: string, prefix: string): Promise<void> {
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1, connectTimeout: 3000 });
  try {
    await redis.connect();
    let cursor = '0';
    let rounds = 0;
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== '0' && ++rounds < 10_000);
  } finally {
    redis.disconnect();
  }
}

function profileFlags(options: TargetOptions, name: string): string[] {
  if (!options.cpuProfileDir) return [];
  // One folder per process: every thread (the main one, the module loader's) writes its own file.
  const dir = join(options.cpuProfileDir, `${name}-${Date.now()}`);
  mkdirSync(dir, { recursive: true });
  return ['--cpu-prof', `--cpu-prof-dir=${dir}`];
}

/** Stop functions of the targets running now (for an interrupted run). */
const active = new Set<() => Promise<void>>();

export async function stopAllTargets(): Promise<void> {
  await Promise.allSettled([...active].map((stop) => stop()));
}

export async function startTarget(spec: TargetSpec, options: TargetOptions): Promise<RunningTarget> {
  const dir = join(options.workDir, `${spec.id}-${randomBytes(3).toString('hex')}`);
  mkdirSync(dir, { recursive: true });
  const children: ChildProcess[] = [];
  const urls: string[] = [];
  const logFiles: string[] = [];
  const cleanups: (() => Promise<void>)[] = [];
  const admin = { username: 'bench-penyiar', password: randomBytes(12).toString('base64url') };
  const settings: Record<string, string> = {};

  let stopped: Promise<void> | undefined;
  const stop = () => {
    stopped ??= (async () => {
      await Promise.all(children.map((child) => stopProcess(child, 20_000)));
      for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
      active.delete(stop);
    })();
    return stopped;
  };
  active.add(stop);

  try {
    if (spec.kind !== 'livechat') {
      const port = await freePort();
      const logFile = join(dir, `${spec.id}.log`);
      const script = spec.kind === 'ws-relay' ? 'bench/baselines/ws-relay.ts' : 'bench/baselines/socketio-relay.ts';
      const child = spawnNode(
        [...profileFlags(options, spec.id), '--expose-gc', '--import', 'tsx', '--import', GC_HOOK, script],
        {
          env: childEnv({ NODE_ENV: 'production', HOST: '127.0.0.1', PORT: String(port), ...options.extraEnv }),
          logFile,
        },
      );
      children.push(child);
      logFiles.push(logFile);
      const url = `http://127.0.0.1:${port}`;
      await waitReady(`${url}/healthz`, child, 30_000).catch((error: Error) => {
        throw new Error(`${spec.id} did not start: ${error.message}\n${tail(logFile)}`);
      });
      urls.push(url);
      return {
        spec,
        wire: spec.kind === 'ws-relay' ? 'livechat' : 'socketio',
        urls,
        pids: children.map((c) => c.pid!),
        admin,
        settings,
        logFiles,
        stop,
      };
    }

    let databaseUrl: string;
    if (spec.database === 'postgres') {
      const name = `livechat_bench_${randomBytes(6).toString('hex')}`;
      await pgAdmin(options.postgresUrl, `CREATE DATABASE ${name}`);
      cleanups.push(() => pgAdmin(options.postgresUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
      const url = new URL(options.postgresUrl);
      url.pathname = `/${name}`;
      databaseUrl = url.toString();
      settings['database'] = 'PostgreSQL (fresh database)';
    } else if (spec.sqliteInMemory) {
      databaseUrl = 'sqlite::memory:';
      settings['database'] = 'SQLite in memory (no file, messages written on the event loop)';
    } else {
      databaseUrl = `sqlite:${join(dir, 'livechat.sqlite')}`;
      settings['database'] = `SQLite, synchronous=${spec.sqliteSynchronous ?? 'FULL'}`;
    }
    if (spec.experiments?.length) settings['experiments'] = spec.experiments.join(' + ');
    const env: Record<string, string> = {
      NODE_ENV: 'production',
      HOST: '127.0.0.1',
      DATABASE_URL: databaseUrl,
      LIVECHAT_JWT_SECRET: randomBytes(48).toString('base64url'),
      LIVECHAT_ADMIN_USERNAME: admin.username,
      LIVECHAT_ADMIN_PASSWORD: admin.password,
      LIVECHAT_ADMIN_NAME: 'Penyiar Bench',
      LIVECHAT_ALLOWED_ORIGINS: 'http://127.0.0.1',
      LIVECHAT_SESSION_CREATE_LIMIT_PER_MINUTE: '0',
      LIVECHAT_ADMIN_RATE_LIMIT_MESSAGES: '1000000',
      LIVECHAT_LOG_LEVEL: options.logLevel,
    };
    settings['LIVECHAT_SESSION_CREATE_LIMIT_PER_MINUTE'] = '0';
    settings['LIVECHAT_ADMIN_RATE_LIMIT_MESSAGES'] = '1000000 (two broadcasters share one account)';
    settings['LIVECHAT_LOG_LEVEL'] = options.logLevel;
    if (options.listenerRateLimit !== undefined) {
      env['LIVECHAT_RATE_LIMIT_MESSAGES'] = String(options.listenerRateLimit);
      settings['LIVECHAT_RATE_LIMIT_MESSAGES'] = String(options.listenerRateLimit);
    } else {
      settings['LIVECHAT_RATE_LIMIT_MESSAGES'] = 'default (10 per 10 s)';
    }
    Object.assign(env, spec.experimentEnv ?? {});
    if (spec.database !== 'postgres' && !spec.sqliteInMemory)
      env['LIVECHAT_SQLITE_SYNCHRONOUS'] = spec.sqliteSynchronous ?? 'FULL';
    if (spec.redis) {
      const prefix = `livechat-bench:${randomBytes(4).toString('hex')}:`;
      env['REDIS_URL'] = options.redisUrl;
      env['LIVECHAT_REDIS_PREFIX'] = prefix;
      cleanups.push(() => dropRedisPrefix(options.redisUrl, prefix));
      settings['broker'] = 'Redis (own key prefix)';
    } else {
      settings['broker'] = 'memory';
    }

    await compileService();
    for (let i = 0; i < spec.instances; i++) {
      const port = await freePort();
      const logFile = join(dir, `instance-${i}.log`);
      const preloads = (spec.experiments ?? []).flatMap((name) => [
        '--import',
        pathToFileURL(join(REPO_ROOT, `bench/experiments/${name}.mjs`)).href,
      ]);
      const child = spawnNode(
        [
          ...profileFlags(options, `${spec.id}-${i}`),
          ...SERVER_NODE_FLAGS,
          '--expose-gc',
          '--import',
          GC_HOOK,
          ...preloads,
          'bin/livechat.js',
          'start',
        ],
        {
          env: childEnv({
            ...env,
            PORT: String(port),
            LIVECHAT_DATA_DIR: join(dir, `data-${i}`),
            ...(options.allowOwnOrigin
              ? { LIVECHAT_ALLOWED_ORIGINS: `${env['LIVECHAT_ALLOWED_ORIGINS']},http://127.0.0.1:${port}` }
              : {}),
            ...options.extraEnv,
          }),
          logFile,
        },
      );
      children.push(child);
      logFiles.push(logFile);
      const url = `http://127.0.0.1:${port}`;
      await waitReady(`${url}/readyz`, child, 60_000).catch((error: Error) => {
        throw new Error(`${spec.id} instance ${i} did not start: ${error.message}\n${tail(logFile)}`);
      });
      urls.push(url);
    }
    return { spec, wire: 'livechat', urls, pids: children.map((c) => c.pid!), admin, settings, logFiles, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
