/**
 * The admin bearer check shared by every admin route: the token verified,
 * checked in memory against the logout deny-list, then against its account as
 * stored (it exists, is not disabled, and the token is of its current token
 * version). `res.locals.admin` holds the account and `res.locals.token` the
 * token's claims.
 */
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { BroadcasterClaims, TokenService } from '../auth/tokens.js';
import type { AdminRecord, Store } from '../db/types.js';
import { HttpError } from '../errors.js';
import { accepts, type ModerationState } from '../moderation/state.js';

export interface AdminAuthDeps {
  tokens: TokenService;
  store: Store;
  moderation: ModerationState;
}

export function requireAdmin(deps: AdminAuthDeps): RequestHandler {
  return async (req: Request, res: Response, next: NextFunction) => {
    const header = req.get('authorization') ?? '';
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    const result = await deps.tokens.verify(match?.[1], 'broadcaster');
    if (!result.ok) throw new HttpError(result.reason === 'wrong_kind' ? 'forbidden' : 'unauthorized');
    if (deps.moderation.isRevoked(result.claims.tokenId)) throw new HttpError('unauthorized');
    const admin = await deps.store.admins.findById(result.claims.adminId);
    if (!admin || !accepts(admin, result.claims)) throw new HttpError('unauthorized');
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
