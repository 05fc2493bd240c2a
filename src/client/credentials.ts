/** The token a client connects with, when it expires, and what a `refreshToken` callback may return. */

/** A fresh token: a string, or an object carrying it (e.g. the answer of `createSession` or `loginBroadcaster`). */
export type TokenRefresh = string | { token?: string; sessionToken?: string; expiresAt?: string; sessionId?: string };

/** An expiry as the options take it: ISO string, epoch ms or Date. */
export type Expiry = string | number | Date;

/** The current token and its known expiry (given, or read from the JWT's `exp`). */
export class Credentials {
  private current = '';
  private expiresAtMs: number | undefined;

  constructor(token: string, expiresAt?: Expiry) {
    this.set(token, expiresAt);
  }

  get token(): string {
    return this.current;
  }

  set(token: string, expiresAt?: Expiry): void {
    this.current = token;
    this.expiresAtMs = toMillis(expiresAt) ?? jwtExpiry(token);
  }

  /** Whether the known expiry has passed at `now` (never, when none is known). */
  expiredAt(now: number): boolean {
    return this.expiresAtMs !== undefined && now >= this.expiresAtMs;
  }
}

/** The token and expiry carried by a `refreshToken` result, or undefined when it carries none (give up). */
export function tokenOf(
  refresh: TokenRefresh | null | undefined,
): { token: string; expiresAt: string | undefined } | undefined {
  if (!refresh) return undefined;
  if (typeof refresh === 'string') return { token: refresh, expiresAt: undefined };
  const token = refresh.token ?? refresh.sessionToken;
  return token ? { token, expiresAt: refresh.expiresAt } : undefined;
}

/** Milliseconds since the epoch of a JWT's `exp` claim, or undefined when it has none or is not a JWT. */
export function jwtExpiry(token: string): number | undefined {
  const part = token.split('.')[1];
  if (!part) return undefined;
  try {
    const base64 = part
      .replace(/-/g, '+')
      .replace(/_/g, '/')
      .padEnd(Math.ceil(part.length / 4) * 4, '=');
    const json = JSON.parse(atob(base64)) as { exp?: unknown };
    return typeof json.exp === 'number' ? json.exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}

function toMillis(value: Expiry | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms = value instanceof Date ? value.getTime() : typeof value === 'number' ? value : Date.parse(value);
  return Number.isFinite(ms) ? ms : undefined;
}
