/**
 * Broadcaster REST of the live show (contract v1.1 D): search, export, stats,
 * quick replies and announcements. Mounted by the admin routes behind their
 * bearer check (`requireAdmin` puts the account in `res.locals.admin`).
 */
import { once } from 'node:events';
import { Router, type RequestHandler, type Response } from 'express';
import type { Logger } from 'pino';
import { toMessage } from '../../chat/chat-service.js';
import type { AdminRecord, ExportPosition, Store } from '../../db/types.js';
import { HttpError } from '../../errors.js';
import {
  MAX_EXPORT_DAYS,
  MAX_QUICK_REPLIES,
  MAX_SHOW_TEXT_LENGTH,
  announcementRequestSchema,
  exportQuerySchema,
  quickReplyCreateSchema,
  quickReplyUpdateSchema,
  searchQuerySchema,
} from '../../protocol/events.js';
import type { Announcements } from '../../show/announcements.js';
import { csvRow } from '../../show/csv.js';
import { searchWords } from '../../show/search-words.js';
import type { ShowStats } from '../../show/show-stats.js';
import { cleanField } from '../../text/clean.js';
import { validate } from '../validate.js';

export interface LiveShowRouteDeps {
  store: Store;
  stats: ShowStats;
  announcements: Announcements;
  logger: Logger;
}

/** Messages per database page of an export: memory stays flat whatever the range. */
const EXPORT_PAGE = 500;
const DAY_MS = 86_400_000;

export function liveShowRoutes(deps: LiveShowRouteDeps, requireAdmin: RequestHandler): Router {
  const router = Router();
  const { store } = deps;
  const adminOf = (res: Response) => res.locals['admin'] as AdminRecord;

  router.get('/livechat/admin/search', requireAdmin, async (req, res) => {
    const { q, limit } = validate(searchQuerySchema, req.query);
    const messages = await store.search.search(searchWords(q), limit);
    res.json({ messages: messages.map(toMessage) });
  });

  router.get('/livechat/admin/export', requireAdmin, async (req, res) => {
    const query = validate(exportQuerySchema, req.query);
    const range = { from: new Date(query.from), to: new Date(query.to) };
    const span = range.to.getTime() - range.from.getTime();
    if (span <= 0) throw new HttpError('invalid_payload', 'Waktu "to" harus sesudah "from".');
    if (span > MAX_EXPORT_DAYS * DAY_MS) {
      throw new HttpError('invalid_payload', `Rentang ekspor paling lama ${MAX_EXPORT_DAYS} hari.`);
    }
    // The first page before the headers: a database failure is still a proper error answer.
    let page = await store.search.exportPage(range, undefined, EXPORT_PAGE);
    const name = `pesan-${query.from.slice(0, 10)}-${query.to.slice(0, 10)}.csv`;
    res.status(200);
    res.set({
      'Content-Type': 'text/csv; charset=utf-8',
      'Content-Disposition': `attachment; filename="${name}"`,
      'Cache-Control': 'no-store',
    });
    // A byte order mark, so spreadsheets read the file as UTF-8.
    res.write(`\ufeff${csvRow(['id_pesan', 'waktu', 'id_sesi', 'arah', 'dari', 'kota', 'teks'])}`);
    try {
      for (;;) {
        let chunk = '';
        for (const row of page) {
          const direction = row.direction === 'listener' ? 'pendengar' : 'penyiar';
          chunk += csvRow([
            row.messageId,
            row.createdAt.toISOString(),
            row.sessionId,
            direction,
            row.from,
            row.city,
            row.text,
          ]);
        }
        if (chunk !== '' && !res.write(chunk)) await drained(res);
        if (res.destroyed) return; // the client went away: stop reading
        if (page.length < EXPORT_PAGE) break;
        const after: ExportPosition = page[page.length - 1]!.position;
        page = await store.search.exportPage(range, after, EXPORT_PAGE);
      }
      res.end();
    } catch (error) {
      // Half sent: cut the response so the client sees it incomplete, never a short file that looks whole.
      deps.logger.error({ err: error }, 'export failed while streaming');
      res.destroy();
    }
  });

  router.get('/livechat/admin/stats', requireAdmin, async (_req, res) => {
    res.json(await deps.stats.current());
  });

  router.get('/livechat/admin/quick-replies', requireAdmin, async (_req, res) => {
    res.json({ quickReplies: await store.quickReplies.list() });
  });

  router.post('/livechat/admin/quick-replies', requireAdmin, async (req, res) => {
    const body = validate(quickReplyCreateSchema, req.body);
    const text = cleanedText(body.text);
    if ((await store.quickReplies.count()) >= MAX_QUICK_REPLIES) {
      throw new HttpError('conflict', `Balasan cepat paling banyak ${MAX_QUICK_REPLIES}.`);
    }
    const created = await store.quickReplies.create({ shortcut: body.shortcut.toLowerCase(), text });
    if (!created) throw shortcutTaken();
    res.status(201).json(created);
  });

  router.patch('/livechat/admin/quick-replies/:id', requireAdmin, async (req, res) => {
    const body = validate(quickReplyUpdateSchema, req.body);
    const change: { shortcut?: string; text?: string } = {};
    if (body.shortcut !== undefined) change.shortcut = body.shortcut.toLowerCase();
    if (body.text !== undefined) change.text = cleanedText(body.text);
    const updated = await store.quickReplies.update(String(req.params['id']), change);
    if (updated === 'missing') throw new HttpError('not_found', 'Balasan cepat tidak ditemukan.');
    if (updated === 'taken') throw shortcutTaken();
    res.json(updated);
  });

  router.delete('/livechat/admin/quick-replies/:id', requireAdmin, async (req, res) => {
    if (!(await store.quickReplies.remove(String(req.params['id'])))) {
      throw new HttpError('not_found', 'Balasan cepat tidak ditemukan.');
    }
    res.status(204).end();
  });

  router.post('/livechat/admin/announcements', requireAdmin, async (req, res) => {
    const text = cleanedText(validate(announcementRequestSchema, req.body).text);
    const admin = adminOf(res);
    const announcement = await deps.announcements.announce({ adminId: admin.id, name: admin.displayName }, text);
    res.status(201).json({ announcementId: announcement.announcementId, createdAt: announcement.createdAt });
  });

  return router;
}

function cleanedText(raw: string): string {
  const cleaned = cleanField(raw, MAX_SHOW_TEXT_LENGTH);
  if (cleaned.ok) return cleaned.value;
  throw new HttpError(
    'invalid_payload',
    cleaned.reason === 'empty' ? 'Teks kosong setelah dibersihkan.' : 'Teks lebih dari 1000 karakter.',
  );
}

/** Resolves when the response can take more, or when it closed (the client went away). */
async function drained(res: Response): Promise<void> {
  const controller = new AbortController();
  try {
    await Promise.race([
      once(res, 'drain', { signal: controller.signal }),
      once(res, 'close', { signal: controller.signal }),
    ]);
  } finally {
    controller.abort();
  }
}

function shortcutTaken(): HttpError {
  return new HttpError('conflict', 'Shortcut ini sudah dipakai balasan cepat lain.');
}
