/**
 * What the client does when its connection ends, by the contract's close
 * codes and, where the WebSocket implementation reports it (the `ws`
 * package), the HTTP status of a refused upgrade.
 */
import { CloseCode } from '../protocol/index.js';
import type { Backoff } from './backoff.js';

/**
 * - `renew-token`: 4401 or HTTP 401: get a fresh token, then reconnect
 * - `forbidden`: HTTP 403 or 4403 (the session was banned): retrying cannot help
 * - `erased`: 1000 from the server: the session was erased; its token is dead
 * - `going-away`: 1001: the server restarts; come back soon
 * - `policy`: 1008 or HTTP 429: back off long
 * - `backoff`: anything else: the jittered exponential backoff
 */
export type CloseAction = 'renew-token' | 'forbidden' | 'erased' | 'going-away' | 'policy' | 'backoff';

/** `error` is the socket's last error message, where an HTTP status of the upgrade may show (`Unexpected server response: 401`). */
export function closeAction(code: number, error: string | undefined): CloseAction {
  const httpStatus = /\b(\d{3})\b/.exec(error ?? '')?.[1];
  if (code === CloseCode.TokenExpired || httpStatus === '401') return 'renew-token';
  if (httpStatus === '403' || code === CloseCode.Banned) return 'forbidden';
  if (code === CloseCode.Normal) return 'erased';
  if (code === CloseCode.GoingAway) return 'going-away';
  if (code === CloseCode.PolicyViolation || httpStatus === '429') return 'policy';
  return 'backoff';
}

export interface ReconnectDelayOptions {
  backoff: Backoff;
  random: () => number;
  /** `going-away`: a random delay up to this. */
  goingAwayDelayMs: number;
  /** `policy`: between half of this and all of it. */
  policyDelayMs: number;
}

/** Milliseconds to wait before reconnecting; `going-away` starts the backoff over, `backoff` advances it. */
export function reconnectDelay(action: 'going-away' | 'policy' | 'backoff', options: ReconnectDelayOptions): number {
  switch (action) {
    case 'going-away':
      options.backoff.reset();
      return Math.round(options.random() * options.goingAwayDelayMs);
    case 'policy':
      return Math.round(options.policyDelayMs / 2 + (options.random() * options.policyDelayMs) / 2);
    case 'backoff':
      return options.backoff.next();
  }
}
