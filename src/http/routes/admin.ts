/** Broadcaster REST: login, the session list and a session's history. */
import { Router } from 'express';
import type { Logger } from 'pino';
import { verifyAgainstDummy, verifyPassword } from '../../auth/passwords.js';
import type { TokenService } from '../../auth/tokens.js';
import type { ConnectionRegistry } from '../../broker/registry.js';
import { toMessage } from '../../chat/chat-service.js';
import type { Config } from '../../config.js';
import type { Store } from '../../db/types.js';
import type { ModerationState } from '../../moderation/state.js';
import { requireAdmin as adminAuth } from '../admin-auth.js';
import { decodeSessionCursor, encodeSessionCursor } from '../../db/session-cursor.js';
import { HttpError } from '../../errors.js';
import {
  adminLoginRequestSchema,
  messageListQuerySchema,
  sessionIdSchema,
  sessionListQuerySchema,
} from '../../protocol/events.js';
import { limitLoginAttempt, type LoginLimiters } from '../login-attempts.js';
import { validate } from '../validate.js';

export interface AdminRouteDeps extends LoginLimiters {
  config: Config;
  store: Store;
  tokens: TokenService;
  registry: ConnectionRegistry;
  logger: Logger;
  moderation: ModerationState;
}

export function adminRoutes(deps: AdminRouteDeps): Router {
  const router = Router();
  const { store, tokens, config, logger } = deps;

  router.post('/livechat/admin/login', async (req, res) => {
    const { username, password } = validate(adminLoginRequestSchema, req.body);
    const ip = req.ip ?? 'unknown';
    const admin = await limitLoginAttempt(deps, { username, ip }, logger, async () => {
      const found = await store.admins.findByUsername(username);
      const valid = found ? await verifyPassword(password, found.passwordHash) : await verifyAgainstDummy(password);
      return valid ? found : undefined;
    });
    if (!admin) {
      logger.info({ ip }, 'broadcaster login refused');
      throw new HttpError('invalid_credentials');
    }
    if (admin.disabled) {
      logger.info({ ip, adminId: admin.id }, 'broadcaster login refused: account disabled');
      throw new HttpError('account_disabled');
    }
    const { token, expiresAt } = await tokens.signBroadcaster(
      { adminId: admin.id, name: admin.displayName, tokenVersion: admin.tokenVersion },
      config.adminTokenTtlSeconds,
    );
    logger.info({ adminId: admin.id }, 'broadcaster logged in');
    res.json({ token, name: admin.displayName, role: admin.role, expiresAt: expiresAt.toISOString() });
  });

  const requireAdmin = adminAuth(deps);

  router.get('/livechat/admin/sessions', requireAdmin, async (req, res) => {
    const { limit, includeEmpty, cursor } = validate(sessionListQuerySchema, req.query);
    const after = cursor === undefined ? undefined : decodeSessionCursor(cursor);
    if (cursor !== undefined && after === undefined) throw new HttpError('invalid_payload', 'Cursor tidak valid.');
    const page = await store.sessions.listRecent({ limit, includeEmpty: includeEmpty === 'true', after });
    const sessions = page.sessions;
    const online = await deps.registry.onlineSessions(sessions.map((s) => s.id));
    res.json({
      sessions: sessions.map((s) => ({
        sessionId: s.id,
        name: s.name,
        city: s.city,
        online: online.has(s.id),
        lastMessageAt: s.lastMessageAt ? s.lastMessageAt.toISOString() : null,
        previousSessionId: s.previousSessionId,
        ...blockedField(deps.moderation, s.id),
      })),
      nextCursor: page.next === undefined ? null : encodeSessionCursor(page.next),
    });
  });

  router.get('/livechat/admin/sessions/:sessionId/messages', requireAdmin, async (req, res) => {
    const sessionId = sessionIdSchema.safeParse(req.params['sessionId']);
    if (!sessionId.success) throw new HttpError('not_found', 'Sesi tidak ditemukan.');
    const query = validate(messageListQuerySchema, req.query);
    const session = await store.sessions.get(sessionId.data);
    if (!session) throw new HttpError('not_found', 'Sesi tidak ditemukan.');
    const messages = await store.messages.listAfter(session.id, {
      afterMessageId: query.after,
      limit: query.limit,
      visibleOnly: query.includeHidden !== 'true',
    });
    res.json({ messages: messages.map(toMessage) });
  });

  return router;
}

/** The session's block, for the listing (absent when none). */
function blockedField(moderation: ModerationState, sessionId: string) {
  const block = moderation.sessionBlock(sessionId);
  return block === undefined
    ? {}
    : { blocked: { mode: block.mode, until: block.until === null ? null : block.until.toISOString() } };
}
