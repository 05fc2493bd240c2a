/**
 * Erasing a listener session for real: its row and messages go (one
 * transaction, see SessionRepository.erase), then its open connections on
 * every instance get `session:erased` and close with 1000, and broadcasters
 * get `session:erased`. Shared by the listener's own erase and any other
 * caller that erases a session.
 */
import type { Logger } from 'pino';
import type { Store } from '../db/types.js';
import type { Hub } from '../hub/hub.js';
import { CloseCode } from '../protocol/close-codes.js';

export interface SessionEraserDeps {
  store: Store;
  hub: Hub;
  logger: Logger;
}

/**
 * Erases the session; false when there was none (then nothing is published).
 * The publications run after the commit; a broker failure is logged: the data
 * is gone either way, and a connection left open can no longer reconnect.
 */
export async function eraseSession(deps: SessionEraserDeps, sessionId: string): Promise<boolean> {
  const existed = await deps.store.sessions.erase(sessionId);
  if (!existed) return false;
  const results = await Promise.allSettled([
    deps.hub.closeSession(sessionId, 'session:erased', { sessionId }, CloseCode.Normal),
    deps.hub.toBroadcasters('session:erased', { sessionId }),
  ]);
  for (const result of results) {
    if (result.status === 'rejected')
      deps.logger.error({ err: result.reason, sessionId }, 'publishing an erase failed');
  }
  deps.logger.info({ sessionId }, 'session erased');
  return true;
}
