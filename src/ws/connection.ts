/**
 * One open WebSocket, listener or broadcaster: sending with a bounded buffer,
 * holding back live deliveries until `connection:success` and replay are out,
 * liveness for the heartbeat, and the token-expiry timer.
 *
 * `ListenerConnection` and `BroadcasterConnection` are sent only the events of
 * their own server → client map (src/protocol), and carry their session or
 * account: `AnyConnection` narrows on `kind`.
 */
import type { WebSocket } from 'ws';
import type { Publication } from '../broker/types.js';
import { frameOf } from '../hub/hub.js';
import type { BroadcasterSubscriber, ListenerSubscriber, Subscriber } from '../hub/subscriber.js';
import { CloseCode } from '../protocol/close-codes.js';
import type { BroadcasterServerEvents, ListenerServerEvents, SenderServerEvents } from '../protocol/events.js';
import { wsMessages } from '../errors.js';
import { sendCorked, unsentBytes } from './corked-send.js';

export interface ConnectionOptions {
  id: string;
  socket: WebSocket;
  ip: string;
  /** Display name (listener name or broadcaster display name). */
  name: string;
  tokenExpiresAt: Date;
  maxBufferedBytes: number;
  onSlowConsumer: (connection: Connection) => void;
}

export type AnyConnection = ListenerConnection | BroadcasterConnection;

/** Whether a hub subscriber is one of these connections (the gateway's hub holds nothing else). */
export function isConnection(subscriber: Subscriber): subscriber is AnyConnection {
  return subscriber instanceof Connection;
}

/** What both kinds share; `E` is the server → client event map of the kind. */
export abstract class Connection<E extends SenderServerEvents = SenderServerEvents> {
  abstract readonly kind: 'listener' | 'broadcaster';
  readonly id: string;
  readonly socket: WebSocket;
  readonly ip: string;
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
    this.socket = options.socket;
    this.ip = options.ip;
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

  /**
   * Sends a serialised frame; drops the connection when its unsent data passes
   * the limit. Frames of one event-loop turn share one write (corked); bytes
   * merely corked for this turn do not count as unsent.
   */
  sendRaw(frame: string): void {
    if (!this.isOpen) return;
    if (unsentBytes(this.socket) + frame.length > this.maxBufferedBytes) {
      this.onSlowConsumer(this);
      this.socket.terminate();
      return;
    }
    sendCorked(this.socket, frame);
  }

  /** Sends one event of this connection's server → client map. */
  send<K extends keyof E & string>(event: K, data: E[K]): void {
    this.sendRaw(frameOf<E, K>(event, data));
  }

  /**
   * The newest message this connection was sent (listener connections:
   * broadcaster messages), the point to recover from after missed deliveries.
   */
  cursor: bigint | undefined;

  /**
   * Listener connections (set by the listener endpoint): called when a
   * delivery shows that a message between `cursor` and it was missed (its
   * `previousMessageId` is newer than `cursor`). The connection has already
   * held that delivery and everything after it back; the handler replays from
   * the store after `cursor` and then calls `release`. Without a handler
   * there is no gap check.
   */
  onGap: ((connection: this, publication: Publication) => void) | undefined;

  /** A publication routed to this connection by the hub. */
  deliver(publication: Publication): void {
    if (publication.exceptConnectionId === this.id) return;
    if (this.held) this.held.push(publication);
    else if (!this.sendPublication(publication)) this.recoverFrom([publication]);
  }

  /** Holds live deliveries back again (while missed messages are recovered); `release` sends them. */
  hold(): void {
    this.held ??= [];
  }

  /**
   * Sends a publication; on a listener connection with a known cursor, drops
   * a message it was already sent (by a replay: messageId at or below the
   * cursor). False, and nothing sent, when the publication shows a gap: one
   * session's messages are published in stored order, so a
   * `previousMessageId` newer than the cursor means one was lost on the way.
   */
  private sendPublication(publication: Publication): boolean {
    const id = decimal(publication.messageId);
    if (this.kind === 'listener' && id !== undefined && this.cursor !== undefined) {
      if (id <= this.cursor) return true;
      const previous = decimal(publication.previousMessageId);
      if (previous !== undefined && previous > this.cursor && this.onGap) return false;
    }
    this.sendRaw(publication.frame);
    if (id !== undefined && (this.cursor === undefined || id > this.cursor)) this.cursor = id;
    if (publication.closeCode !== undefined) this.close(publication.closeCode);
    return true;
  }

  /** Holds `rest` (a delivery that showed a gap, then what came after it) and asks for recovery. */
  private recoverFrom(rest: Publication[]): void {
    this.held = rest;
    this.onGap?.(this, rest[0]!);
  }

  /**
   * Sends what was held back, skipping messages already sent by replay
   * (messageIds at or below `replayedUpTo`), then delivers live. A held
   * message that shows a gap holds itself and the rest back again (see
   * `onGap`).
   */
  release(replayedUpTo?: bigint): void {
    if (replayedUpTo !== undefined && (this.cursor === undefined || replayedUpTo > this.cursor)) {
      this.cursor = replayedUpTo;
    }
    this.sendHeld((publication) => {
      const id = decimal(publication.messageId);
      return replayedUpTo !== undefined && id !== undefined && id <= replayedUpTo;
    });
  }

  /**
   * The first release of a listener connection opened without a replay:
   * `startedAt` (the session's newest broadcaster message when it opened, if
   * known) becomes the cursor. Every held delivery arrived after
   * `connection:success`, so it is sent even when its message was stored
   * just before `startedAt` was read; newer ones are checked for gaps.
   */
  start(startedAt: bigint | undefined): void {
    this.cursor = startedAt;
    this.sendHeld((publication) => {
      const id = decimal(publication.messageId);
      if (startedAt === undefined || id === undefined || id > startedAt) return false;
      this.sendRaw(publication.frame);
      return true;
    });
  }

  /** Sends the held deliveries in order except those `handled` took care of; stops holding. */
  private sendHeld(handled: (publication: Publication) => boolean): void {
    const held = this.held ?? [];
    this.held = undefined;
    for (let i = 0; i < held.length; i++) {
      const publication = held[i]!;
      if (handled(publication)) continue;
      if (!this.sendPublication(publication)) {
        // A gap: this one and the rest wait for the recovery.
        this.recoverFrom(held.slice(i));
        return;
      }
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
      this.sendRaw(
        frameOf<SenderServerEvents, 'error:invalid_token'>('error:invalid_token', { message: wsMessages.tokenExpired }),
      );
      this.close(CloseCode.TokenExpired, 'token expired');
    };
    // setTimeout cannot wait longer than ~24.8 days; tokens live far shorter.
    this.expiryTimer = setTimeout(expire, Math.max(0, Math.min(delay, 2 ** 31 - 1)));
    this.expiryTimer.unref();
  }
}

/** A listener's connection: sent its session's channel and the listener events. */
export class ListenerConnection extends Connection<ListenerServerEvents> implements ListenerSubscriber {
  readonly kind = 'listener';

  constructor(
    options: ConnectionOptions,
    readonly sessionId: string,
  ) {
    super(options);
  }
}

/** A broadcaster's connection: sent the broadcasters' channel and the broadcaster events. */
export class BroadcasterConnection extends Connection<BroadcasterServerEvents> implements BroadcasterSubscriber {
  readonly kind = 'broadcaster';

  constructor(
    options: ConnectionOptions,
    readonly adminId: string,
  ) {
    super(options);
  }
}

/** A messageId as a number; undefined when absent or not decimal digits. */
function decimal(messageId: string | undefined): bigint | undefined {
  return messageId !== undefined && /^\d{1,30}$/.test(messageId) ? BigInt(messageId) : undefined;
}
