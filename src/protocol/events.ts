/**
 * The one schema source for everything that crosses the wire.
 *
 * The server validates incoming frames and REST bodies with these schemas, the
 * client SDK derives its types from them, and the docs generator turns them into
 * AsyncAPI/OpenAPI documents. Change a payload here and all three follow.
 */
import { z } from 'zod';

/** Longest text a message may have after cleaning (contract: 1–1000 characters). */
export const MAX_TEXT_LENGTH = 1000;
/** Largest WebSocket frame the server accepts; bigger frames are closed with 1009. */
export const MAX_FRAME_BYTES = 16 * 1024;

/** A lone surrogate: a UTF-16 unit that is not half of a pair (with the u flag, pairs read as one code point). */
const LONE_SURROGATE = /\p{Cs}/u;

/**
 * Every string a client sends: well-formed UTF-16 (contract v1.1 A). A lone
 * surrogate cannot be stored faithfully (PostgreSQL refuses it, SQLite turns it
 * into U+FFFD), so it is refused before anything is stored.
 */
export const clientString = () =>
  z.string().refine((value) => !LONE_SURROGATE.test(value), 'bukan teks UTF-16 yang utuh');

export const messageIdSchema = z
  .string()
  .regex(/^[1-9][0-9]{0,15}$/, 'messageId tidak dikenal')
  .describe('Opaque message identifier chosen by the server');
export const sessionIdSchema = z.uuid({ message: 'sessionId tidak valid' }).describe('Listener session identifier');
/**
 * PostgreSQL text cannot hold U+0000: a value with it would fail as if the
 * database were down (and be resent forever). Refused as invalid on every
 * database alike.
 */
const withoutNul = (value: string) => !value.includes('\u0000');
export const clientMessageIdSchema = clientString()
  .min(1)
  .max(64)
  .refine(withoutNul, 'must not contain U+0000')
  .describe('Client-chosen idempotency key (1–64 characters), echoed on ack and errors');
const isoDateTime = z.iso.datetime().describe('ISO-8601 timestamp (UTC)');
export const hiddenReasonSchema = z.enum(['filter', 'mute', 'moderator']);
export const adminRoleSchema = z
  .enum(['penyiar', 'manager'])
  .describe('`penyiar`: answers listeners and moderates; `manager`: also manages accounts and reads the audit log');
export const blockModeSchema = z
  .enum(['mute', 'ban'])
  .describe('`mute`: shadow mute (the listener notices nothing); `ban`: disconnected and refused');

/** A stored chat message as broadcasters and the REST API see it. */
export const messageSchema = z
  .object({
    messageId: messageIdSchema,
    sessionId: sessionIdSchema,
    direction: z
      .enum(['listener', 'broadcaster'])
      .describe('`listener`: sent by the listener; `broadcaster`: a reply from the station'),
    from: z.string().describe("The listener's name or the broadcaster's display name"),
    text: z.string().describe('Message text as stored (cleaned)'),
    createdAt: isoDateTime.describe('When the server stored the message (ISO-8601, UTC)'),
    hidden: z
      .literal(true)
      .optional()
      .describe('Admin views only: present (true) when the message is hidden from the chat'),
    reason: hiddenReasonSchema
      .optional()
      .describe(
        'Admin views only, with `hidden`: `filter` (held by the word filter for review), `mute` (sent by a muted session), `moderator` (hidden by a broadcaster)',
      ),
  })
  .meta({ id: 'Message', description: 'A stored chat message' });
export type Message = z.infer<typeof messageSchema>;

// ---------------------------------------------------------------------------
// Client → server events
// ---------------------------------------------------------------------------

/** Raw text as sent; cleaning and the 1–1000 length check happen after parsing. */
const rawText = clientString().max(MAX_FRAME_BYTES).describe('Message text, 1–1000 characters after cleaning');

export const listenerSendSchema = z
  .object({
    text: rawText,
    clientMessageId: clientMessageIdSchema.optional(),
  })
  .describe('A chat message from the listener to the station');
export const listenerTypingSchema = z
  .object({ isTyping: z.boolean().describe('true while the listener is typing, false when they stop') })
  .describe("The listener's typing state");

export const broadcasterReplySchema = z
  .object({
    sessionId: sessionIdSchema.describe('The listener session to answer'),
    text: rawText,
    clientMessageId: clientMessageIdSchema.optional(),
  })
  .describe("A broadcaster's reply to one listener session");
export const broadcasterTypingSchema = z
  .object({
    sessionId: sessionIdSchema.describe('The listener session the broadcaster is typing to'),
    isTyping: z.boolean().describe('true while the broadcaster is typing, false when they stop'),
  })
  .describe("The broadcaster's typing state towards one session");

/** Events a listener connection may send, by name. */
export const listenerClientEvents = {
  'message:send': listenerSendSchema,
  'user:typing': listenerTypingSchema,
} as const;

/** Events a broadcaster connection may send, by name. */
export const broadcasterClientEvents = {
  'message:reply': broadcasterReplySchema,
  'user:typing': broadcasterTypingSchema,
} as const;

// ---------------------------------------------------------------------------
// Server → client events
// ---------------------------------------------------------------------------

const connectionIdSchema = z.string().describe('Identifier of this WebSocket connection (for support and logs)');
/** Human-readable error text (Indonesian), meant to be shown to the user. */
const errorText = z.string().describe('Human-readable explanation (Indonesian), suitable for display');

export const listenerConnectionSuccessSchema = z
  .object({
    sessionId: sessionIdSchema,
    name: z.string().describe("The listener's name (cleaned)"),
    city: z.string().describe("The listener's city (cleaned; may be empty)"),
    connectionId: connectionIdSchema,
    expiresAt: isoDateTime.describe('When the session token expires (ISO-8601, UTC)'),
  })
  .describe('The listener connection is open');
export const broadcasterConnectionSuccessSchema = z
  .object({
    adminId: z.string().describe("The broadcaster's account identifier"),
    name: z.string().describe("The broadcaster's display name"),
    role: adminRoleSchema,
    connectionId: connectionIdSchema,
  })
  .describe('The broadcaster connection is open');
export const messageAckSchema = z
  .object({
    messageId: messageIdSchema,
    clientMessageId: clientMessageIdSchema.optional(),
    createdAt: isoDateTime.describe('When the server stored the message (ISO-8601, UTC)'),
    text: z.string().describe('The text as stored (after cleaning): what everyone else sees, so show this one'),
    duplicate: z
      .literal(true)
      .optional()
      .describe('Present (true) when this clientMessageId was already stored: messageId is the first one'),
  })
  .describe('The message is durably stored');
export const messageReceiveSchema = z
  .object({
    messageId: messageIdSchema,
    from: z.string().describe('Broadcaster display name'),
    text: z.string().describe('Message text as stored (cleaned)'),
    createdAt: isoDateTime.describe('When the server stored the message (ISO-8601, UTC)'),
  })
  .describe("A broadcaster's message to this listener session");
export const presenceUpdateSchema = z
  .object({
    sessionId: sessionIdSchema,
    online: z.boolean().describe('true: the session has at least one open connection; false: none'),
  })
  .describe('A listener session came online or went offline');
export const typingToBroadcasterSchema = z
  .object({
    sessionId: sessionIdSchema.describe('The listener session whose listener is typing'),
    isTyping: z.boolean().describe('true while the listener is typing'),
  })
  .describe("A listener's typing state");
export const typingToListenerSchema = z
  .object({
    from: z.string().describe('Display name of the broadcaster who is typing'),
    isTyping: z.boolean().describe('true while the broadcaster is typing'),
  })
  .describe("A broadcaster's typing state in this session");
export const invalidPayloadErrorSchema = z
  .object({
    message: errorText,
    clientMessageId: clientMessageIdSchema.optional(),
  })
  .describe('The frame or its data was refused; nothing was stored; the connection stays open');
export const rateLimitedErrorSchema = z
  .object({
    retryAfterMs: z.number().int().nonnegative().describe('Milliseconds to wait before sending again'),
    clientMessageId: clientMessageIdSchema.optional(),
  })
  .describe('Over the rate limit: the message was not stored');
export const invalidTokenErrorSchema = z
  .object({ message: errorText })
  .describe(
    'The token expired, was logged out, or its account was disabled or given a new password while connected; the server closes with 4401 next',
  );
export const bannedErrorSchema = z
  .object({
    message: errorText,
    until: isoDateTime.nullable().describe('When the ban ends (ISO-8601, UTC); null: no end'),
  })
  .describe('The session was banned; the server closes with 4403 next');
export const sessionModeratedSchema = z
  .object({
    sessionId: sessionIdSchema,
    mode: blockModeSchema.nullable().describe('The block now in force; null: lifted'),
    until: isoDateTime.nullable().describe('When it ends (ISO-8601, UTC); null: no end (or lifted)'),
    by: z.string().describe('Display name of the broadcaster who did it'),
  })
  .describe('A session was muted, banned, or its block lifted');
export const messageHiddenSchema = z
  .object({
    messageId: messageIdSchema,
    sessionId: sessionIdSchema,
    hidden: z.boolean().describe('true: hidden from the chat; false: shown again (released)'),
    by: z.string().describe('Display name of the broadcaster who did it'),
  })
  .describe('A message was hidden or shown again');
export const unavailableErrorSchema = z
  .object({
    message: errorText,
    clientMessageId: clientMessageIdSchema.optional(),
  })
  .describe('The message could not be stored (database down); nothing was acknowledged, it may be resent');

export const sessionErasedSchema = z
  .object({ sessionId: sessionIdSchema })
  .describe('The listener erased this session and all its messages; its connections are closed with 1000');
export const sessionEndedErrorSchema = z
  .object({
    sessionId: sessionIdSchema.describe('The session replied to, whose token has expired'),
    newSessionId: sessionIdSchema
      .optional()
      .describe('The newest session linked to it (the same listener came back): reply there'),
    clientMessageId: clientMessageIdSchema.optional(),
  })
  .describe('The session has ended (its token expired): the reply was not stored');

/** Events the server sends to listener connections. */
export const listenerServerEvents = {
  'connection:success': listenerConnectionSuccessSchema,
  'message:ack': messageAckSchema,
  'message:receive': messageReceiveSchema,
  'message:sent': messageSchema.describe(
    "The listener's own message, sent from another connection (tab) of this session; the sending one gets its ack",
  ),
  'session:erased': sessionErasedSchema,
  'user:typing': typingToListenerSchema,
  'error:invalid_payload': invalidPayloadErrorSchema,
  'error:rate_limited': rateLimitedErrorSchema,
  'error:invalid_token': invalidTokenErrorSchema,
  'error:unavailable': unavailableErrorSchema,
  'error:banned': bannedErrorSchema,
} as const;

/** Events the server sends to broadcaster connections. */
export const broadcasterServerEvents = {
  'connection:success': broadcasterConnectionSuccessSchema,
  'message:ack': messageAckSchema,
  'message:new': messageSchema,
  'presence:update': presenceUpdateSchema,
  'session:erased': sessionErasedSchema,
  'session:moderated': sessionModeratedSchema,
  'message:hidden': messageHiddenSchema,
  'user:typing': typingToBroadcasterSchema,
  'error:invalid_payload': invalidPayloadErrorSchema,
  'error:rate_limited': rateLimitedErrorSchema,
  'error:invalid_token': invalidTokenErrorSchema,
  'error:unavailable': unavailableErrorSchema,
  'error:session_ended': sessionEndedErrorSchema,
} as const;

type Payloads<T extends Record<string, z.ZodType>> = { [K in keyof T]: z.infer<T[K]> };

/** Typed event maps, shared by the server and the client SDK (socket.io style). */
export type ListenerClientEvents = Payloads<typeof listenerClientEvents>;
export type BroadcasterClientEvents = Payloads<typeof broadcasterClientEvents>;
export type ListenerServerEvents = Payloads<typeof listenerServerEvents>;
export type BroadcasterServerEvents = Payloads<typeof broadcasterServerEvents>;
/** The answers to a sender: sent alike to listener and broadcaster connections. */
export type SenderServerEvents = Pick<
  ListenerServerEvents,
  'message:ack' | 'error:invalid_payload' | 'error:rate_limited' | 'error:invalid_token' | 'error:unavailable'
>;

/** The envelope of every frame, both ways: one JSON object per text frame. */
export const frameSchema = z.object({
  event: clientString().min(1).max(64),
  data: z.record(z.string(), z.unknown()),
});
export type Frame<M, K extends keyof M = keyof M> = { event: K; data: M[K] };

// ---------------------------------------------------------------------------
// REST payloads
// ---------------------------------------------------------------------------

export const deviceIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9_-]{16,64}$/, 'deviceId: 16–64 karakter A–Z, a–z, 0–9, _ atau -')
  .describe('Made once by the client and kept: 16–64 characters of [A-Za-z0-9_-]');
export const createSessionRequestSchema = z.object({
  name: clientString().max(200).describe('Listener name, 1–50 characters after cleaning'),
  city: clientString().max(200).optional().describe('City, 0–50 characters after cleaning'),
  deviceId: deviceIdSchema.optional(),
  previousSessionToken: z
    .string()
    .max(4096)
    .optional()
    .describe(
      'The token of the session this one follows (expired or not, at most 30 days past its expiry): links the two',
    ),
});
export const createSessionResponseSchema = z
  .object({
    sessionId: sessionIdSchema,
    sessionToken: z.string().describe('Session token (JWT): the `token` query parameter of /livechat/ws'),
    expiresAt: isoDateTime.describe('When the session token expires (ISO-8601, UTC)'),
    previousSessionId: sessionIdSchema
      .optional()
      .describe('The session this one is linked to (from `previousSessionToken`), when it still exists'),
  })
  .describe('The new listener session');
export const adminLoginRequestSchema = z
  .object({
    username: clientString()
      .min(1)
      .max(100)
      .refine(withoutNul, 'must not contain U+0000')
      .describe('Broadcaster username'),
    password: clientString().min(1).max(1024).describe('Broadcaster password'),
  })
  .describe('Broadcaster credentials');
export const adminLoginResponseSchema = z
  .object({
    token: z
      .string()
      .describe(
        'Admin token (JWT): the bearer token of the admin REST routes and the `token` query parameter of /livechat/admin/ws',
      ),
    name: z.string().describe("The broadcaster's display name"),
    role: adminRoleSchema,
    expiresAt: isoDateTime.describe('When the admin token expires (ISO-8601, UTC)'),
  })
  .describe('A logged-in broadcaster');
export const sessionSummarySchema = z
  .object({
    sessionId: sessionIdSchema,
    name: z.string().describe("The listener's name"),
    city: z.string().describe("The listener's city (may be empty)"),
    online: z.boolean().describe('Whether the session has an open WebSocket connection'),
    lastMessageAt: isoDateTime.nullable().describe('When the last message of the session was stored; null when none'),
    previousSessionId: sessionIdSchema
      .nullable()
      .optional()
      .describe('The session this one follows (the same listener, after it expired); null when none'),
    blocked: z
      .object({
        mode: blockModeSchema,
        until: isoDateTime.nullable().describe('When it ends; null: no end'),
      })
      .optional()
      .describe('Present while the session is muted or banned'),
  })
  .describe('One listener session');
export const sessionListResponseSchema = z
  .object({
    sessions: z.array(sessionSummarySchema).describe('Most recent activity first'),
    nextCursor: z.string().nullable().describe('Pass as `cursor` for the next page; null when this page is the last'),
  })
  .describe('Listener sessions, one page');
export const sessionListQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(100).describe('How many sessions, most recent first'),
  includeEmpty: z.enum(['true', 'false']).optional().describe('`true`: also list sessions without messages'),
  cursor: z.string().max(200).optional().describe("The previous page's `nextCursor`"),
});
export const messageListQuerySchema = z.object({
  after: messageIdSchema.optional().describe('Only messages stored after this messageId'),
  limit: z.coerce.number().int().min(1).max(500).default(100).describe('How many messages at most (1–500)'),
  includeHidden: z
    .enum(['true', 'false'])
    .optional()
    .describe('`true`: also hidden messages (muted, filtered, hidden by a broadcaster), marked `hidden`'),
});
export const messageListResponseSchema = z
  .object({ messages: z.array(messageSchema).describe('In stored order') })
  .describe("A session's messages");
export const errorResponseSchema = z
  .object({
    error: z.string().describe('Machine-readable error code'),
    message: z.string().describe('Human-readable explanation (Indonesian)'),
  })
  .describe('Every HTTP error answer');

export const MAX_NAME_LENGTH = 50;
export const MAX_CITY_LENGTH = 50;

// ---------------------------------------------------------------------------
// Moderation and accounts (REST)
// ---------------------------------------------------------------------------

const displayName = clientString()
  .trim()
  .min(1)
  .max(50)
  .refine(withoutNul, 'must not contain U+0000')
  .describe('Display name shown to listeners, 1–50 characters');
const newPassword = clientString().min(8).max(1024).describe('Password, at least 8 characters');
const adminIdParam = z.string().describe("The account's identifier");

export const blockRequestSchema = z
  .object({
    mode: blockModeSchema,
    reason: clientString()
      .trim()
      .max(500)
      .refine(withoutNul, 'must not contain U+0000')
      .optional()
      .describe('Why (kept in the audit log)'),
    minutes: z
      .number()
      .int()
      .min(1)
      .max(366 * 24 * 60)
      .optional()
      .describe('How long; absent: no end'),
    includeIp: z
      .boolean()
      .optional()
      .describe("true: also block the client address the session was opened from, for the block's duration"),
  })
  .describe('Mute or ban a session (and the device it was opened from)');
export const blockResponseSchema = z
  .object({
    sessionId: sessionIdSchema,
    mode: blockModeSchema,
    until: isoDateTime.nullable().describe('When it ends (ISO-8601, UTC); null: no end'),
  })
  .describe('The block now in force');
export const hideResponseSchema = z
  .object({ messageId: messageIdSchema, sessionId: sessionIdSchema, hidden: z.literal(true) })
  .describe('The message is hidden');
export const accountSchema = z
  .object({
    adminId: adminIdParam,
    username: z.string().describe('Login name'),
    name: z.string().describe('Display name'),
    role: adminRoleSchema,
    disabled: z.boolean().describe('true: cannot log in; its tokens are refused'),
  })
  .meta({ id: 'Account', description: 'A broadcaster account' });
export const accountListResponseSchema = z.object({ accounts: z.array(accountSchema) }).describe('Every account');
export const createAccountRequestSchema = z
  .object({
    username: clientString()
      .regex(/^[A-Za-z0-9._-]{1,100}$/, 'huruf, angka, titik, garis bawah atau tanda hubung (1–100)')
      .describe('Login name: letters, digits, `.`, `_`, `-` (1–100)'),
    name: displayName,
    password: newPassword,
    role: adminRoleSchema.optional().describe('Default `penyiar`'),
  })
  .describe('A new broadcaster account');
export const updateAccountRequestSchema = z
  .object({
    name: displayName.optional(),
    password: newPassword.optional().describe("A new password: ends the account's tokens and connections"),
    role: adminRoleSchema.optional(),
    disabled: z.boolean().optional().describe("true: ends the account's tokens and connections"),
  })
  .refine((change) => Object.values(change).some((value) => value !== undefined), 'nothing to change')
  .describe('What to change (any of the fields)');
export const auditQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(1000).default(100).describe('How many entries, newest first (1–1000)'),
});
export const auditResponseSchema = z
  .object({
    entries: z.array(
      z.object({
        at: isoDateTime.describe('When (ISO-8601, UTC)'),
        adminId: z.string().describe('Who'),
        action: z
          .string()
          .describe(
            '`session.block`, `session.unblock`, `session.erase`, `message.hide`, `message.unhide`, `account.create`, `account.update`, `logout`',
          ),
        target: z.string().describe('The sessionId, messageId or adminId acted on'),
        detail: z
          .record(z.string(), z.unknown())
          .nullable()
          .describe('What else was given (mode, minutes, reason, fields changed)'),
      }),
    ),
  })
  .describe('The audit log, newest first');
