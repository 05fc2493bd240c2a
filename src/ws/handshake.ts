/**
 * Decides whether a WebSocket upgrade may proceed, before any socket exists:
 * endpoint, origin, token (kind, signature, expiry), the account or session
 * still existing. Connection limits are checked afterwards by the gateway,
 * because they register the connection.
 */
import type { IncomingMessage } from 'node:http';
import type { Logger } from 'pino';
import type { TokenService } from '../auth/tokens.js';
import type { Config } from '../config.js';
import type { AdminRole, Store } from '../db/types.js';
import { isOriginAllowed } from '../http/origin.js';
import { safePath } from '../logger.js';
import type { RefusalReason } from '../metrics.js';

export const LISTENER_PATH = '/livechat/ws';
export const BROADCASTER_PATH = '/livechat/admin/ws';

export interface ListenerPrincipal {
  kind: 'listener';
  sessionId: string;
  name: string;
  city: string;
  expiresAt: Date;
  /** The device the session was opened from, when the client sent one (for bans by device). */
  deviceId: string | null;
  /** Raw `lastMessageId` query value, validated by the endpoint. */
  lastMessageId: string | undefined;
  /**
   * Whether the session had a message stored when the handshake read it (its `lastMessageAt`,
   * which every stored reply sets): a new session's first connection needs no read for its start.
   */
  hadMessages: boolean;
}

export interface BroadcasterPrincipal {
  kind: 'broadcaster';
  adminId: string;
  name: string;
  expiresAt: Date;
  /** The token's id and version, checked against logout and account changes. */
  tokenId: string;
  tokenVersion: number;
  role: AdminRole;
}

export type HandshakeResult =
  | { ok: true; principal: ListenerPrincipal | BroadcasterPrincipal }
  | { ok: false; status: 401 | 403 | 404 | 503; reason: RefusalReason };

export interface HandshakeDeps {
  config: Pick<Config, 'allowedOrigins'>;
  tokens: TokenService;
  store: Store;
  logger: Logger;
}

export async function checkHandshake(req: IncomingMessage, deps: HandshakeDeps): Promise<HandshakeResult> {
  let url: URL;
  try {
    url = new URL(req.url ?? '/', 'http://localhost');
  } catch {
    return { ok: false, status: 404, reason: 'not_found' };
  }
  const kind =
    url.pathname === LISTENER_PATH ? 'listener' : url.pathname === BROADCASTER_PATH ? 'broadcaster' : undefined;
  if (!kind) return { ok: false, status: 404, reason: 'not_found' };

  if (!isOriginAllowed(req.headers.origin, deps.config.allowedOrigins)) {
    return { ok: false, status: 403, reason: 'origin' };
  }

  const token = url.searchParams.get('token');
  try {
    if (kind === 'listener') {
      const result = await deps.tokens.verify(token, 'listener');
      if (!result.ok) return refuseToken(result.reason);
      const session = await deps.store.sessions.get(result.claims.sessionId);
      if (!session) return { ok: false, status: 401, reason: 'unauthorized' };
      return {
        ok: true,
        principal: {
          kind,
          sessionId: session.id,
          name: session.name,
          city: session.city,
          expiresAt: result.claims.expiresAt,
          deviceId: session.deviceId,
          lastMessageId: url.searchParams.get('lastMessageId') ?? undefined,
          hadMessages: session.lastMessageAt !== null,
        },
      };
    }
    const result = await deps.tokens.verify(token, 'broadcaster');
    if (!result.ok) return refuseToken(result.reason);
    const admin = await deps.store.admins.findById(result.claims.adminId);
    // Disabled, or signed before its password changed: refused like an expired token.
    if (!admin || admin.disabled || admin.tokenVersion !== result.claims.tokenVersion) {
      return { ok: false, status: 401, reason: 'unauthorized' };
    }
    return {
      ok: true,
      principal: {
        kind,
        adminId: admin.id,
        name: admin.displayName,
        expiresAt: result.claims.expiresAt,
        tokenId: result.claims.tokenId,
        tokenVersion: result.claims.tokenVersion,
        role: admin.role,
      },
    };
  } catch (error) {
    // The database did not answer: the client may retry.
    deps.logger.error({ err: error, kind, path: safePath(req.url) }, 'handshake: the database did not answer');
    return { ok: false, status: 503, reason: 'unavailable' };
  }
}

function refuseToken(reason: string): HandshakeResult {
  return reason === 'wrong_kind'
    ? { ok: false, status: 403, reason: 'wrong_kind' }
    : { ok: false, status: 401, reason: 'unauthorized' };
}
