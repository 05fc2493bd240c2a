/** The live show's REST operations (contract v1.1 D): search, export, stats, quick replies, announcements. */
import { z } from 'zod';
import {
  announcementRequestSchema,
  announcementResponseSchema,
  exportQuerySchema,
  messageListResponseSchema,
  quickReplyCreateSchema,
  quickReplyListSchema,
  quickReplySchema,
  quickReplyUpdateSchema,
  searchQuerySchema,
  statsSchema,
} from '../../../src/protocol/events.js';
import { example } from '../schema-set.js';
import { ex } from './examples.js';
import type { RestOperation } from './rest.js';

const adminErrors = ['unauthorized', 'forbidden', 'origin_forbidden', 'internal_error', 'unavailable'] as const;
const quickReply = { id: '3', shortcut: 'salam', text: 'Halo! Terima kasih sudah mendengarkan Suara Pendengar.' };
const idParameter = {
  name: 'id',
  in: 'path' as const,
  schema: z.string().describe('Identifier of the quick reply'),
  required: true,
  example: '3',
};
const noContent = { status: 204, description: 'Done; no body.', schema: z.literal(''), example: '' };

export const liveShowOperations: RestOperation[] = [
  {
    method: 'get',
    path: '/livechat/admin/search',
    operationId: 'searchMessages',
    tag: 'broadcaster',
    summary: 'Search all messages',
    description:
      'Full-text search over every message, newest first. The words of `q` (runs of letters and digits; at most 10) must ' +
      'all occur as whole words, matched as typed (no stemming, so Indonesian words are found as written; case does not ' +
      'matter). Anything else in `q` (quotes, `OR`, `*`, parentheses) only separates words: it is never query syntax.',
    admin: true,
    parameters: [
      { name: 'q', in: 'query', schema: searchQuerySchema.shape.q, required: true, example: 'lagu kenangan' },
      { name: 'limit', in: 'query', schema: searchQuerySchema.shape.limit, required: false, example: 50 },
    ],
    success: {
      status: 200,
      description: 'The matching messages, newest first.',
      name: 'SearchResult',
      schema: messageListResponseSchema,
      example: {
        messages: [
          {
            messageId: ex.listenerMessageId,
            sessionId: ex.sessionId,
            direction: 'listener',
            from: ex.listenerName,
            text: ex.listenerText,
            createdAt: ex.listenerCreatedAt,
          },
        ],
      },
    },
    errors: ['invalid_payload', ...adminErrors],
    notes: {
      invalid_payload: '`q` is missing, empty or over 200 characters, or `limit` is not an integer from 1 to 200.',
    },
  },
  {
    method: 'get',
    path: '/livechat/admin/export',
    operationId: 'exportMessages',
    tag: 'broadcaster',
    summary: 'Export messages as CSV',
    description:
      'Every message stored in [`from`, `to`), one row a message, by storage time; streamed, so a long range never ' +
      'builds up in memory. UTF-8 with a byte order mark; every cell quoted; columns `id_pesan`, `waktu` (ISO-8601), ' +
      '`id_sesi`, `arah` (`pendengar` or `penyiar`), `dari`, `kota`, `teks`. A cell starting with `=`, `+`, `-`, `@`, a ' +
      "tab or a carriage return gets a leading `'` so that spreadsheets never run it as a formula. Should the database " +
      'fail half-way, the response is cut off (never ended as if complete).',
    admin: true,
    parameters: [
      {
        name: 'from',
        in: 'query',
        schema: exportQuerySchema.shape.from,
        required: true,
        example: '2026-12-04T12:00:00Z',
      },
      { name: 'to', in: 'query', schema: exportQuerySchema.shape.to, required: true, example: '2026-12-04T15:00:00Z' },
    ],
    success: {
      status: 200,
      description: 'The CSV file.',
      schema: z.string(),
      example:
        '"id_pesan","waktu","id_sesi","arah","dari","kota","teks"\r\n' +
        `"${ex.listenerMessageId}","${ex.listenerCreatedAt}","${ex.sessionId}","pendengar","${ex.listenerName}","${ex.city}","Halo!"\r\n`,
      mediaType: 'text/csv',
    },
    errors: ['invalid_payload', ...adminErrors],
    notes: {
      invalid_payload:
        '`from` or `to` is missing or not ISO-8601, `to` is not after `from`, or the range is over 366 days.',
    },
  },
  {
    method: 'get',
    path: '/livechat/admin/stats',
    operationId: 'showStats',
    tag: 'broadcaster',
    summary: 'The live show at a glance',
    description:
      'Listeners online (sessions with an open connection on any instance), sessions created today (from midnight in ' +
      '`LIVECHAT_TIME_ZONE`, default Asia/Jakarta), messages stored in the last hour and open song requests. Broadcaster ' +
      'connections get the same body as `stats:update` every 5 seconds.',
    admin: true,
    success: {
      status: 200,
      description: 'The figures.',
      name: 'Stats',
      schema: statsSchema,
      example: { listenersOnline: 128, sessionsToday: 342, messagesLastHour: 517, openRequests: 9 },
    },
    errors: [...adminErrors],
  },
  {
    method: 'get',
    path: '/livechat/admin/quick-replies',
    operationId: 'listQuickReplies',
    tag: 'broadcaster',
    summary: "The team's quick replies",
    description: 'Every quick reply, by shortcut. Shared by all broadcasters (at most 200).',
    admin: true,
    success: {
      status: 200,
      description: 'The quick replies.',
      name: 'QuickReplyList',
      schema: quickReplyListSchema,
      example: { quickReplies: [quickReply] },
    },
    errors: [...adminErrors],
  },
  {
    method: 'post',
    path: '/livechat/admin/quick-replies',
    operationId: 'createQuickReply',
    tag: 'broadcaster',
    summary: 'Add a quick reply',
    description:
      'The shortcut is stored in lower case and must be unique; the text is cleaned like a message (1–1000 characters).',
    admin: true,
    request: {
      name: 'QuickReplyCreate',
      schema: quickReplyCreateSchema,
      example: example(quickReplyCreateSchema, { shortcut: 'salam', text: quickReply.text }, 'createQuickReply'),
    },
    success: {
      status: 201,
      description: 'Created.',
      name: 'QuickReply',
      schema: quickReplySchema,
      example: quickReply,
    },
    errors: ['invalid_payload', 'conflict', 'payload_too_large', ...adminErrors],
  },
  {
    method: 'patch',
    path: '/livechat/admin/quick-replies/{id}',
    operationId: 'updateQuickReply',
    tag: 'broadcaster',
    summary: 'Change a quick reply',
    description: 'Changes its shortcut, its text, or both.',
    admin: true,
    parameters: [idParameter],
    request: { name: 'QuickReplyUpdate', schema: quickReplyUpdateSchema, example: { text: quickReply.text } },
    success: {
      status: 200,
      description: 'Changed.',
      name: 'QuickReply',
      schema: quickReplySchema,
      example: quickReply,
    },
    errors: ['invalid_payload', 'not_found', 'conflict', 'payload_too_large', ...adminErrors],
    notes: { not_found: 'No quick reply with this id.' },
  },
  {
    method: 'delete',
    path: '/livechat/admin/quick-replies/{id}',
    operationId: 'deleteQuickReply',
    tag: 'broadcaster',
    summary: 'Remove a quick reply',
    description: 'Removes it for every broadcaster.',
    admin: true,
    parameters: [idParameter],
    success: noContent,
    errors: ['not_found', ...adminErrors],
    notes: { not_found: 'No quick reply with this id.' },
  },
  {
    method: 'post',
    path: '/livechat/admin/announcements',
    operationId: 'announce',
    tag: 'broadcaster',
    summary: 'Announce to every listener',
    description:
      'Stores the announcement (text cleaned like a message, 1–1000 characters) and sends `announcement` to every ' +
      'connected listener on every instance. Listeners connecting within the next 10 minutes get the newest announcement ' +
      'right after `connection:success`.',
    admin: true,
    request: {
      name: 'AnnouncementRequest',
      schema: announcementRequestSchema,
      example: { text: 'Kuis dimulai! Jawab pertanyaan pertama di kolom chat.' },
    },
    success: {
      status: 201,
      description: 'Announced.',
      name: 'AnnouncementResponse',
      schema: announcementResponseSchema,
      example: { announcementId: '12', createdAt: ex.replyCreatedAt },
    },
    errors: ['invalid_payload', 'payload_too_large', ...adminErrors],
  },
];
