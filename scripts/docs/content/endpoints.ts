/** The two WebSocket endpoints (handshake refusals, events), the close codes and the delivery rules. */
import { z } from 'zod';
import { httpErrors, type HttpErrorCode } from '../../../src/errors.js';
import { CloseCode } from '../../../src/protocol/close-codes.js';
import {
  MAX_FRAME_BYTES,
  MAX_TEXT_LENGTH,
  broadcasterClientEvents,
  broadcasterServerEvents,
  listenerClientEvents,
  listenerServerEvents,
  messageIdSchema,
} from '../../../src/protocol/events.js';
import {
  broadcasterClientDocs,
  broadcasterServerDocs,
  listenerClientDocs,
  listenerServerDocs,
  type EventDoc,
  type EventMap,
} from './events.js';

export type Side = 'listener' | 'broadcaster';
export type Direction = 'client' | 'server';

export interface Refusal {
  code: HttpErrorCode;
  when: string;
}

export interface Endpoint {
  side: Side;
  address: string;
  title: string;
  who: string;
  tokenFrom: string;
  query: z.ZodObject;
  /** Sorted by status. */
  refusals: Refusal[];
  events: Record<Direction, { map: EventMap; docs: Record<string, EventDoc<unknown>> }>;
}

const otherKindRefusal = (other: string): Refusal => ({
  code: 'forbidden',
  when: `A valid ${other} (the token of the other kind); or an \`Origin\` header that is not in \`LIVECHAT_ALLOWED_ORIGINS\` (when that is set).`,
});
const commonRefusals = (kind: string): Refusal[] => [
  {
    code: 'unauthorized',
    when: `The \`token\` is missing, malformed, wrongly signed, uses \`alg: none\` or has expired; or its ${kind} no longer exists.`,
  },
];
const tailRefusals: Refusal[] = [
  { code: 'not_found', when: 'The path is neither `/livechat/ws` nor `/livechat/admin/ws`.' },
  { code: 'unavailable', when: 'The database did not answer, or the server is shutting down. Retry with backoff.' },
];

export const endpoints: Endpoint[] = (
  [
    {
      side: 'listener',
      address: '/livechat/ws',
      title: 'Listener endpoint',
      who: 'a listener (the website widget or any third-party client)',
      tokenFrom: '`sessionToken` from `POST /livechat/session`',
      query: z.object({
        token: z.string().describe('Session token (`sessionToken` from POST /livechat/session)'),
        lastMessageId: messageIdSchema
          .optional()
          .describe('Resume: the last messageId received; the server replays the broadcaster messages stored after it'),
      }),
      refusals: [
        ...commonRefusals('session'),
        otherKindRefusal('admin token'),
        { code: 'banned', when: 'The session (or the client address, when the ban included it) is banned.' },
        {
          code: 'rate_limited',
          when: 'Over a connection limit: the session already holds `LIVECHAT_MAX_CONNECTIONS_PER_SESSION` open connections (default 5), or the client IP holds `LIVECHAT_MAX_CONNECTIONS_PER_IP` (default 0 = no limit).',
        },
        ...tailRefusals,
      ],
      events: {
        client: { map: listenerClientEvents, docs: listenerClientDocs },
        server: { map: listenerServerEvents, docs: listenerServerDocs },
      },
    },
    {
      side: 'broadcaster',
      address: '/livechat/admin/ws',
      title: 'Broadcaster endpoint',
      who: 'a logged-in broadcaster (the dashboard)',
      tokenFrom: '`token` from `POST /livechat/admin/login`',
      query: z.object({
        token: z.string().describe('Admin token (`token` from POST /livechat/admin/login)'),
      }),
      refusals: [
        ...commonRefusals('broadcaster account'),
        {
          code: 'unauthorized',
          when: 'The token was logged out (`POST /livechat/admin/logout`), or its account was disabled or given a new password since.',
        },
        otherKindRefusal('listener session token'),
        {
          code: 'rate_limited',
          when: 'Over a connection limit: the client IP holds `LIVECHAT_MAX_CONNECTIONS_PER_IP` open connections (default 0 = no limit).',
        },
        ...tailRefusals,
      ],
      events: {
        client: { map: broadcasterClientEvents, docs: broadcasterClientDocs },
        server: { map: broadcasterServerEvents, docs: broadcasterServerDocs },
      },
    },
  ] satisfies Endpoint[]
).map((endpoint) => ({
  ...endpoint,
  refusals: [...endpoint.refusals].sort((a, b) => httpErrors[a.code].status - httpErrors[b.code].status),
}));

interface CloseCodeDoc {
  when: string;
  client: string;
}

const closeCodeDocs: Record<CloseCode, CloseCodeDoc> = {
  [CloseCode.Normal]: {
    when: 'The listener erased the session (`DELETE /livechat/session`), right after `session:erased`.',
    client: 'Do not reconnect with that token; start a new session to chat again.',
  },
  [CloseCode.Banned]: {
    when: 'The session was banned (after `error:banned`).',
    client:
      'Do not reconnect: the token is refused with 403, and a new session from the same device until the ban ends.',
  },
  [CloseCode.GoingAway]: {
    when: 'The server is shutting down (restart, deploy).',
    client: 'Reconnect after a short random delay (up to about 1 s); a listener passes `lastMessageId`.',
  },
  [CloseCode.PolicyViolation]: {
    when: 'Policy: rate-limit abuse, more than 10 messages refused with `error:rate_limited` within one rate-limit window.',
    client: 'Slow down; wait a long while (for example 30–60 s) before reconnecting.',
  },
  [CloseCode.MessageTooBig]: {
    when: `A frame over 16 KiB (${MAX_FRAME_BYTES} bytes).`,
    client: 'That frame is lost; do not send it again. Reconnect with backoff.',
  },
  [CloseCode.InternalError]: {
    when: 'Unexpected server error (for example the replay after a reconnect failed).',
    client: 'Reconnect with exponential backoff; a listener passes `lastMessageId`.',
  },
  [CloseCode.TokenExpired]: {
    when: 'The token expired while connected (right after `error:invalid_token`).',
    client:
      'Get a new token (listener: `POST /livechat/session`; broadcaster: `POST /livechat/admin/login`), then connect with it.',
  },
};

export const closeCodes = (Object.entries(CloseCode) as [string, CloseCode][])
  .map(([name, code]) => ({ code, name, ...closeCodeDocs[code] }))
  .sort((a, b) => a.code - b.code);

export const OTHER_CLOSES =
  'A connection can also end without a close frame (code 1006 in browsers): network loss, a peer that did not answer the ' +
  "server's ping within the heartbeat interval, or a client too slow to read its frames. Reconnect with exponential backoff (a listener passes `lastMessageId`).";

export const rules: { name: string; text: string }[] = [
  {
    name: 'Ack means stored',
    text: '`message:ack` is sent only after the message is durably stored. Until then, keep the message and resend it (same `clientMessageId`) after a reconnect.',
  },
  {
    name: 'Dedup',
    text:
      "The key is the sender plus `clientMessageId`: the sender is the listener's session for `message:send`, the broadcaster's " +
      'account for `message:reply` (one key space per sender, across all sessions it replies to). A second message with a key ' +
      'already stored — from any connection, on any server instance — is not stored again and not broadcast again; it gets a ' +
      '`message:ack` with the first messageId and `"duplicate": true`.',
  },
  {
    name: 'Isolation',
    text: "A listener receives only its own session's `message:receive` and `user:typing`; never another session's data, never `message:new`.",
  },
  {
    name: 'Order',
    text: 'Within one session, messageId order is stored order, and messages reach broadcasters and listeners in that order — also across server instances.',
  },
  {
    name: 'Cleaning',
    text:
      'Text is trimmed; control characters other than newline are removed; HTML markup (tags, comments, and the content of ' +
      'script and style elements) is removed. Nothing else changes: text without markup or control characters arrives exactly as ' +
      `sent (apart from the trimming) — \`Aku <3 lagu ini & "Sheila on 7"\` is delivered unchanged, never as \`&lt;3\` or \`&amp;\`. ` +
      `After cleaning, a message text must hold 1–${MAX_TEXT_LENGTH} characters. Display text as text (never as HTML).`,
  },
  {
    name: 'Rate limit',
    text:
      'A listener session may send `LIVECHAT_RATE_LIMIT_MESSAGES` messages per `LIVECHAT_RATE_LIMIT_WINDOW_SECONDS` (default ' +
      '10 per 10 s); broadcasters have their own, higher limit. Over the limit: `error:rate_limited`, not stored. A connection ' +
      'that goes on sending after being limited (more than 10 refused messages within one window) is closed with 1008.',
  },
  {
    name: 'Echo',
    text: 'Whenever the client sent a `clientMessageId`, every `message:ack` and error about that message carries it back.',
  },
  {
    name: 'Message ids',
    text: 'A messageId is an opaque string chosen by the server. Compare ids only for equality; pass the last one you received as `lastMessageId` to resume.',
  },
  {
    name: 'Presence after a crash',
    text: 'When a server instance dies without closing its sockets, its sessions go offline for broadcasters (`presence:update`) within 30 seconds.',
  },
  {
    name: 'Frames',
    text: `Every frame, both ways, is one text frame holding one JSON object \`{"event": "<name>", "data": {…}}\`. Binary frames are refused; frames over ${MAX_FRAME_BYTES} bytes close the connection with 1009.`,
  },
  {
    name: 'Heartbeat',
    text: 'The server pings every connection every 30 s (`LIVECHAT_HEARTBEAT_INTERVAL_MS`) and drops one that did not answer the previous ping. Browsers and the `ws` package answer pings automatically.',
  },
];
