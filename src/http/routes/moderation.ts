/**
 * Broadcaster accounts and moderation (contract v1.1 C): logout, blocks,
 * hiding messages, accounts and the audit log. Every change is stored first,
 * then applied on this instance and announced to the others (see
 * ../../moderation/state.ts), then told to the dashboards.
 */
import { Router, type Response } from 'express';
import type { Logger } from 'pino';
import { hashPassword } from '../../auth/passwords.js';
import type { TokenService } from '../../auth/tokens.js';
import { eraseSession } from '../../chat/session-eraser.js';
import type { AdminRecord, Store } from '../../db/types.js';
import { HttpError } from '../../errors.js';
import type { Hub } from '../../hub/hub.js';
import type { ModerationState } from '../../moderation/state.js';
import {
  auditQuerySchema,
  blockRequestSchema,
  createAccountRequestSchema,
  messageIdSchema,
  sessionIdSchema,
  updateAccountRequestSchema,
} from '../../protocol/events.js';
import { adminOf, requireAdmin, requireManager, tokenOf } from '../admin-auth.js';
import type { OnAirDesk } from '../../show/onair-desk.js';
import { validate } from '../validate.js';

export interface ModerationRouteDeps {
  store: Store;
  tokens: TokenService;
  moderation: ModerationState;
  hub: Hub;
  logger: Logger;
  /** A hidden message leaves the on-air queue (and every screen showing it). */
  onairDesk?: Pick<OnAirDesk, 'setState'>;
}

export function moderationRoutes(deps: ModerationRouteDeps): Router {
  const router = Router();
  const { store, moderation, hub, logger } = deps;
  const admin = requireAdmin(deps);

  /** Records an action in the audit log; a failure is logged (the action itself is done). */
  const audit = async (res: Response, action: string, target: string, detail: Record<string, unknown> | null) => {
    try {
      await store.moderation.audit({ adminId: adminOf(res).id, action, target, detail });
    } catch (error) {
      logger.error({ err: error, action, target }, 'writing the audit log failed');
    }
  };
  /** Tells every dashboard; a broker failure is logged (the change is stored and in force). */
  const tell = (publication: Promise<void>) =>
    publication.catch((error: unknown) => logger.warn({ err: error }, 'telling the dashboards failed'));

  router.post('/livechat/admin/logout', admin, async (_req, res) => {
    const token = tokenOf(res);
    await store.moderation.revokeToken(token.tokenId, token.expiresAt);
    await moderation.changed('revoked');
    await audit(res, 'logout', adminOf(res).id, null);
    logger.info({ adminId: token.adminId }, 'broadcaster logged out');
    res.status(204).end();
  });

  router.post('/livechat/admin/sessions/:sessionId/block', admin, async (req, res) => {
    const body = validate(blockRequestSchema, req.body);
    const session = await findSession(store, param(req.params['sessionId']));
    const client = await store.moderation.clientOf(session.id);
    const until = body.minutes === undefined ? null : new Date(Date.now() + body.minutes * 60_000);
    const block = await store.moderation.block({
      sessionId: session.id,
      deviceId: session.deviceId,
      ip: body.includeIp === true ? (client?.ip ?? null) : null,
      mode: body.mode,
      reason: body.reason ?? null,
      until,
      adminId: adminOf(res).id,
    });
    await moderation.changed('blocks');
    await audit(res, 'session.block', session.id, {
      mode: body.mode,
      minutes: body.minutes ?? null,
      reason: body.reason ?? null,
      device: block.deviceId !== null,
      ip: block.ip !== null,
    });
    const untilText = until === null ? null : until.toISOString();
    await tell(
      hub.toBroadcasters('session:moderated', {
        sessionId: session.id,
        mode: body.mode,
        until: untilText,
        by: adminOf(res).displayName,
      }),
    );
    res.json({ sessionId: session.id, mode: body.mode, until: untilText });
  });

  router.delete('/livechat/admin/sessions/:sessionId/block', admin, async (req, res) => {
    const sessionId = sessionIdSchema.safeParse(param(req.params['sessionId']));
    if (!sessionId.success) throw new HttpError('not_found', 'Sesi tidak ditemukan.');
    // A session already erased may still carry a ban: it can be lifted all the same.
    const lifted = await store.moderation.unblock(sessionId.data);
    if (lifted === 0 && (await store.sessions.get(sessionId.data)) === undefined) {
      throw new HttpError('not_found', 'Sesi tidak ditemukan.');
    }
    await moderation.changed('blocks');
    await audit(res, 'session.unblock', sessionId.data, null);
    await tell(
      hub.toBroadcasters('session:moderated', {
        sessionId: sessionId.data,
        mode: null,
        until: null,
        by: adminOf(res).displayName,
      }),
    );
    res.status(204).end();
  });

  const setHidden = async (res: Response, rawId: string | undefined, hidden: boolean) => {
    const messageId = messageIdSchema.safeParse(rawId);
    const message = messageId.success
      ? await store.messages.setHidden(messageId.data, hidden ? 'moderator' : null)
      : undefined;
    if (!message) throw new HttpError('not_found', 'Pesan tidak ditemukan.');
    await audit(res, hidden ? 'message.hide' : 'message.unhide', message.messageId, { sessionId: message.sessionId });
    if (hidden && message.direction === 'listener') {
      await deps.onairDesk?.setState(message.messageId, 'removed', adminOf(res).displayName).catch((error: unknown) => {
        logger.warn(
          { err: error, messageId: message.messageId },
          'taking a hidden message off the on-air queue failed',
        );
      });
    }
    await tell(
      hub.toBroadcasters('message:hidden', {
        messageId: message.messageId,
        sessionId: message.sessionId,
        hidden,
        by: adminOf(res).displayName,
      }),
    );
    return message;
  };
  router.post('/livechat/admin/messages/:messageId/hide', admin, async (req, res) => {
    const message = await setHidden(res, param(req.params['messageId']), true);
    res.json({ messageId: message.messageId, sessionId: message.sessionId, hidden: true });
  });
  router.delete('/livechat/admin/messages/:messageId/hide', admin, async (req, res) => {
    await setHidden(res, param(req.params['messageId']), false);
    res.status(204).end();
  });

  // A manager erases a session for its listener (a data request made to the station).
  router.delete('/livechat/admin/sessions/:sessionId', admin, requireManager, async (req, res) => {
    const sessionId = sessionIdSchema.safeParse(param(req.params['sessionId']));
    if (!sessionId.success || !(await eraseSession(deps, sessionId.data))) {
      throw new HttpError('not_found', 'Sesi tidak ditemukan.');
    }
    await audit(res, 'session.erase', sessionId.data, null);
    res.status(204).end();
  });

  router.get('/livechat/admin/accounts', admin, requireManager, async (_req, res) => {
    const accounts = await store.admins.list();
    res.json({ accounts: accounts.map(toAccount) });
  });

  router.post('/livechat/admin/accounts', admin, requireManager, async (req, res) => {
    const body = validate(createAccountRequestSchema, req.body);
    const created = await store.admins.create({
      username: body.username,
      displayName: body.name,
      passwordHash: await hashPassword(body.password),
      role: body.role ?? 'penyiar',
    });
    if (!created) throw new HttpError('username_taken');
    await moderation.changed('admins');
    await audit(res, 'account.create', created.id, { username: created.username, role: created.role });
    res.status(201).json(toAccount(created));
  });

  router.patch('/livechat/admin/accounts/:adminId', admin, requireManager, async (req, res) => {
    const body = validate(updateAccountRequestSchema, req.body);
    const adminId = param(req.params['adminId']) ?? '';
    const target = /^\d{1,15}$/.test(adminId) ? await store.admins.findById(adminId) : undefined;
    if (!target) throw new HttpError('not_found', 'Akun tidak ditemukan.');
    const losesManager =
      target.role === 'manager' && !target.disabled && (body.role === 'penyiar' || body.disabled === true);
    if (losesManager) {
      const activeManagers = (await store.admins.list()).filter((a) => a.role === 'manager' && !a.disabled);
      if (activeManagers.length <= 1) throw new HttpError('last_manager');
    }
    const updated = await store.admins.update(target.id, {
      displayName: body.name,
      passwordHash: body.password === undefined ? undefined : await hashPassword(body.password),
      role: body.role,
      disabled: body.disabled,
    });
    if (!updated) throw new HttpError('not_found', 'Akun tidak ditemukan.');
    // Disabling or a new password raised the token version: its tokens and connections end here.
    await moderation.changed('admins');
    await audit(res, 'account.update', updated.id, {
      ...(body.name === undefined ? {} : { name: body.name }),
      ...(body.role === undefined ? {} : { role: body.role }),
      ...(body.disabled === undefined ? {} : { disabled: body.disabled }),
      ...(body.password === undefined ? {} : { password: 'changed' }),
    });
    res.json(toAccount(updated));
  });

  router.get('/livechat/admin/audit', admin, requireManager, async (req, res) => {
    const { limit } = validate(auditQuerySchema, req.query);
    const entries = await store.moderation.auditLog(limit);
    res.json({ entries: entries.map((entry) => ({ ...entry, at: entry.at.toISOString() })) });
  });

  return router;
}

async function findSession(store: Store, raw: string | undefined) {
  const sessionId = sessionIdSchema.safeParse(raw);
  const session = sessionId.success ? await store.sessions.get(sessionId.data) : undefined;
  if (!session) throw new HttpError('not_found', 'Sesi tidak ditemukan.');
  return session;
}

function toAccount(admin: AdminRecord) {
  return {
    adminId: admin.id,
    username: admin.username,
    name: admin.displayName,
    role: admin.role,
    disabled: admin.disabled,
  };
}

/** A route parameter as one string (Express 5 types allow arrays for wildcards). */
function param(value: string | string[] | undefined): string | undefined {
  return typeof value === 'string' ? value : undefined;
}
