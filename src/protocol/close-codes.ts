/** WebSocket close codes used by the server (contract: "Close codes"). */
export const CloseCode = {
  /** Normal closure: the listener erased the session (after `session:erased`). */
  Normal: 1000,
  /** The server is shutting down; clients reconnect. */
  GoingAway: 1001,
  /** Policy: rate-limit abuse. */
  PolicyViolation: 1008,
  /** A frame over 16 KiB. */
  MessageTooBig: 1009,
  /** Unexpected server error. */
  InternalError: 1011,
  /** The token expired while connected (after `error:invalid_token`). */
  TokenExpired: 4401,
  /** The session was banned (after `error:banned`). */
  Banned: 4403,
} as const;
export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode];
