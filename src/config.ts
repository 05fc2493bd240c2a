/**
 * Configuration: read from the environment once, validated, frozen.
 *
 * Every variable of the contract is parsed here and nowhere else. A bad value
 * throws a ConfigError whose message is one line naming the variable, which the
 * CLI prints before exiting with status 1.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { z } from 'zod';

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    problem: string,
  ) {
    super(`${variable}: ${problem}`);
    this.name = 'ConfigError';
  }
}

export type DatabaseConfig = { kind: 'sqlite'; path: string } | { kind: 'postgres'; url: string };
export type TrustProxy = boolean | number | string[];

export interface Config {
  readonly env: 'production' | 'development' | 'test';
  readonly port: number;
  readonly host: string;
  readonly dataDir: string;
  readonly database: DatabaseConfig;
  readonly redisUrl: string | undefined;
  /** Prefix of every Redis key and channel (several deployments can share one Redis). */
  readonly redisPrefix: string;
  /** Redis broker timings (used only with REDIS_URL). */
  readonly redisTimings: {
    /** Lifetime of a connection-registry entry its instance no longer refreshes (a crashed instance). */
    readonly registryTtlMs: number;
    /** How often an instance pushes its registry entries' expiry forward. */
    readonly registryRefreshIntervalMs: number;
    /** How often an instance looks for sessions whose entries all expired (they go offline). */
    readonly sweepIntervalMs: number;
    /** How often the Pub/Sub liveness probe runs. */
    readonly probeIntervalMs: number;
  };
  readonly jwtSecret: string;
  readonly sessionTtlSeconds: number;
  readonly adminTokenTtlSeconds: number;
  /** Broadcaster account to create or update at start (all three variables set). */
  readonly bootstrapAdmin: { username: string; password: string; name: string } | undefined;
  /** undefined = any origin. */
  readonly allowedOrigins: readonly string[] | undefined;
  readonly rateLimit: {
    readonly listenerMessages: number;
    readonly broadcasterMessages: number;
    readonly windowSeconds: number;
    /** Refused messages within one window after which the connection is closed with 1008. */
    readonly abuseThreshold: number;
    /**
     * Frames of any kind (typing and refused ones included) one listener connection may send within
     * one window before it is closed with 1008: six times what the message limit and the abuse
     * threshold let through, room for the typing signals around each message.
     */
    readonly listenerFrames: number;
    readonly sessionCreatePerMinute: number;
    /** Failed logins per username and IP within 15 minutes before login answers 429. */
    readonly loginFailures: number;
  };
  readonly maxConnectionsPerSession: number;
  /** 0 = no limit. */
  readonly maxConnectionsPerIp: number;
  readonly trustProxy: TrustProxy;
  readonly heartbeatIntervalMs: number;
  /** A connection whose unsent data grows past this is dropped (slow consumer). */
  readonly maxBufferedBytes: number;
  readonly typingThrottleMs: number;
  readonly shutdownTimeoutMs: number;
  /** When set, GET /metrics requires `Authorization: Bearer <token>`. */
  readonly metricsToken: string | undefined;
  readonly logLevel: string;
  readonly workers: number;
  /** SQLite `synchronous` pragma: FULL makes every acknowledged message survive power loss. */
  readonly sqliteSynchronous: 'FULL' | 'NORMAL';
  /** The word filter: the shipped lists (unless LIVECHAT_BLOCKED_WORDS_DEFAULT=false) plus the station's words. */
  readonly wordFilter: { readonly defaults: boolean; readonly words: readonly string[] };
  /** Days sessions and messages are kept (LIVECHAT_RETENTION_DAYS); 0 = forever. */
  readonly retentionDays: number;
  /** Things worth a warning at start (dev secret, open origins, ...). */
  readonly warnings: readonly string[];
}

type Env = Record<string, string | undefined>;

function read(env: Env, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

function integer(env: Env, name: string, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const raw = read(env, name);
  if (raw === undefined) return fallback;
  const parsed = z.coerce.number().int().min(min).max(max).safeParse(raw);
  if (!/^-?\d+$/.test(raw) || !parsed.success) {
    throw new ConfigError(name, `must be a whole number from ${min} to ${max}, got "${raw}"`);
  }
  return parsed.data;
}

function parseDatabase(raw: string | undefined, dataDir: string): DatabaseConfig {
  if (raw === undefined) return { kind: 'sqlite', path: join(dataDir, 'livechat.sqlite') };
  if (/^postgres(ql)?:\/\//i.test(raw)) {
    try {
      new URL(raw);
    } catch {
      throw new ConfigError('DATABASE_URL', 'is not a valid postgres:// URL');
    }
    return { kind: 'postgres', url: raw };
  }
  const path = raw.startsWith('sqlite:') ? raw.slice('sqlite:'.length) : raw;
  if (path === '') throw new ConfigError('DATABASE_URL', 'sqlite: needs a file path (or :memory:)');
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(path)) {
    throw new ConfigError('DATABASE_URL', 'must be postgres://…, sqlite:PATH or a file path');
  }
  return { kind: 'sqlite', path: path === ':memory:' ? path : resolve(path) };
}

function parseTrustProxy(raw: string | undefined): TrustProxy {
  if (raw === undefined || raw === 'false') return false;
  if (raw === 'true') return true;
  if (/^\d+$/.test(raw)) return Number(raw);
  const list = raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (list.length === 0) throw new ConfigError('LIVECHAT_TRUST_PROXY', 'is empty');
  return list;
}

function parseOrigins(raw: string | undefined): string[] | undefined {
  if (raw === undefined) return undefined;
  const origins = raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const origin of origins) {
    let url: URL;
    try {
      url = new URL(origin);
    } catch {
      throw new ConfigError('LIVECHAT_ALLOWED_ORIGINS', `"${origin}" is not an origin like https://radio.example`);
    }
    if (url.origin === 'null' || url.pathname !== '/' || url.search !== '' || url.hash !== '' || url.username !== '') {
      throw new ConfigError('LIVECHAT_ALLOWED_ORIGINS', `"${origin}" must be scheme://host[:port] without a path`);
    }
  }
  if (origins.length === 0) throw new ConfigError('LIVECHAT_ALLOWED_ORIGINS', 'lists no origin');
  // Browsers send the serialised origin (lower-case host, no default port): compare against that form.
  return origins.map((o) => new URL(o).origin);
}

/** Reads the dev secret kept in the data folder, creating it on first use. */
function devSecret(dataDir: string): string {
  const file = join(dataDir, 'jwt-secret');
  mkdirSync(dataDir, { recursive: true });
  try {
    // 'wx': of two processes starting together on a fresh folder, one writes and both read it.
    writeFileSync(file, randomBytes(48).toString('base64url') + '\n', { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  chmodSync(file, 0o600);
  const stored = readFileSync(file, 'utf8').trim();
  if (Buffer.byteLength(stored) >= 32) return stored;
  // A damaged or truncated file: replace it (only development tokens are invalidated).
  const secret = randomBytes(48).toString('base64url');
  writeFileSync(file, secret + '\n', { mode: 0o600 });
  return secret;
}

export function loadConfig(env: Env = process.env): Config {
  const nodeEnv = read(env, 'NODE_ENV');
  const mode = nodeEnv === 'production' ? 'production' : nodeEnv === 'test' ? 'test' : 'development';
  const warnings: string[] = [];

  const dataDirRaw = read(env, 'LIVECHAT_DATA_DIR') ?? './data';
  const dataDir = isAbsolute(dataDirRaw) ? dataDirRaw : resolve(dataDirRaw);

  const port = integer(env, 'PORT', 3000, 0, 65535);
  const host = read(env, 'HOST') ?? '0.0.0.0';
  const database = parseDatabase(read(env, 'DATABASE_URL'), dataDir);

  const redisUrl = read(env, 'REDIS_URL');
  if (redisUrl !== undefined && !/^rediss?:\/\//i.test(redisUrl)) {
    throw new ConfigError('REDIS_URL', 'must start with redis:// or rediss://');
  }

  let jwtSecret = read(env, 'LIVECHAT_JWT_SECRET');
  if (jwtSecret !== undefined && Buffer.byteLength(jwtSecret) < 32) {
    throw new ConfigError('LIVECHAT_JWT_SECRET', 'must be at least 32 bytes long');
  }
  if (jwtSecret === undefined) {
    if (mode === 'production') {
      throw new ConfigError('LIVECHAT_JWT_SECRET', 'is required when NODE_ENV=production (at least 32 bytes)');
    }
    jwtSecret = devSecret(dataDir);
    warnings.push(
      `LIVECHAT_JWT_SECRET is not set: using a development secret kept in ${join(dataDir, 'jwt-secret')}. Set it in production.`,
    );
  }

  const adminUsername = read(env, 'LIVECHAT_ADMIN_USERNAME');
  const adminPassword = env['LIVECHAT_ADMIN_PASSWORD'];
  const adminName = read(env, 'LIVECHAT_ADMIN_NAME');
  const adminSet = [adminUsername, adminPassword || undefined, adminName].filter((v) => v !== undefined).length;
  if (adminSet > 0 && adminSet < 3) {
    warnings.push(
      'LIVECHAT_ADMIN_USERNAME, LIVECHAT_ADMIN_PASSWORD and LIVECHAT_ADMIN_NAME are only used when all three are set.',
    );
  }
  if (adminSet === 3 && adminPassword !== undefined && adminPassword.length < 8) {
    throw new ConfigError('LIVECHAT_ADMIN_PASSWORD', 'must be at least 8 characters long');
  }

  const allowedOrigins = parseOrigins(read(env, 'LIVECHAT_ALLOWED_ORIGINS'));
  if (allowedOrigins === undefined) {
    warnings.push(
      'LIVECHAT_ALLOWED_ORIGINS is not set: WebSocket upgrades and browser requests from any origin are accepted.',
    );
  }

  const listenerMessages = integer(env, 'LIVECHAT_RATE_LIMIT_MESSAGES', 10, 1);
  const redisTimings = parseRedisTimings(env);
  const config: Config = {
    env: mode,
    port,
    host,
    dataDir,
    database,
    redisUrl,
    redisPrefix: read(env, 'LIVECHAT_REDIS_PREFIX') ?? 'livechat:',
    redisTimings,
    jwtSecret,
    sessionTtlSeconds: integer(env, 'LIVECHAT_SESSION_TTL_SECONDS', 7200, 60, 365 * 24 * 3600),
    adminTokenTtlSeconds: integer(env, 'LIVECHAT_ADMIN_TOKEN_TTL_SECONDS', 12 * 3600, 60, 30 * 24 * 3600),
    bootstrapAdmin:
      adminSet === 3 ? { username: adminUsername!, password: adminPassword!, name: adminName! } : undefined,
    allowedOrigins,
    rateLimit: {
      listenerMessages,
      broadcasterMessages: integer(env, 'LIVECHAT_ADMIN_RATE_LIMIT_MESSAGES', Math.max(60, listenerMessages * 6), 1),
      windowSeconds: integer(env, 'LIVECHAT_RATE_LIMIT_WINDOW_SECONDS', 10, 1, 86400),
      abuseThreshold: ABUSE_THRESHOLD,
      listenerFrames: 6 * (listenerMessages + ABUSE_THRESHOLD),
      sessionCreatePerMinute: integer(env, 'LIVECHAT_SESSION_CREATE_LIMIT_PER_MINUTE', 60, 0),
      loginFailures: integer(env, 'LIVECHAT_LOGIN_FAILURE_LIMIT', 5, 1),
    },
    maxConnectionsPerSession: integer(env, 'LIVECHAT_MAX_CONNECTIONS_PER_SESSION', 5, 1),
    maxConnectionsPerIp: integer(env, 'LIVECHAT_MAX_CONNECTIONS_PER_IP', 0, 0),
    trustProxy: parseTrustProxy(read(env, 'LIVECHAT_TRUST_PROXY')),
    heartbeatIntervalMs: integer(env, 'LIVECHAT_HEARTBEAT_INTERVAL_MS', 30_000, 100),
    maxBufferedBytes: integer(env, 'LIVECHAT_MAX_BUFFERED_BYTES', 1024 * 1024, 16 * 1024),
    typingThrottleMs: integer(env, 'LIVECHAT_TYPING_THROTTLE_MS', 1000, 0),
    shutdownTimeoutMs: integer(env, 'LIVECHAT_SHUTDOWN_TIMEOUT_MS', 10_000, 0),
    metricsToken: read(env, 'LIVECHAT_METRICS_TOKEN'),
    logLevel: parseLogLevel(read(env, 'LIVECHAT_LOG_LEVEL'), mode),
    workers: integer(env, 'LIVECHAT_WORKERS', 1, 1, 256),
    sqliteSynchronous: parseSynchronous(read(env, 'LIVECHAT_SQLITE_SYNCHRONOUS')),
    wordFilter: parseWordFilter(env),
    retentionDays: integer(env, 'LIVECHAT_RETENTION_DAYS', 90, 0, 36_500),
    warnings,
  };
  if (config.workers > 1 && redisUrl === undefined) {
    throw new ConfigError(
      'LIVECHAT_WORKERS',
      'more than one worker needs REDIS_URL (workers share state through Redis)',
    );
  }
  return deepFreeze(config);
}

/** Refused messages within one window after which a connection is closed with 1008 (contract v1). */
const ABUSE_THRESHOLD = 10;

/** Crashed-instance expiry must stay within the contract's 30 seconds: TTL plus one sweep. */
const OFFLINE_WITHIN_MS = 30_000;

function parseRedisTimings(env: Env): Config['redisTimings'] {
  const registryTtlMs = integer(env, 'LIVECHAT_REDIS_REGISTRY_TTL_MS', 15_000, 200, OFFLINE_WITHIN_MS);
  const registryRefreshIntervalMs = integer(env, 'LIVECHAT_REDIS_REGISTRY_REFRESH_MS', 5000, 50, OFFLINE_WITHIN_MS);
  const sweepIntervalMs = integer(env, 'LIVECHAT_REDIS_SWEEP_INTERVAL_MS', 5000, 50, OFFLINE_WITHIN_MS);
  const probeIntervalMs = integer(env, 'LIVECHAT_REDIS_PROBE_INTERVAL_MS', 5000, 50, 10 * 60_000);
  if (registryRefreshIntervalMs >= registryTtlMs) {
    throw new ConfigError(
      'LIVECHAT_REDIS_REGISTRY_REFRESH_MS',
      `must be shorter than LIVECHAT_REDIS_REGISTRY_TTL_MS (${registryTtlMs}), got ${registryRefreshIntervalMs}`,
    );
  }
  if (registryTtlMs + sweepIntervalMs > OFFLINE_WITHIN_MS) {
    throw new ConfigError(
      'LIVECHAT_REDIS_REGISTRY_TTL_MS',
      `plus LIVECHAT_REDIS_SWEEP_INTERVAL_MS must stay within ${OFFLINE_WITHIN_MS} (a crashed instance's sessions go offline within 30 seconds)`,
    );
  }
  return { registryTtlMs, registryRefreshIntervalMs, sweepIntervalMs, probeIntervalMs };
}

/** Longest blocked word or phrase accepted. */
const MAX_BLOCKED_WORD_LENGTH = 100;

function parseWordFilter(env: Env): Config['wordFilter'] {
  const rawDefault = read(env, 'LIVECHAT_BLOCKED_WORDS_DEFAULT')?.toLowerCase();
  if (rawDefault !== undefined && rawDefault !== 'true' && rawDefault !== 'false') {
    throw new ConfigError('LIVECHAT_BLOCKED_WORDS_DEFAULT', `must be true or false, got "${rawDefault}"`);
  }
  const words = blockedWords('LIVECHAT_BLOCKED_WORDS', (read(env, 'LIVECHAT_BLOCKED_WORDS') ?? '').split(','));
  const file = read(env, 'LIVECHAT_BLOCKED_WORDS_FILE');
  if (file !== undefined) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      throw new ConfigError('LIVECHAT_BLOCKED_WORDS_FILE', `cannot be read: ${(error as Error).message}`);
    }
    // One word or phrase a line; blank lines and lines starting with # are skipped.
    const lines = text.split(/\r?\n/).filter((line) => !line.trim().startsWith('#'));
    words.push(...blockedWords('LIVECHAT_BLOCKED_WORDS_FILE', lines));
  }
  return { defaults: rawDefault !== 'false', words };
}

function blockedWords(variable: string, entries: string[]): string[] {
  const words: string[] = [];
  for (const entry of entries) {
    const word = entry.normalize('NFC').trim().replace(/\s+/g, ' ');
    if (word === '') continue;
    if (!/^[\p{L}\p{N}][\p{L}\p{N}\p{M} '._-]*$/u.test(word) || [...word].length > MAX_BLOCKED_WORD_LENGTH) {
      throw new ConfigError(
        variable,
        `"${word.slice(0, 40)}" must be letters and digits (spaces, ' . _ - inside), at most ${MAX_BLOCKED_WORD_LENGTH} characters`,
      );
    }
    words.push(word);
  }
  return words;
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
function parseLogLevel(raw: string | undefined, mode: Config['env']): string {
  if (raw === undefined) return mode === 'test' ? 'silent' : 'info';
  if (!LOG_LEVELS.includes(raw)) throw new ConfigError('LIVECHAT_LOG_LEVEL', `must be one of ${LOG_LEVELS.join(', ')}`);
  return raw;
}

function parseSynchronous(raw: string | undefined): 'FULL' | 'NORMAL' {
  const value = (raw ?? 'FULL').toUpperCase();
  if (value !== 'FULL' && value !== 'NORMAL')
    throw new ConfigError('LIVECHAT_SQLITE_SYNCHRONOUS', 'must be FULL or NORMAL');
  return value;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
  }
  return value;
}
