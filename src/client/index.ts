/**
 * Suara Pendengar live chat: the client SDK.
 *
 * Works in browsers as is, and in Node 20 by passing `WebSocket` from the `ws`
 * package (and, if needed, a `fetch`). Types come from the same zod schemas
 * the server validates with (`../protocol`).
 */
export { ListenerClient, connectListener, startListener } from './listener.js';
export type { ListenerClientOptions, ListenerOutgoing, StartListenerOptions } from './listener.js';
export { BroadcasterClient, connectBroadcaster, startBroadcaster } from './broadcaster.js';
export type { BroadcasterClientOptions, BroadcasterOutgoing, LoginOptions } from './broadcaster.js';
export type { BaseClientOptions } from './client-options.js';
export type { ClientEvents } from './base-client.js';
export type { ConnectionState, StateChange } from './connection.js';
export type { ProtocolError } from './frames.js';
export type { TokenRefresh } from './credentials.js';
export {
  createSession,
  eraseSession,
  getAllMessages,
  getOwnMessages,
  getMessages,
  getSessionsPage,
  listSessions,
  loginBroadcaster,
  LivechatHttpError,
} from './http.js';
export type { BroadcasterCredentials, HttpOptions, SessionCredentials, SessionPage, SessionSummary } from './http.js';
export { Outbox, DeliveryError } from './outbox.js';
export type {
  Acknowledgement,
  DeliveryStatus,
  DeliveryUpdate,
  FailureReason,
  OutboxOptions,
  OutgoingMessage,
  PendingMessage,
} from './outbox.js';
export { Backoff, backoffCeiling, backoffDelay, DEFAULT_BACKOFF } from './backoff.js';
export type { BackoffOptions } from './backoff.js';
export { createTypingIndicator } from './typing.js';
export type { TypingIndicator, TypingOptions } from './typing.js';
export { SeenIds } from './dedup.js';
export { Emitter } from './emitter.js';
export type { FetchLike, NetworkMonitor, Timers, WebSocketConstructor, WebSocketLike } from './environment.js';
export { CloseCode } from '../protocol/close-codes.js';
export { MAX_CITY_LENGTH, MAX_FRAME_BYTES, MAX_NAME_LENGTH, MAX_TEXT_LENGTH } from '../protocol/events.js';
export type {
  ListenerClientEvents,
  ListenerServerEvents,
  BroadcasterClientEvents,
  BroadcasterServerEvents,
  Message,
} from '../protocol/events.js';
