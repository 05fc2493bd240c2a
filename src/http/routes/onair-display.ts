/**
 * The on-air display (contract v1.1 D): the page at `/onair` and its live
 * feed at `/livechat/onair/events` (Server-Sent Events, ../../show/onair-feed.ts).
 *
 * The page itself holds nothing secret; the feed answers the read-only key
 * (`?key=<LIVECHAT_ONAIR_KEY>`, or the header `X-Onair-Key`) or a
 * broadcaster's bearer token (the page finds the dashboard's login in the
 * same browser). The key only opens this feed: the message on air, nothing
 * of the queue, no admin route.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { Router, type RequestHandler } from 'express';
import { HttpError } from '../../errors.js';
import type { OnAirFeed } from '../../show/onair-feed.js';

export interface OnAirDisplayDeps {
  onairKey: string | undefined;
  onairFeed: OnAirFeed;
  /** The built page (dist/web/onair/index.html); undefined when the web assets are not built. */
  pageFile?: string | undefined;
}

const digest = (value: string): Buffer => createHash('sha256').update(value).digest();

/** Compares in constant time (over digests, so the length leaks nothing either). */
export function keyMatches(given: unknown, expected: string | undefined): boolean {
  if (expected === undefined || typeof given !== 'string' || given === '') return false;
  return timingSafeEqual(digest(given), digest(expected));
}

export function onAirDisplayRoutes(deps: OnAirDisplayDeps, requireAdmin: RequestHandler): Router {
  const router = Router();

  if (deps.pageFile !== undefined) {
    const pageFile = deps.pageFile;
    router.get('/onair', (_req, res) => {
      // The key may be in this URL: never cached, never sent on as a referrer (helmet: no-referrer).
      res.set('Cache-Control', 'no-store').sendFile(pageFile);
    });
  }

  const keyOrAdmin: RequestHandler = (req, res, next) => {
    const key = req.get('x-onair-key') ?? req.query['key'];
    if (key !== undefined && !req.get('authorization')) {
      if (!keyMatches(key, deps.onairKey)) throw new HttpError('unauthorized', 'Kunci layar siaran tidak valid.');
      next();
      return;
    }
    return requireAdmin(req, res, next);
  };

  router.get('/livechat/onair/events', keyOrAdmin, async (_req, res) => {
    const opened = await deps.onairFeed.open(res);
    if (!opened) throw new HttpError('rate_limited', 'Terlalu banyak layar siaran terhubung.');
  });

  return router;
}
