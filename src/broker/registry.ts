/**
 * Connection registry: which connections are open on any instance, for the
 * per-session and per-IP limits and for presence (centrifuge's PresenceManager).
 */

export interface ConnectionEntry {
  connectionId: string;
  /** Listener connections only. */
  sessionId?: string | undefined;
  ip: string;
}

export interface ConnectionLimits {
  /** 0 = no limit. */
  perSession: number;
  perIp: number;
}

export type AcquireResult =
  { ok: true; firstForSession: boolean } | { ok: false; reason: 'session_limit' | 'ip_limit' };

export interface ConnectionRegistry {
  /** Registers a connection unless a limit would be exceeded. */
  acquire(entry: ConnectionEntry, limits: ConnectionLimits): Promise<AcquireResult>;
  /** Unregisters it; `lastForSession` when no connection of the session is left anywhere. */
  release(entry: ConnectionEntry): Promise<{ lastForSession: boolean }>;
  /** Which of these sessions have at least one open connection on any instance. */
  onlineSessions(sessionIds: readonly string[]): Promise<Set<string>>;
  /** Sessions with at least one open connection on any instance (at most `max` of them). */
  onlineSessionIds(max: number): Promise<string[]>;
  /** How many sessions have at least one open connection on any instance. */
  countOnlineSessions(): Promise<number>;
}
