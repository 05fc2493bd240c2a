/** Turns the SDK's connection state into an honest, human-readable status. */
import type { StateChange } from '../../../src/client/index.js';
import type { Strings } from './i18n.js';

export type StatusTone = 'ok' | 'pending' | 'down';

export interface Status {
  tone: StatusTone;
  text: string;
  /** Show the "messages are kept" note and the "try now" button. */
  degraded: boolean;
}

export function describeState(change: StateChange | undefined, t: Strings, now = Date.now(), since = now): Status {
  const state = change?.state ?? 'connecting';
  switch (state) {
    case 'open':
      return { tone: 'ok', text: t.stateOpen, degraded: false };
    case 'idle':
    case 'connecting':
      return { tone: 'pending', text: t.stateConnecting, degraded: false };
    case 'reconnecting': {
      const left = change?.retryInMs !== undefined ? Math.ceil((change.retryInMs - (now - since)) / 1000) : 0;
      return { tone: 'down', text: left >= 1 ? t.stateReconnectingIn(left) : t.stateReconnecting, degraded: true };
    }
    case 'offline':
      return { tone: 'down', text: t.stateOffline, degraded: true };
    case 'expired':
      return { tone: 'down', text: t.stateExpired, degraded: true };
    case 'closed':
      return { tone: 'down', text: t.stateClosed, degraded: true };
  }
}
