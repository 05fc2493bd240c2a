/** What the documents say about each WebSocket event: summary, description and a validated example. */
import type { z } from 'zod';
import {
  MAX_TEXT_LENGTH,
  type broadcasterClientEvents,
  type broadcasterServerEvents,
  type listenerClientEvents,
  type listenerServerEvents,
} from '../../../src/protocol/events.js';
import { ex } from './examples.js';

export interface EventDoc<T> {
  /** One line: what it is. */
  summary: string;
  /** When it is sent, what follows, what to do with it. */
  description: string;
  example: T;
}
export type EventMap = Record<string, z.ZodType>;
type EventDocs<M extends EventMap> = { [K in keyof M & string]: EventDoc<z.input<M[K]>> };

const invalidPayloadCauses =
  'a frame that is not one JSON object `{"event","data"}`, a binary frame, an unknown event, missing or wrong fields, ' +
  `text empty or over ${MAX_TEXT_LENGTH} characters after cleaning`;

export const listenerClientDocs: EventDocs<typeof listenerClientEvents> = {
  'message:send': {
    summary: 'Send a chat message to the station.',
    description:
      'The server cleans the text (see the Cleaning rule), checks the rate limit and stores the message; only then does it answer ' +
      '`message:ack` and forward the message to every connected broadcaster as `message:new`. When refused, the sender gets ' +
      '`error:invalid_payload`, `error:rate_limited` or `error:unavailable` and nothing is stored. Always set `clientMessageId` ' +
      '(for example a UUID) and keep the message until it is acknowledged: resending it with the same `clientMessageId` never stores it twice.',
    example: { text: ex.listenerText, clientMessageId: ex.clientMessageId },
  },
  'user:typing': {
    summary: 'Tell the broadcasters whether the listener is typing.',
    description:
      'Forwarded to every connected broadcaster as `user:typing` `{"sessionId","isTyping"}`; not stored and not acknowledged. ' +
      'At most one `user:typing` is forwarded per second (server setting `LIVECHAT_TYPING_THROTTLE_MS`), whatever its value; ' +
      'a change within that second is forwarded when it ends, so the last state always arrives. Every frame counts ' +
      "against the connection's frame budget: send it when typing starts and at most every few seconds while it goes on " +
      "(the client SDK's typing helper does), and `false` when the listener stops typing.",
    example: { isTyping: true },
  },
};

export const broadcasterClientDocs: EventDocs<typeof broadcasterClientEvents> = {
  'message:reply': {
    summary: 'Answer one listener session.',
    description:
      'Handled like `message:send` (same cleaning, limits and errors; a `sessionId` that names no session is answered with ' +
      '`error:invalid_payload`). Once stored: `message:ack` to the sender, `message:receive` to every open connection of that ' +
      'session, and `message:new` to every connected broadcaster (the sender included). The `clientMessageId` key space is the ' +
      'broadcaster account, across all sessions it replies to.',
    example: { sessionId: ex.sessionId, text: ex.replyText, clientMessageId: ex.replyClientMessageId },
  },
  'user:typing': {
    summary: 'Tell one listener session whether the broadcaster is typing.',
    description:
      'Forwarded to every open connection of that session as `user:typing` `{"from","isTyping"}`; not stored and not acknowledged; throttled like the listener\'s. ' +
      'A `sessionId` that names no session is answered with `error:invalid_payload`.',
    example: { sessionId: ex.sessionId, isTyping: true },
  },
};

function errorDocs(
  newToken: string,
  alsoInvalidPayload = '',
): Pick<
  EventDocs<typeof listenerServerEvents>,
  'error:invalid_payload' | 'error:rate_limited' | 'error:invalid_token' | 'error:unavailable'
> {
  return {
    'error:invalid_payload': {
      summary: 'A frame or its data was refused.',
      description:
        `Sent for ${invalidPayloadCauses}${alsoInvalidPayload}. Nothing was stored and the connection stays open. ` +
        '`clientMessageId` is echoed when the refused frame carried a valid one. Do not resend the same data unchanged.',
      example: { message: 'Pesan kosong setelah dibersihkan.', clientMessageId: ex.clientMessageId },
    },
    'error:rate_limited': {
      summary: 'Over the rate limit: the message was not stored.',
      description:
        'Wait `retryAfterMs` milliseconds, then resend it with the same `clientMessageId`. A connection that goes on sending ' +
        'and gets more than 10 of these within one rate-limit window is closed with 1008.',
      example: { retryAfterMs: 4200, clientMessageId: ex.clientMessageId },
    },
    'error:invalid_token': {
      summary: 'The token expired (or was ended) while connected.',
      description:
        `The server closes the connection with 4401 right after it. ${newToken} Then connect again with the new token. ` +
        'On the broadcaster endpoint also when the token was logged out, or its account was disabled or given a new password.',
      example: { message: 'Token sudah kedaluwarsa. Silakan sambung ulang dengan token baru.' },
    },
    'error:unavailable': {
      summary: 'The message could not be stored (database down).',
      description:
        'Nothing was stored or acknowledged. Resend the message later with the same `clientMessageId`; the connection stays open.',
      example: {
        message: 'Pesan belum tersimpan karena layanan sedang bermasalah. Silakan kirim ulang.',
        clientMessageId: ex.clientMessageId,
      },
    },
  };
}

export const listenerServerDocs: EventDocs<typeof listenerServerEvents> = {
  'connection:success': {
    summary: 'The connection is open: the first frame after a successful handshake.',
    description:
      'Sent once, before anything else. With `lastMessageId` in the URL, the replayed `message:receive` frames follow right ' +
      'after it, then live frames. The server closes the connection with 4401 at `expiresAt`, when the session token expires.',
    example: {
      sessionId: ex.sessionId,
      name: ex.listenerName,
      city: ex.city,
      connectionId: ex.connectionId,
      expiresAt: ex.sessionExpiresAt,
    },
  },
  'message:ack': {
    summary: 'Your `message:send` is stored.',
    description:
      'Sent only after the message is durably stored, to the connection that sent it. `clientMessageId` is echoed when you sent ' +
      'one. `duplicate: true` means a message with this `clientMessageId` was already stored for this session (for example a ' +
      "resend after a lost ack): `messageId`, `createdAt` and `text` are the first message's, and nothing was stored or broadcast " +
      'again. `text` is the text as stored, after cleaning (markup and bidi controls removed): show it in place of what was ' +
      'typed, it is what the station sees.',
    example: {
      messageId: ex.listenerMessageId,
      clientMessageId: ex.clientMessageId,
      createdAt: ex.listenerCreatedAt,
      text: ex.listenerText,
    },
  },
  'message:receive': {
    summary: "A broadcaster's message to this session.",
    description:
      'Sent to every open connection of the session, live and as replay after `connection:success`. Remember the last ' +
      "`messageId` received: it is the `lastMessageId` to reconnect with. The listener's own messages reach its other " +
      'connections (tabs) as `message:sent`.',
    example: {
      messageId: ex.replyMessageId,
      from: ex.broadcasterName,
      text: ex.replyText,
      createdAt: ex.replyCreatedAt,
    },
  },
  'message:sent': {
    summary: "This session's own message, sent from another of its connections (tabs).",
    description:
      'A `Message` with `direction: "listener"`, to every open connection of the session except the one that sent it ' +
      '(which gets its `message:ack`). Not replayed: after a reconnect, load the history with ' +
      '`GET /livechat/session/messages`.',
    example: {
      messageId: ex.listenerMessageId,
      sessionId: ex.sessionId,
      direction: 'listener',
      from: ex.listenerName,
      text: ex.listenerText,
      createdAt: ex.listenerCreatedAt,
    },
  },
  'session:erased': {
    summary: 'The session was erased (`DELETE /livechat/session`).',
    description:
      'The session and all its messages are gone. Sent to its open connections right before the server closes them with 1000; ' +
      'its token no longer opens a connection. Start a new session to chat again.',
    example: { sessionId: ex.sessionId },
  },
  'user:typing': {
    summary: 'A broadcaster is (or stopped) typing in this session.',
    description: 'Sent when a broadcaster sends `user:typing` for this session. Not stored.',
    example: { from: ex.broadcasterName, isTyping: true },
  },
  'error:banned': {
    summary: 'This session was banned.',
    description:
      'A broadcaster banned the session (or the device or address it was opened from). The server closes the connection with ' +
      '4403 right after; do not reconnect: the token is refused at upgrade with 403, and `POST /livechat/session` from the same ' +
      'device answers `403 banned` until `until` (null: no end).',
    example: { message: 'Anda diblokir dari obrolan ini.', until: null },
  },
  ...errorDocs(
    'Create a new session (`POST /livechat/session`).',
    '; and right after `connection:success` when `lastMessageId` is not a valid messageId (there is no replay then)',
  ),
};

export const broadcasterServerDocs: EventDocs<typeof broadcasterServerEvents> = {
  'connection:success': {
    summary: 'The connection is open: the first frame after a successful handshake.',
    description:
      'Sent once, before anything else. There is no replay on this endpoint: load the session list and history over REST ' +
      '(`GET /livechat/admin/sessions`, `GET /livechat/admin/sessions/{sessionId}/messages`).',
    example: { adminId: ex.adminId, name: ex.broadcasterName, role: 'penyiar', connectionId: ex.adminConnectionId },
  },
  'message:ack': {
    summary: 'Your `message:reply` is stored.',
    description:
      'Sent only after the reply is durably stored, to the connection that sent it. `clientMessageId` is echoed when you sent ' +
      'one. `duplicate: true` means this broadcaster account already stored a message with this `clientMessageId`: ' +
      "`messageId`, `createdAt` and `text` are the first message's, and nothing was stored or broadcast again. `text` is the " +
      'text as stored, after cleaning: show it in place of what was typed, it is what the listener sees.',
    example: {
      messageId: ex.replyMessageId,
      clientMessageId: ex.replyClientMessageId,
      createdAt: ex.replyCreatedAt,
      text: ex.replyText,
    },
  },
  'message:new': {
    summary: 'A message was stored in some session.',
    description:
      "Every stored message, the listeners' and the broadcasters' (your own replies included), to every connected broadcaster, " +
      'in stored order within each session. A duplicate is never sent again. A message of a muted session is never sent. ' +
      'A message the word filter held arrives with `"hidden": true, "reason": "filter"`: show it collapsed, held for ' +
      'review; releasing it (`DELETE /livechat/admin/messages/{messageId}/hide`) shows it to everyone.',
    example: {
      messageId: ex.listenerMessageId,
      sessionId: ex.sessionId,
      direction: 'listener',
      from: ex.listenerName,
      text: ex.listenerText,
      createdAt: ex.listenerCreatedAt,
    },
  },
  'presence:update': {
    summary: 'A listener session came online or went offline.',
    description:
      "Sent when a session's first connection opens (`online: true`) or its last one closes (`online: false`). When a server " +
      'instance dies without closing its sockets, its sessions go offline within 30 seconds. The state at load time is the ' +
      '`online` field of `GET /livechat/admin/sessions`.',
    example: { sessionId: ex.sessionId, online: true },
  },
  'session:erased': {
    summary: 'A listener erased its session.',
    description:
      'The session and all its messages were erased by its listener (`DELETE /livechat/session`): drop it from the list and ' +
      'its history from view. Its connections were closed.',
    example: { sessionId: ex.sessionId },
  },
  'session:moderated': {
    summary: 'A session was muted, banned, or its block lifted.',
    description:
      'Sent to every connected broadcaster, on every instance, after `POST` or `DELETE /livechat/admin/sessions/{sessionId}/block`. ' +
      '`mode` null: lifted. Show the state in the session list (`blocked` in `GET /livechat/admin/sessions` at load time).',
    example: { sessionId: ex.sessionId, mode: 'mute', until: '2025-06-01T08:15:02.481Z', by: ex.broadcasterName },
  },
  'message:hidden': {
    summary: 'A message was hidden, or shown again.',
    description:
      'Sent to every connected broadcaster, on every instance, after `POST` (hidden) or `DELETE` (shown again, also the ' +
      'release of a message the word filter held) `/livechat/admin/messages/{messageId}/hide`. Hidden messages leave the ' +
      'admin listings unless `includeHidden=true`.',
    example: { messageId: ex.listenerMessageId, sessionId: ex.sessionId, hidden: true, by: ex.broadcasterName },
  },
  'user:typing': {
    summary: 'A listener is (or stopped) typing.',
    description: 'Sent when the listener of `sessionId` sends `user:typing`. Not stored.',
    example: { sessionId: ex.sessionId, isTyping: true },
  },
  ...errorDocs('Log in again (`POST /livechat/admin/login`).', ', a `sessionId` that names no session'),
  'error:session_ended': {
    summary: 'Your `message:reply` went to a session that has ended.',
    description:
      "The session's token has expired, so its listener can no longer read it: the reply was not stored. When the same " +
      'listener came back, `newSessionId` is the newest session linked to it: reply there. `clientMessageId` is echoed.',
    example: { sessionId: ex.sessionId, newSessionId: ex.newSessionId, clientMessageId: ex.replyClientMessageId },
  },
};
