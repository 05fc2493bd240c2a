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

export const messageIdSchema = z
  .string()
  .regex(/^[1-9][0-9]{0,15}$/, 'messageId tidak dikenal')
  .describe('Opaque message identifier chosen by the server');
export const sessionIdSchema = z
  .uuid({ message: 'sessionId tidak valid' })
  .describe('Listener session identifier');
export const clientMessageIdSchema = z
  .string()
  .min(1)
  .max(64)
  .describe('Client-chosen idempotency key (1–64 characters), echoed on ack and errors');
const isoDateTime = z.iso.datetime().describe('ISO-8601 timestamp (UTC)');

/** A stored chat message as broadcasters and the REST API see it. */
export const messageSchema = z
  .object({
    messageId: messageIdSchema,
    sessionId: sessionIdSchema,
    direction: z.enum(['listener', 'broadcaster']),
    from: z.string().describe("The listener's name or the broadcaster's display name"),
    text: z.string(),
    createdAt: isoDateTime,
  })
  .meta({ id: 'Message' });
export type Message = z.infer<typeof messageSchema>;

// ---------------------------------------------------------------------------
// Client → server events
// ---------------------------------------------------------------------------

/** Raw text as sent; cleaning and the 1–1000 length check happen after parsing. */
const rawText = z.string().max(MAX_FRAME_BYTES).describe('Message text, 1–1000 characters after cleaning');

export const listenerSendSchema = z.object({
  text: rawText,
  clientMessageId: clientMessageIdSchema.optional(),
});
export const listenerTypingSchema = z.object({ isTyping: z.boolean() });

export const broadcasterReplySchema = z.object({
  sessionId: sessionIdSchema,
  text: rawText,
  clientMessageId: clientMessageIdSchema.optional(),
});
export const broadcasterTypingSchema = z.object({ sessionId: sessionIdSchema, isTyping: z.boolean() });

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

export const listenerConnectionSuccessSchema = z.object({
  sessionId: sessionIdSchema,
  name: z.string(),
  city: z.string(),
  connectionId: z.string(),
  expiresAt: isoDateTime,
});
export const broadcasterConnectionSuccessSchema = z.object({
  adminId: z.string(),
  name: z.string(),
  connectionId: z.string(),
});
export const messageAckSchema = z.object({
  messageId: messageIdSchema,
  clientMessageId: clientMessageIdSchema.optional(),
  createdAt: isoDateTime,
  duplicate: z.literal(true).optional(),
});
export const messageReceiveSchema = z.object({
  messageId: messageIdSchema,
  from: z.string().describe('Broadcaster display name'),
  text: z.string(),
  createdAt: isoDateTime,
});
export const presenceUpdateSchema = z.object({ sessionId: sessionIdSchema, online: z.boolean() });
export const typingToBroadcasterSchema = z.object({ sessionId: sessionIdSchema, isTyping: z.boolean() });
export const typingToListenerSchema = z.object({ from: z.string(), isTyping: z.boolean() });
export const invalidPayloadErrorSchema = z.object({
  message: z.string(),
  clientMessageId: clientMessageIdSchema.optional(),
});
export const rateLimitedErrorSchema = z.object({
  retryAfterMs: z.number().int().nonnegative(),
  clientMessageId: clientMessageIdSchema.optional(),
});
export const invalidTokenErrorSchema = z.object({ message: z.string() });
export const unavailableErrorSchema = z.object({
  message: z.string(),
  clientMessageId: clientMessageIdSchema.optional(),
});

/** Events the server sends to listener connections. */
export const listenerServerEvents = {
  'connection:success': listenerConnectionSuccessSchema,
  'message:ack': messageAckSchema,
  'message:receive': messageReceiveSchema,
  'user:typing': typingToListenerSchema,
  'error:invalid_payload': invalidPayloadErrorSchema,
  'error:rate_limited': rateLimitedErrorSchema,
  'error:invalid_token': invalidTokenErrorSchema,
  'error:unavailable': unavailableErrorSchema,
} as const;

/** Events the server sends to broadcaster connections. */
export const broadcasterServerEvents = {
  'connection:success': broadcasterConnectionSuccessSchema,
  'message:ack': messageAckSchema,
  'message:new': messageSchema,
  'presence:update': presenceUpdateSchema,
  'user:typing': typingToBroadcasterSchema,
  'error:invalid_payload': invalidPayloadErrorSchema,
  'error:rate_limited': rateLimitedErrorSchema,
  'error:invalid_token': invalidTokenErrorSchema,
  'error:unavailable': unavailableErrorSchema,
} as const;

type Payloads<T extends Record<string, z.ZodType>> = { [K in keyof T]: z.infer<T[K]> };

/** Typed event maps, shared by the server and the client SDK (socket.io style). */
export type ListenerClientEvents = Payloads<typeof listenerClientEvents>;
export type BroadcasterClientEvents = Payloads<typeof broadcasterClientEvents>;
export type ListenerServerEvents = Payloads<typeof listenerServerEvents>;
export type BroadcasterServerEvents = Payloads<typeof broadcasterServerEvents>;

/** The envelope of every frame, both ways: one JSON object per text frame. */
export const frameSchema = z.object({
  event: z.string().min(1).max(64),
  data: z.record(z.string(), z.unknown()),
});
export type Frame<M, K extends keyof M = keyof M> = { event: K; data: M[K] };

// ---------------------------------------------------------------------------
// REST payloads
// ---------------------------------------------------------------------------

export const createSessionRequestSchema = z.object({
  name: z.string().max(200).describe('Listener name, 1–50 characters after cleaning'),
  city: z.string().max(200).optional().describe('City, 0–50 characters after cleaning'),
});
export const createSessionResponseSchema = z.object({
  sessionId: sessionIdSchema,
  sessionToken: z.string(),
  expiresAt: isoDateTime,
});
export const adminLoginRequestSchema = z.object({
  username: z.string().min(1).max(100),
  password: z.string().min(1).max(1024),
});
export const adminLoginResponseSchema = z.object({
  token: z.string(),
  name: z.string(),
  expiresAt: isoDateTime,
});
export const sessionSummarySchema = z.object({
  sessionId: sessionIdSchema,
  name: z.string(),
  city: z.string(),
  online: z.boolean(),
  lastMessageAt: isoDateTime.nullable(),
});
export const sessionListResponseSchema = z.object({ sessions: z.array(sessionSummarySchema) });
export const messageListQuerySchema = z.object({
  after: messageIdSchema.optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});
export const messageListResponseSchema = z.object({ messages: z.array(messageSchema) });
export const errorResponseSchema = z.object({ error: z.string(), message: z.string() });

export const MAX_NAME_LENGTH = 50;
export const MAX_CITY_LENGTH = 50;
