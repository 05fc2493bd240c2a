/**
 * Single-process broker: fan-out is a function call, the registry and rate
 * limits live in this process's memory. The default when REDIS_URL is unset.
 */
import { randomUUID } from 'node:crypto';
import { RateLimiterMemory, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type {
  AcquireResult,
  Broker,
  ConnectionEntry,
  ConnectionRegistry,
  BrokerHandlers,
  Publication,
  RateLimiterOptions,
} from '../types.js';

export class MemoryRegistry implements ConnectionRegistry {
  private readonly bySession = new Map<string, Set<string>>();
  private readonly byIp = new Map<string, Set<string>>();

  async acquire(entry: ConnectionEntry, limits: { perSession: number; perIp: number }): Promise<AcquireResult> {
    const ipSet = this.byIp.get(entry.ip);
    if (limits.perIp > 0 && ipSet !== undefined && ipSet.size >= limits.perIp) return { ok: false, reason: 'ip_limit' };
    let firstForSession = false;
    if (entry.sessionId !== undefined) {
      const sessionSet = this.bySession.get(entry.sessionId);
      if (limits.perSession > 0 && sessionSet !== undefined && sessionSet.size >= limits.perSession) {
        return { ok: false, reason: 'session_limit' };
      }
      firstForSession = add(this.bySession, entry.sessionId, entry.connectionId);
    }
    add(this.byIp, entry.ip, entry.connectionId);
    return { ok: true, firstForSession };
  }

  async release(entry: ConnectionEntry): Promise<{ lastForSession: boolean }> {
    remove(this.byIp, entry.ip, entry.connectionId);
    if (entry.sessionId === undefined) return { lastForSession: false };
    return { lastForSession: remove(this.bySession, entry.sessionId, entry.connectionId) };
  }

  async onlineSessions(sessionIds: readonly string[]): Promise<Set<string>> {
    return new Set(sessionIds.filter((id) => this.bySession.has(id)));
  }
}

/** Adds to a set in a map; true when the set was created (first member). */
function add(map: Map<string, Set<string>>, key: string, member: string): boolean {
  const set = map.get(key);
  if (set) {
    set.add(member);
    return false;
  }
  map.set(key, new Set([member]));
  return true;
}

/** Removes from a set in a map; true when that emptied it (last member gone). */
function remove(map: Map<string, Set<string>>, key: string, member: string): boolean {
  const set = map.get(key);
  if (!set || !set.delete(member)) return false;
  if (set.size > 0) return false;
  map.delete(key);
  return true;
}

export class MemoryBroker implements Broker {
  readonly kind = 'memory' as const;
  readonly instanceId = randomUUID();
  readonly registry = new MemoryRegistry();
  private handlers: BrokerHandlers | undefined;
  /** Channels this instance subscribed to: only their publications are delivered (as with Redis). */
  private readonly channels = new Set<string>();

  async start(handlers: BrokerHandlers): Promise<void> {
    this.handlers = handlers;
  }

  async publish(publication: Publication): Promise<void> {
    if (this.channels.has(publication.channel)) this.handlers?.onDelivery(publication);
  }

  async subscribe(channel: string): Promise<void> {
    this.channels.add(channel);
  }

  async unsubscribe(channel: string): Promise<void> {
    this.channels.delete(channel);
  }

  rateLimiter(options: RateLimiterOptions): RateLimiterAbstract {
    return new RateLimiterMemory({
      keyPrefix: options.keyPrefix,
      points: options.points,
      duration: options.durationSeconds,
    });
  }

  async ping(): Promise<void> {}

  async close(): Promise<void> {
    this.handlers = undefined;
  }
}
