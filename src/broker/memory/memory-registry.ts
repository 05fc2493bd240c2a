/** Connection registry of a single process: limits and presence in memory. */
import type { AcquireResult, ConnectionEntry, ConnectionLimits, ConnectionRegistry } from '../registry.js';

export class MemoryRegistry implements ConnectionRegistry {
  private readonly bySession = new Map<string, Set<string>>();
  private readonly byIp = new Map<string, Set<string>>();

  async acquire(entry: ConnectionEntry, limits: ConnectionLimits): Promise<AcquireResult> {
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

  async onlineSessionIds(max: number): Promise<string[]> {
    return [...this.bySession.keys()].slice(0, max);
  }

  async countOnlineSessions(): Promise<number> {
    return this.bySession.size;
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
