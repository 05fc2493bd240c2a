/**
 * The listener's own REST: `POST /livechat/session` opens (and optionally
 * links) a session; with the session bearer, `GET /livechat/session/messages`
 * reads its history and `DELETE /livechat/session` erases it.
 */
import { randomUUID } from 'node:crypto';
import { Router, type NextFunction, type Request, type Response } from 'express';
import type { Logger } from 'pino';
import type { ListenerClaims, TokenService } from '../../auth/tokens.js';
import type { RateLimiter } from '../../broker/rate-limiter.js';
import { toOwnMessage } from '../../chat/chat-service.js';
import { eraseSession } from '../../chat/session-eraser.js';
import type { Config } from '../../config.js';
import type { Store } from '../../db/types.js';
import { HttpError } from '../../errors.js';
import type { Hub } from '../../hub/hub.js';
import {
  MAX_CITY_LENGTH,
  MAX_NAME_LENGTH,
  createSessionRequestSchema,
  messageListQuerySchema,
} from '../../protocol/events.js';
import { checkName } from '../../text/names.js';
import { ReservedNames } from '../../text/reserved-names.js';
import type { SessionGuard } from '../../moderation/session-guard.js';
import { consumeOr429 } from '../rate-limit.js';
import { validate } from '../validate.js';

/** How long past its expiry a session token still links a new session to its own, or erases it (contract: 30 days). */
export const LINK_GRACE_SECONDS = 30 * 24 * 3600;

export interface SessionRouteDeps {
  config: Config;
  store: Store;
  tokens: TokenService;
  hub: Hub;
  logger: Logger;
  /** undefined when LIVECHAT_SESSION_CREATE_LIMIT_PER_MINUTE is 0. */
  createLimiter: RateLimiter | undefined;
  sessionGuard: SessionGuard;
}

export function sessionRoutes(deps: SessionRouteDeps): Router {
  const router = Router();
  const broadcasterNames = new ReservedNames(() => deps.store.admins.displayNames());
  router.post('/livechat/session', async (req, res) => {
    if (deps.createLimiter) await consumeOr429(deps.createLimiter, req.ip ?? 'unknown', deps.logger);
    const body = validate(createSessionRequestSchema, req.body);
    const name = checkName(body.name, MAX_NAME_LENGTH, { requireVisible: true });
    if (!name.ok)
      throw new HttpError(
        'invalid_payload',
        name.reason === 'invisible' ? 'Nama harus memuat huruf atau angka.' : 'Nama wajib diisi, 1–50 karakter.',
      );
    const cityResult = checkName(body.city ?? '', MAX_CITY_LENGTH, { allowEmpty: true });
    if (!cityResult.ok) throw new HttpError('invalid_payload', 'Kota paling banyak 50 karakter.');
    const city = cityResult.value;
    if (await broadcasterNames.has(name.value)) throw new HttpError('name_reserved');
    const previousSessionId = await linkedSession(deps, body.previousSessionToken);
    const client = { deviceId: body.deviceId ?? null, ip: req.ip ?? null };
    deps.sessionGuard.refuseBanned(client);

    const sessionId = randomUUID();
    const { token, expiresAt } = await deps.tokens.signListener(
      { sessionId, name: name.value, city },
      deps.config.sessionTtlSeconds,
    );
    await deps.store.sessions.create({
      id: sessionId,
      name: name.value,
      city,
      createdAt: new Date(),
      expiresAt,
      deviceId: body.deviceId,
      previousSessionId,
    });
    await deps.sessionGuard.opened({ sessionId, ...client });
    deps.logger.info({ sessionId, previousSessionId }, 'session created');
    res.status(201).json({
      sessionId,
      sessionToken: token,
      expiresAt: expiresAt.toISOString(),
      ...(previousSessionId === undefined ? {} : { previousSessionId }),
    });
  });

  router.get('/livechat/session/messages', sessionBearer(deps, { allowExpired: false }), async (req, res) => {
    const claims = res.locals['session'] as ListenerClaims;
    const query = validate(messageListQuerySchema, req.query);
    const session = await deps.store.sessions.get(claims.sessionId);
    if (!session) throw new HttpError('unauthorized', 'Sesi ini sudah tidak ada.');
    const messages = await deps.store.messages.listAfter(session.id, {
      afterMessageId: query.after,
      limit: query.limit,
    });
    // The listener's own view: hidden ones too, never marked (a muted listener notices nothing).
    res.json({ messages: messages.map(toOwnMessage) });
  });

  // An expired session may still be erased (within the link grace): the listener's data is theirs to remove.
  router.delete('/livechat/session', sessionBearer(deps, { allowExpired: true }), async (_req, res) => {
    const claims = res.locals['session'] as ListenerClaims;
    await eraseSession(deps, claims.sessionId);
    // Erasing what is already gone is done too: the same answer, so a retry after a lost response succeeds.
    res.status(204).end();
  });
  return router;
}

/**
 * `Authorization: Bearer <sessionToken>`: 401 when missing, invalid or
 * expired (beyond the grace, with `allowExpired`), 403 for an admin token.
 */
function sessionBearer(deps: SessionRouteDeps, options: { allowExpired: boolean }) {
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    const match = /^Bearer\s+(\S+)$/i.exec(req.get('authorization') ?? '');
    const result = await deps.tokens.verify(
      match?.[1],
      'listener',
      options.allowExpired ? { expiredGraceSeconds: LINK_GRACE_SECONDS } : {},
    );
    if (!result.ok) throw new HttpError(result.reason === 'wrong_kind' ? 'forbidden' : 'unauthorized');
    res.locals['session'] = result.claims;
    next();
  };
}

/**
 * The session a new one follows: the one `previousSessionToken` names, when
 * the token is this service's (expired at most 30 days ago) and the session
 * still exists. A token that is not valid is refused (400); one whose session
 * was erased links nothing.
 */
async function linkedSession(deps: SessionRouteDeps, token: string | undefined): Promise<string | undefined> {
  if (token === undefined) return undefined;
  const result = await deps.tokens.verify(token, 'listener', { expiredGraceSeconds: LINK_GRACE_SECONDS });
  if (!result.ok) {
    throw new HttpError(
      'invalid_payload',
      result.reason === 'expired'
        ? 'previousSessionToken sudah lebih dari 30 hari kedaluwarsa.'
        : 'previousSessionToken tidak valid.',
    );
  }
  const previous = await deps.store.sessions.get(result.claims.sessionId);
  return previous?.id;
}
