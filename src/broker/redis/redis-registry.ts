/**
 * Connection registry shared by every instance through Redis (see scripts.ts
 * for the data model). Each instance also keeps its own entries in memory: to
 * refresh their expiry, to release them at close, and to fall back on
 * per-instance limits and presence while Redis is unreachable (the next refresh
 * registers those entries in Redis once it is back).
 */
import type { Logger } from 'pino';
import type { Redis } from 'ioredis';
import type { AcquireResult, ConnectionEntry, ConnectionLimits, ConnectionRegistry } from '../registry.js';
import {
  acquireLua,
  onlineCountLua,
  onlineIdsLua,
  onlineLua,
  refreshLua,
  releaseLua,
  sweepCandidatesLua,
  sweepLua,
} from './scripts.js';

type ScriptFn = (numberOfKeys: number, ...keysAndArgs: (string | number)[]) => Promise<unknown>;

/** The command connection with the registry scripts defined on it. */
interface ScriptedRedis {
  livechatAcquire: ScriptFn;
  livechatRelease: ScriptFn;
  livechatRefresh: ScriptFn;
  livechatSweepCandidates: ScriptFn;
  livechatSweep: ScriptFn;
  livechatOnline: ScriptFn;
  livechatOnlineIds: ScriptFn;
  livechatOnlineCount: ScriptFn;
}

export function defineRegistryScripts(redis: Redis): void {
  redis.defineCommand('livechatAcquire', { lua: acquireLua });
  redis.defineCommand('livechatRelease', { lua: releaseLua });
  redis.defineCommand('livechatRefresh', { lua: refreshLua });
  redis.defineCommand('livechatSweepCandidates', { lua: sweepCandidatesLua });
  redis.defineCommand('livechatSweep', { lua: sweepLua });
  redis.defineCommand('livechatOnline', { lua: onlineLua });
  redis.defineCommand('livechatOnlineIds', { lua: onlineIdsLua });
  redis.defineCommand('livechatOnlineCount', { lua: onlineCountLua });
}

export interface RedisRegistryOptions {
  redis: Redis;
  keyPrefix: string;
  instanceId: string;
  ttlMs: number;
  logger: Logger;
  /** Told about every Redis failure that made an operation fall back to local state. */
  onFallback(operation: string, error: unknown): void;
}

/** Registry entries per script call (keeps each script run short). */
const BATCH = 200;

export class RedisRegistry implements ConnectionRegistry {
  /** This instance's entries, by connectionId. */
  private readonly local = new Map<string, ConnectionEntry>();
  private readonly redis: Redis & ScriptedRedis;
  private readonly prefix: string;
  private readonly instanceId: string;
  private readonly ttlMs: number;
  private readonly logger: Logger;
  private readonly onFallback: RedisRegistryOptions['onFallback'];
  private readonly indexKey: string;

  constructor(options: RedisRegistryOptions) {
    this.redis = options.redis as Redis & ScriptedRedis;
    this.prefix = options.keyPrefix;
    this.instanceId = options.instanceId;
    this.ttlMs = options.ttlMs;
    this.logger = options.logger;
    this.onFallback = options.onFallback;
    this.indexKey = `${this.prefix}reg:sessions`;
  }

  private sessionKey(sessionId: string): string {
    return `${this.prefix}reg:session:${sessionId}`;
  }

  private ipKey(ip: string): string {
    return `${this.prefix}reg:ip:${ip}`;
  }

  private member(entry: ConnectionEntry): string {
    return `${this.instanceId}:${entry.connectionId}`;
  }

  /** Number of entries this instance holds. */
  get size(): number {
    return this.local.size;
  }

  async acquire(entry: ConnectionEntry, limits: ConnectionLimits): Promise<AcquireResult> {
    const sessionId = entry.sessionId ?? '';
    let reply: unknown;
    try {
      reply = await this.redis.livechatAcquire(
        3,
        this.ipKey(entry.ip),
        this.sessionKey(sessionId),
        this.indexKey,
        this.member(entry),
        this.ttlMs,
        Math.max(0, limits.perSession),
        Math.max(0, limits.perIp),
        sessionId,
      );
    } catch (error) {
      this.onFallback('acquire', error);
      return this.acquireLocally(entry, limits);
    }
    const [ok, detail] = reply as [number, number | string];
    if (ok !== 1) return { ok: false, reason: detail === 'ip_limit' ? 'ip_limit' : 'session_limit' };
    this.local.set(entry.connectionId, entry);
    return { ok: true, firstForSession: detail === 1 };
  }

  async release(entry: ConnectionEntry): Promise<{ lastForSession: boolean }> {
    // Deleting locally and sending the script in the same tick keeps the order
    // with a refresh on this connection: a released entry is never re-added.
    const held = this.local.delete(entry.connectionId);
    const sessionId = entry.sessionId ?? '';
    try {
      const reply = await this.redis.livechatRelease(
        3,
        this.ipKey(entry.ip),
        this.sessionKey(sessionId),
        this.indexKey,
        this.member(entry),
        sessionId,
      );
      return { lastForSession: reply === 1 };
    } catch (error) {
      // Redis keeps the entry until it expires; presence follows this instance's view.
      this.onFallback('release', error);
      return { lastForSession: held && sessionId !== '' && !this.hasLocalSession(sessionId) };
    }
  }

  async onlineSessions(sessionIds: readonly string[]): Promise<Set<string>> {
    const ids = [...new Set(sessionIds)];
    if (ids.length === 0) return new Set();
    try {
      const online = new Set<string>();
      for (let i = 0; i < ids.length; i += BATCH) {
        const chunk = ids.slice(i, i + BATCH);
        const flags = (await this.redis.livechatOnline(
          chunk.length,
          ...chunk.map((id) => this.sessionKey(id)),
        )) as number[];
        chunk.forEach((id, j) => {
          if (flags[j] === 1) online.add(id);
        });
      }
      return online;
    } catch (error) {
      this.onFallback('onlineSessions', error);
      return new Set(ids.filter((id) => this.hasLocalSession(id)));
    }
  }

  async onlineSessionIds(max: number): Promise<string[]> {
    try {
      return (await this.redis.livechatOnlineIds(1, this.indexKey, Math.max(0, max))) as string[];
    } catch (error) {
      this.onFallback('onlineSessionIds', error);
      return [...this.localSessions()].slice(0, max);
    }
  }

  async countOnlineSessions(): Promise<number> {
    try {
      return Number(await this.redis.livechatOnlineCount(1, this.indexKey));
    } catch (error) {
      this.onFallback('countOnlineSessions', error);
      return this.localSessions().size;
    }
  }

  private localSessions(): Set<string> {
    const ids = new Set<string>();
    for (const entry of this.local.values()) if (entry.sessionId !== undefined) ids.add(entry.sessionId);
    return ids;
  }

  /**
   * Pushes the expiry of this instance's entries forward (and re-registers any
   * Redis lost). The snapshot and the sends happen in one tick, see release().
   * Resolves with how many members had to be re-added.
   */
  refresh(): Promise<number> {
    if (this.local.size === 0) return Promise.resolve(0);
    const calls: Promise<unknown>[] = [];
    let keys: string[] = [];
    let args: string[] = [];
    const flush = (): void => {
      if (keys.length === 0) return;
      calls.push(this.redis.livechatRefresh(keys.length + 1, this.indexKey, ...keys, String(this.ttlMs), ...args));
      keys = [];
      args = [];
    };
    for (const entry of this.local.values()) {
      const member = this.member(entry);
      keys.push(this.ipKey(entry.ip));
      args.push(member, '');
      if (entry.sessionId !== undefined) {
        keys.push(this.sessionKey(entry.sessionId));
        args.push(member, entry.sessionId);
      }
      if (keys.length >= BATCH) flush();
    }
    flush();
    return Promise.all(calls).then((counts) => counts.reduce<number>((sum, n) => sum + Number(n), 0));
  }

  /**
   * Takes out the sessions whose every member expired (their instance died).
   * Atomic per session: across all instances sweeping at once, each such
   * session is returned to exactly one caller.
   */
  async sweep(maxSessions = 1000): Promise<string[]> {
    const expired: string[] = [];
    while (expired.length < maxSessions) {
      const candidates = (await this.redis.livechatSweepCandidates(1, this.indexKey, BATCH)) as string[];
      if (candidates.length === 0) break;
      const taken = (await this.redis.livechatSweep(
        candidates.length + 1,
        this.indexKey,
        ...candidates.map((id) => this.sessionKey(id)),
        ...candidates,
      )) as string[];
      expired.push(...taken);
      if (candidates.length < BATCH) break;
    }
    return expired;
  }

  /**
   * Releases every entry this instance still holds (at close). Resolves with
   * the sessions that had their last connection here.
   */
  async releaseAll(): Promise<string[]> {
    const entries = [...this.local.values()];
    const results = await Promise.all(entries.map(async (entry) => ({ entry, result: await this.release(entry) })));
    return [
      ...new Set(
        results.flatMap(({ entry, result }) =>
          result.lastForSession && entry.sessionId !== undefined ? [entry.sessionId] : [],
        ),
      ),
    ];
  }

  /** Forgets local entries without touching Redis (a simulated crash). */
  forgetLocally(): void {
    this.local.clear();
  }

  private hasLocalSession(sessionId: string): boolean {
    for (const entry of this.local.values()) if (entry.sessionId === sessionId) return true;
    return false;
  }

  /** Per-instance limits and presence while Redis is unreachable. */
  private acquireLocally(entry: ConnectionEntry, limits: ConnectionLimits): AcquireResult {
    if (this.local.has(entry.connectionId)) {
      return { ok: true, firstForSession: false };
    }
    let ipCount = 0;
    let sessionCount = 0;
    for (const other of this.local.values()) {
      if (other.ip === entry.ip) ipCount += 1;
      if (entry.sessionId !== undefined && other.sessionId === entry.sessionId) sessionCount += 1;
    }
    if (limits.perIp > 0 && ipCount >= limits.perIp) return { ok: false, reason: 'ip_limit' };
    if (entry.sessionId !== undefined && limits.perSession > 0 && sessionCount >= limits.perSession) {
      return { ok: false, reason: 'session_limit' };
    }
    this.local.set(entry.connectionId, entry);
    this.logger.debug({ connectionId: entry.connectionId }, 'registry: registered locally while Redis is unreachable');
    return { ok: true, firstForSession: entry.sessionId !== undefined && sessionCount === 0 };
  }
}
