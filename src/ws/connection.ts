/**
 * One open WebSocket, listener or broadcaster: sending with a bounded buffer,
 * holding back live deliveries until `connection:success` and replay are out,
 * liveness for the heartbeat, and the token-expiry timer.
 */
import type { WebSocket } from 'ws';
import type { Publication } from '../broker/types.js';
import { CloseCode } from '../protocol/close-codes.js';
import { wsMessages } from '../errors.js';

export interface ConnectionOptions {
  id: string;
  kind: 'listener' | 'broadcaster';
  socket: WebSocket;
  ip: string;
  /** Listener connections: their session. */
  sessionId?: string | undefined;
  /** Broadcaster connections: their account. */
  adminId?: string | undefined;
  /** Display name (listener name or broadcaster display name). */
  name: string;
  tokenExpiresAt: Date;
  maxBufferedBytes: number;
  onSlowConsumer: (connection: Connection) => void;
}

export class Connection {
  readonly id: string;
  readonly kind: 'listener' | 'broadcaster';
  readonly socket: WebSocket;
  readonly ip: string;
  readonly sessionId: string | undefined;
  readonly adminId: string | undefined;
  readonly name: string;
  readonly openedAt = Date.now();
  /** Set by the heartbeat when a pong arrives; cleared when a ping is sent. */
  alive = true;
  /** Deliveries held back while `connection:success` and replay are being sent. */
  private held: Publication[] | undefined = [];
  private expiryTimer: NodeJS.Timeout | undefined;
  private readonly maxBufferedBytes: number;
  private readonly onSlowConsumer: (connection: Connection) => void;

  constructor(options: ConnectionOptions) {
    this.id = options.id;
    this.kind = options.kind;
    this.socket = options.socket;
    this.ip = options.ip;
    this.sessionId = options.sessionId;
    this.adminId = options.adminId;
    this.name = options.name;
    this.maxBufferedBytes = options.maxBufferedBytes;
    this.onSlowConsumer = options.onSlowConsumer;
    this.socket.on('pong', () => {
      this.alive = true;
    });
    this.armExpiry(options.tokenExpiresAt);
  }

  get isOpen(): boolean {
    return this.socket.readyState === this.socket.OPEN;
  }

  /** Sends a serialised frame; drops the connection when its unsent data passes the limit. */
  sendRaw(frame: string): void {
    if (!this.isOpen) return;
    if (this.socket.bufferedAmount + frame.length > this.maxBufferedBytes) {
      this.onSlowConsumer(this);
      this.socket.terminate();
      return;
    }
    this.socket.send(frame);
  }

  send(event: string, data: object): void {
    this.sendRaw(JSON.stringify({ event, data }));
  }

  /**
   * The newest message this connection was sent (listener connections:
   * broadcaster messages), the point to recover from after missed deliveries.
   */
  cursor: bigint | undefined;

  /** A publication routed to this connection by the hub. */
  deliver(publication: Publication): void {
    if (this.held) this.held.push(publication);
    else this.sendPublication(publication);
  }

  /** Holds live deliveries back again (while missed messages are recovered); `release` sends them. */
  hold(): void {
    this.held ??= [];
  }

  private sendPublication(publication: Publication): void {
    this.sendRaw(publication.frame);
    if (publication.messageId !== undefined) {
      const id = BigInt(publication.messageId);
      if (this.cursor === undefined || id > this.cursor) this.cursor = id;
    }
  }

  /**
   * Sends what was held back, skipping messages already sent by replay
   * (messageIds at or below `replayedUpTo`), then delivers live.
   */
  release(replayedUpTo?: bigint): void {
    const held = this.held ?? [];
    this.held = undefined;
    if (replayedUpTo !== undefined && (this.cursor === undefined || replayedUpTo > this.cursor)) {
      this.cursor = replayedUpTo;
    }
    for (const publication of held) {
      if (
        replayedUpTo !== undefined &&
        publication.messageId !== undefined &&
        BigInt(publication.messageId) <= replayedUpTo
      ) {
        continue;
      }
      this.sendPublication(publication);
    }
  }

  close(code: number, reason = ''): void {
    this.clearTimers();
    if (this.socket.readyState === this.socket.OPEN || this.socket.readyState === this.socket.CONNECTING) {
      this.socket.close(code, reason);
    }
  }

  clearTimers(): void {
    if (this.expiryTimer) clearTimeout(this.expiryTimer);
    this.expiryTimer = undefined;
  }

  /** At token expiry: `error:invalid_token`, then close 4401 (contract). */
  private armExpiry(expiresAt: Date): void {
    const delay = expiresAt.getTime() - Date.now();
    const expire = () => {
      this.send('error:invalid_token', { message: wsMessages.tokenExpired });
      this.close(CloseCode.TokenExpired, 'token expired');
    };
    // setTimeout cannot wait longer than ~24.8 days; tokens live far shorter.
    this.expiryTimer = setTimeout(expire, Math.max(0, Math.min(delay, 2 ** 31 - 1)));
    this.expiryTimer.unref();
  }
}
