/**
 * The admin bearer check shared by every admin route: the token verified,
 * then checked in memory against the deny-list and the account's state
 * (disabled, token version). `res.locals.admin` holds the account and
 * `res.locals.token` the token's claims.
 */
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { BroadcasterClaims, TokenService } from '../auth/tokens.js';
import type { AdminRecord } from '../db/types.js';
import { HttpError } from '../errors.js';
import type { ModerationState } from '../moderation/state.js';

export interface AdminAuthDeps {
  tokens: TokenService;
  moderation: ModerationState;
}

export function requireAdmin(deps: AdminAuthDeps): RequestHandler {
  return async (req: Request, res: Response, next: NextFunction) => {
    const header = req.get('authorization') ?? '';
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    const result = await deps.tokens.verify(match?.[1], 'broadcaster');
    if (!result.ok) throw new HttpError(result.reason === 'wrong_kind' ? 'forbidden' : 'unauthorized');
    let admin = deps.moderation.adminFor(result.claims);
    if (!admin && deps.moderation.admin(result.claims.adminId) === undefined) {
      // An account made outside the service since the last reload (the command line).
      await deps.moderation.reload('admins');
      admin = deps.moderation.adminFor(result.claims);
    }
    if (!admin) throw new HttpError('unauthorized');
    res.locals['admin'] = admin satisfies AdminRecord;
    res.locals['token'] = result.claims satisfies BroadcasterClaims;
    next();
  };
}

/** After requireAdmin: managers only (others 403). */
export const requireManager: RequestHandler = (_req, res, next) => {
  if (adminOf(res).role !== 'manager') throw new HttpError('manager_only');
  next();
};

export function adminOf(res: Response): AdminRecord {
  return res.locals['admin'] as AdminRecord;
}

export function tokenOf(res: Response): BroadcasterClaims {
  return res.locals['token'] as BroadcasterClaims;
}
