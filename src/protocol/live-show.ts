/**
 * Live show payloads (contract v1.1 D): triage filters, search, export, stats,
 * conversation focus, quick replies and announcements. Part of the one schema
 * source: events.ts adds the events to its maps.
 */
import { z } from 'zod';

const isoDateTime = () => z.iso.datetime().describe('ISO-8601 timestamp (UTC)');
const sessionId = () => z.uuid({ message: 'sessionId tidak valid' }).describe('Listener session identifier');
const LONE_SURROGATE = /\p{Cs}/u;
const clientString = () =>
  z
    .string()
    .refine((value) => !LONE_SURROGATE.test(value), 'bukan teks UTF-16 yang utuh')
    .refine((value) => !value.includes('\u0000'), 'must not contain U+0000');

/** Longest announcement or quick reply text after cleaning. */
export const MAX_SHOW_TEXT_LENGTH = 1000;
/** How many quick replies the team may keep. */
export const MAX_QUICK_REPLIES = 200;

// --- WebSocket ------------------------------------------------------------

export const focusFromBroadcasterSchema = z
  .object({
    sessionId: sessionId().nullable().describe('The conversation the broadcaster now has open; null: none'),
  })
  .describe('Which conversation this broadcaster is on');
export const focusToBroadcastersSchema = z
  .object({
    adminId: z.string().describe("The broadcaster's account identifier"),
    name: z.string().describe("The broadcaster's display name"),
    sessionId: sessionId().nullable().describe('The conversation that broadcaster has open; null: none'),
  })
  .describe('Which conversation a broadcaster is on (null when they left it or their connection closed)');
export const statsSchema = z
  .object({
    listenersOnline: z
      .number()
      .int()
      .nonnegative()
      .describe('Listener sessions with an open connection, on every instance'),
    sessionsToday: z.number().int().nonnegative().describe("Sessions created since midnight (the station's time zone)"),
    messagesLastHour: z
      .number()
      .int()
      .nonnegative()
      .describe('Messages stored in the last 60 minutes, both directions'),
    openRequests: z.number().int().nonnegative().describe('Song requests still open'),
  })
  .meta({ id: 'Stats', description: 'The live show at a glance' });
export type Stats = z.infer<typeof statsSchema>;
export const announcementSchema = z
  .object({
    announcementId: z.string().describe('Identifier of the announcement'),
    from: z.string().describe('Display name of the broadcaster who announced it'),
    text: z.string().describe('The announcement (cleaned)'),
    createdAt: isoDateTime().describe('When it was announced'),
  })
  .describe('An announcement to every listener');

// --- REST -----------------------------------------------------------------

export const sessionFilterSchema = z
  .enum(['unanswered', 'online', 'requests', 'blocked'])
  .describe(
    "`unanswered`: the newest message is the listener's; `online`: an open connection on any instance; " +
      '`requests`: sessions with song requests; `blocked`: muted or banned sessions',
  );
export type SessionFilter = z.infer<typeof sessionFilterSchema>;
export const searchQuerySchema = z.object({
  q: clientString().min(1).max(200).describe('Words to find (every one, whole words, as typed; case-insensitive)'),
  limit: z.coerce.number().int().min(1).max(200).default(50).describe('How many messages at most (1–200)'),
});
export const exportQuerySchema = z.object({
  from: isoDateTime().describe('Messages stored at or after this time'),
  to: isoDateTime().describe('Messages stored before this time (at most 366 days after `from`)'),
});
/** The longest range one export covers. */
export const MAX_EXPORT_DAYS = 366;

export const quickReplySchema = z
  .object({
    id: z.string().describe('Identifier of the quick reply'),
    shortcut: z.string().describe('Typed as `/shortcut` in the reply box'),
    text: z.string().describe('The text it inserts'),
  })
  .meta({ id: 'QuickReply', description: 'A reply text shared by all broadcasters' });
export type QuickReply = z.infer<typeof quickReplySchema>;
export type Announcement = z.infer<typeof announcementSchema>;
const shortcut = () =>
  z
    .string()
    .regex(/^[\p{L}\p{N}_-]{1,32}$/u, 'shortcut: 1–32 huruf, angka, _ atau -')
    .describe('1–32 letters, digits, `_` or `-` (stored in lower case, unique)');
export const quickReplyCreateSchema = z
  .object({
    shortcut: shortcut(),
    text: clientString()
      .max(4 * MAX_SHOW_TEXT_LENGTH)
      .describe('1–1000 characters after cleaning'),
  })
  .describe('A new quick reply');
export const quickReplyUpdateSchema = z
  .object({
    shortcut: shortcut().optional(),
    text: clientString()
      .max(4 * MAX_SHOW_TEXT_LENGTH)
      .optional()
      .describe('1–1000 characters after cleaning'),
  })
  .refine((value) => value.shortcut !== undefined || value.text !== undefined, 'shortcut atau text wajib ada')
  .describe('What to change of a quick reply');
export const quickReplyListSchema = z
  .object({ quickReplies: z.array(quickReplySchema).describe('By shortcut') })
  .describe("The team's quick replies");
export const announcementRequestSchema = z
  .object({
    text: clientString()
      .max(4 * MAX_SHOW_TEXT_LENGTH)
      .describe('1–1000 characters after cleaning'),
  })
  .describe('An announcement to every connected listener');
export const announcementResponseSchema = z
  .object({
    announcementId: z.string().describe('Identifier of the announcement'),
    createdAt: isoDateTime().describe('When it was announced'),
  })
  .describe('The announcement is stored and on its way to every listener');
