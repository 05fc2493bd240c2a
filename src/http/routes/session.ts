/** POST /livechat/session: a listener opens a chat session. */
import { randomUUID } from 'node:crypto';
import { Router } from 'express';
import type { Logger } from 'pino';
import type { TokenService } from '../../auth/tokens.js';
import type { RateLimiter } from '../../broker/rate-limiter.js';
import type { Config } from '../../config.js';
import type { Store } from '../../db/types.js';
import { HttpError } from '../../errors.js';
import { MAX_CITY_LENGTH, MAX_NAME_LENGTH, createSessionRequestSchema } from '../../protocol/events.js';
import { checkName } from '../../text/names.js';
import { ReservedNames } from '../../text/reserved-names.js';
import { deviceIdOf, type SessionGuard } from '../../moderation/session-guard.js';
import { consumeOr429 } from '../rate-limit.js';
import { validate } from '../validate.js';

export interface SessionRouteDeps {
  config: Config;
  store: Store;
  tokens: TokenService;
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
    const client = { deviceId: deviceIdOf(req.body), ip: req.ip ?? null };
    deps.sessionGuard.refuseBanned(client);

    const sessionId = randomUUID();
    const { token, expiresAt } = await deps.tokens.signListener(
      { sessionId, name: name.value, city },
      deps.config.sessionTtlSeconds,
    );
    await deps.store.sessions.create({ id: sessionId, name: name.value, city, createdAt: new Date(), expiresAt });
    await deps.sessionGuard.opened({ sessionId, ...client });
    deps.logger.info({ sessionId }, 'session created');
    res.status(201).json({ sessionId, sessionToken: token, expiresAt: expiresAt.toISOString() });
  });
  return router;
}
