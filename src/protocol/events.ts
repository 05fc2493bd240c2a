/**
 * The one schema source for everything that crosses the wire.
 *
 * The server validates incoming frames and REST bodies with these schemas, the
 * client SDK derives its types from them, and the docs generator turns them into
 * AsyncAPI/OpenAPI documents. Change a payload here and all three follow.
 */
import { z } from 'zod';
import {
  announcementSchema,
  focusFromBroadcasterSchema,
  focusToBroadcastersSchema,
  sessionFilterSchema,
  statsSchema,
} from './live-show.js';

export * from './live-show.js';

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

/** A song request as stored with its message (contract v1.1 D). */
export const songRequestSchema = z
  .object({
    title: z.string().describe('Song title as stored (cleaned), 1–100 characters'),
    artist: z.string().describe('Artist as stored (cleaned), 0–100 characters; empty when not given'),
  })
  .meta({ id: 'SongRequest', description: 'The song a listener asked for with a message' });

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
    request: songRequestSchema.optional().describe('Present when the listener sent the message as a song request'),
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
    text: rawText.describe(
      'Message text, 1–1000 characters after cleaning; with `request` it may be empty (a greeting is optional)',
    ),
    clientMessageId: clientMessageIdSchema.optional(),
    request: z
      .object({
        title: clientString().max(1000).describe('Song title, 1–100 characters after cleaning'),
        artist: clientString().max(1000).optional().describe('Artist, 0–100 characters after cleaning'),
      })
      .optional()
      .describe(
        'Makes the message a song request (at most LIVECHAT_REQUESTS_PER_HOUR per session per hour, default 3)',
      ),
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
  'conversation:focus': focusFromBroadcasterSchema,
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
    reason: z
      .literal('requests')
      .optional()
      .describe(
        '`requests`: over the song requests per hour (the message was not stored); absent: over the message limit',
      ),
  })
  .describe('Over the rate limit: the message was not stored');
export const invalidTokenErrorSchema = z
  .object({ message: errorText })
  .describe('The token expired while connected; the server closes with 4401 next');
export const unavailableErrorSchema = z
  .object({
    message: errorText,
    clientMessageId: clientMessageIdSchema.optional(),
  })
  .describe('The message could not be stored (database down); nothing was acknowledged, it may be resent');

// --- Live show: song requests and the on-air queue (contract v1.1 D) ---

export const requestStatusSchema = z
  .enum(['open', 'played', 'skipped'])
  .describe('`open`: waiting; `played`: the song was played; `skipped`: it will not be played');
export const requestIdSchema = z
  .string()
  .regex(/^[1-9][0-9]{0,15}$/, 'requestId tidak dikenal')
  .describe('Identifier of a group of requests for one song (the messageId of its first request)');
export const listenerRequestUpdateSchema = z
  .object({
    messageId: messageIdSchema.describe("The listener's request message"),
    status: requestStatusSchema,
  })
  .describe("A broadcaster changed the status of this listener's song request");
export const broadcasterRequestUpdateSchema = z
  .object({
    requestId: requestIdSchema,
    status: requestStatusSchema,
    count: z.number().int().nonnegative().describe('How many listeners asked for the song'),
  })
  .describe('A broadcaster changed the status of a group of song requests');

export const onAirStateSchema = z
  .enum(['queued', 'on_air', 'used'])
  .describe('`queued`: waiting its turn; `on_air`: being read out now (at most one); `used`: was read out');
export const onAirItemSchema = z
  .object({
    message: messageSchema,
    state: onAirStateSchema,
    by: z.string().describe('Display name of the broadcaster who last changed the item'),
    city: z.string().describe("The listener's city (may be empty)"),
  })
  .meta({ id: 'OnAirItem', description: 'One message in the on-air queue' });
export const onAirQueueSchema = z
  .object({
    items: z.array(onAirItemSchema).describe('In queue order'),
    revision: z
      .number()
      .int()
      .nonnegative()
      .describe('Raised by every change: an update with a lower revision than one already shown is older'),
  })
  .describe('The whole on-air queue');

/** Events the server sends to listener connections. */
export const listenerServerEvents = {
  'connection:success': listenerConnectionSuccessSchema,
  'message:ack': messageAckSchema,
  'message:receive': messageReceiveSchema,
  'user:typing': typingToListenerSchema,
  announcement: announcementSchema,
  'error:invalid_payload': invalidPayloadErrorSchema,
  'error:rate_limited': rateLimitedErrorSchema,
  'error:invalid_token': invalidTokenErrorSchema,
  'error:unavailable': unavailableErrorSchema,
  'request:update': listenerRequestUpdateSchema,
} as const;

/** Events the server sends to broadcaster connections. */
export const broadcasterServerEvents = {
  'connection:success': broadcasterConnectionSuccessSchema,
  'message:ack': messageAckSchema,
  'message:new': messageSchema,
  'presence:update': presenceUpdateSchema,
  'user:typing': typingToBroadcasterSchema,
  'conversation:focus': focusToBroadcastersSchema,
  'stats:update': statsSchema,
  'error:invalid_payload': invalidPayloadErrorSchema,
  'error:rate_limited': rateLimitedErrorSchema,
  'error:invalid_token': invalidTokenErrorSchema,
  'error:unavailable': unavailableErrorSchema,
  'request:update': broadcasterRequestUpdateSchema,
  'onair:update': onAirQueueSchema,
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

export const createSessionRequestSchema = z.object({
  name: clientString().max(200).describe('Listener name, 1–50 characters after cleaning'),
  city: clientString().max(200).optional().describe('City, 0–50 characters after cleaning'),
});
export const createSessionResponseSchema = z
  .object({
    sessionId: sessionIdSchema,
    sessionToken: z.string().describe('Session token (JWT): the `token` query parameter of /livechat/ws'),
    expiresAt: isoDateTime.describe('When the session token expires (ISO-8601, UTC)'),
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
  filter: sessionFilterSchema.optional(),
});
export const messageListQuerySchema = z.object({
  after: messageIdSchema.optional().describe('Only messages stored after this messageId'),
  limit: z.coerce.number().int().min(1).max(500).default(100).describe('How many messages at most (1–500)'),
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

// --- Live show REST (contract v1.1 D) ---

export const requestListQuerySchema = z.object({
  status: requestStatusSchema.default('open').describe('Which groups: `open` (default), `played` or `skipped`'),
});
export const requestGroupSchema = z
  .object({
    requestId: requestIdSchema,
    title: z.string().describe('Title as the first listener typed it'),
    artist: z.string().describe('Artist as the first listener typed it (may be empty)'),
    count: z.number().int().positive().describe('How many listeners (sessions) asked for the song'),
    status: requestStatusSchema,
    messageIds: z.array(messageIdSchema).describe('The request messages of the group, in stored order'),
  })
  .meta({ id: 'SongRequestGroup', description: 'Requests for one song, grouped' });
export const requestListResponseSchema = z
  .object({ requests: z.array(requestGroupSchema).describe('Most asked first, then the earliest asked') })
  .describe('Song requests grouped by song');
export const requestStatusRequestSchema = z
  .object({ status: requestStatusSchema })
  .describe('The new status of a group of requests');
export const requestStatusResponseSchema = requestGroupSchema.describe('The group with its new status');
export const onAirStateRequestSchema = z
  .object({
    state: z
      .enum(['queued', 'on_air', 'used', 'removed'])
      .describe('`queued`, `on_air` (the message on air before becomes `used`), `used`, or `removed` from the queue'),
  })
  .describe("A message's new place in the on-air queue");
export const onAirOrderRequestSchema = z
  .object({
    messageIds: z
      .array(messageIdSchema)
      .max(1000)
      .describe(
        'Queue items in their new order; items left out keep their order after these; ids not in the queue are ignored',
      ),
  })
  .describe('A new order of the on-air queue');
/** What the studio screen's feed sends: the message on air, without the rest of the queue. */
export const onAirDisplaySchema = z
  .object({
    revision: z.number().int().nonnegative().describe('The queue revision this state comes from'),
    onAir: z
      .object({
        messageId: messageIdSchema,
        name: z.string().describe("The listener's name"),
        city: z.string().describe("The listener's city (may be empty)"),
        text: z.string().describe('Message text as stored'),
        request: songRequestSchema.optional(),
      })
      .nullable()
      .describe('The message on air; null when none'),
  })
  .describe('What the on-air display shows');

export const MAX_NAME_LENGTH = 50;
export const MAX_CITY_LENGTH = 50;
