/**
 * Broadcaster REST of the live show (contract v1.1 D): song requests grouped
 * by song, and the on-air queue. Mounted behind the admin routes' own bearer
 * check (`requireAdmin`), so every rule of admin tokens applies here too.
 */
import { Router, type RequestHandler } from 'express';
import type { AdminRecord } from '../../db/types.js';
import { HttpError } from '../../errors.js';
import {
  messageIdSchema,
  onAirOrderRequestSchema,
  onAirStateRequestSchema,
  requestIdSchema,
  requestListQuerySchema,
  requestStatusRequestSchema,
} from '../../protocol/events.js';
import type { OnAirDesk } from '../../show/onair-desk.js';
import { toRequestGroup, type RequestDesk } from '../../show/request-desk.js';
import { validate } from '../validate.js';

export interface RequestsOnAirRouteDeps {
  requestDesk: RequestDesk;
  onairDesk: OnAirDesk;
}

export function requestsOnAirRoutes(deps: RequestsOnAirRouteDeps, requireAdmin: RequestHandler): Router {
  const router = Router();
  const { requestDesk, onairDesk } = deps;

  router.get('/livechat/admin/requests', requireAdmin, async (req, res) => {
    const { status } = validate(requestListQuerySchema, req.query);
    const groups = await requestDesk.list(status);
    res.json({ requests: groups.map(toRequestGroup) });
  });

  router.post('/livechat/admin/requests/:requestId', requireAdmin, async (req, res) => {
    const requestId = requestIdSchema.safeParse(req.params['requestId']);
    if (!requestId.success) throw new HttpError('not_found', 'Permintaan lagu tidak ditemukan.');
    const { status } = validate(requestStatusRequestSchema, req.body);
    const group = await requestDesk.setStatus(requestId.data, status);
    if (group === undefined) throw new HttpError('not_found', 'Permintaan lagu tidak ditemukan.');
    res.json(toRequestGroup(group));
  });

  router.get('/livechat/admin/onair', requireAdmin, async (_req, res) => {
    res.json(await onairDesk.queue());
  });

  router.post('/livechat/admin/messages/:messageId/onair', requireAdmin, async (req, res) => {
    const messageId = messageIdSchema.safeParse(req.params['messageId']);
    if (!messageId.success) throw new HttpError('not_found', 'Pesan tidak ditemukan.');
    const { state } = validate(onAirStateRequestSchema, req.body);
    const admin = res.locals['admin'] as AdminRecord;
    const change = await onairDesk.setState(messageId.data, state, admin.displayName);
    if (!change.ok && change.reason === 'not_found') throw new HttpError('not_found', 'Pesan tidak ditemukan.');
    if (!change.ok) throw new HttpError('invalid_payload', 'Hanya pesan pendengar yang bisa masuk antrean siaran.');
    res.json(change.queue);
  });

  router.put('/livechat/admin/onair/order', requireAdmin, async (req, res) => {
    const { messageIds } = validate(onAirOrderRequestSchema, req.body);
    if (new Set(messageIds).size !== messageIds.length) {
      throw new HttpError('invalid_payload', 'Data yang dikirim tidak valid. messageIds: ada messageId yang berulang');
    }
    res.json(await onairDesk.reorder(messageIds));
  });

  return router;
}
