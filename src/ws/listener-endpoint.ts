/**
 * `/livechat/ws`: what a listener connection does once open — greeting,
 * replay by `lastMessageId`, and the listener's events.
 */
import type { Logger } from 'pino';
import type { ChatService } from '../chat/chat-service.js';
import { toReceive } from '../chat/chat-service.js';
import type { Store } from '../db/types.js';
import { wsMessages } from '../errors.js';
import type { Hub } from '../hub/hub.js';
import type { Metrics } from '../metrics.js';
import { CloseCode } from '../protocol/close-codes.js';
import { listenerClientEvents, messageIdSchema } from '../protocol/events.js';
import type { Connection } from './connection.js';
import { parseFrame } from './frames.js';
import type { ListenerPrincipal } from './handshake.js';
import { abuseGuard, sendInvalidPayload } from './refusals.js';
import { TypingThrottle } from './throttles.js';

const REPLAY_PAGE = 500;

export interface EndpointDeps {
  store: Store;
  hub: Hub;
  chat: ChatService;
  metrics: Metrics;
  logger: Logger;
  rateLimitWindowMs: number;
  abuseThreshold: number;
  typingThrottleMs: number;
  /** How often an open broadcaster connection checks that its account still exists. */
  accountCheckIntervalMs: number;
}

export class ListenerEndpoint {
  constructor(private readonly deps: EndpointDeps) {}

  /** Sends `connection:success`, then the replay, then releases live deliveries. */
  async open(connection: Connection, principal: ListenerPrincipal): Promise<void> {
    connection.send('connection:success', {
      sessionId: principal.sessionId,
      name: principal.name,
      city: principal.city,
      connectionId: connection.id,
      expiresAt: principal.expiresAt.toISOString(),
    });
    if (principal.lastMessageId === undefined) {
      // No replay asked for; remember where this connection starts, to recover from after an outage.
      try {
        const latest = await this.deps.store.messages.latestId(principal.sessionId, 'broadcaster');
        connection.cursor = latest === undefined ? 0n : BigInt(latest);
      } catch {
        // Unknown start point: this connection is not recovered after an outage (it resumes on reconnect).
      }
      connection.release();
      return;
    }
    const after = messageIdSchema.safeParse(principal.lastMessageId);
    if (!after.success) {
      connection.send('error:invalid_payload', { message: wsMessages.unknownLastMessageId });
      connection.release();
      return;
    }
    await this.replayAfter(connection, after.data);
  }

  /**
   * After the broker lost its subscriptions for a while: sends each listener
   * connection the broadcaster messages stored after the last one it got,
   * holding live deliveries back meanwhile (no gap, no duplicate, in order).
   */
  async recoverAll(connections: Connection[]): Promise<void> {
    const listeners = connections.filter((c) => c.kind === 'listener' && c.isOpen);
    const from = new Map<Connection, bigint | undefined>();
    for (const connection of listeners) {
      from.set(connection, connection.cursor);
      connection.hold();
    }
    for (const connection of listeners) {
      const cursor = from.get(connection);
      if (cursor === undefined) connection.release();
      else await this.replayAfter(connection, cursor.toString());
    }
  }

  /** Sends the broadcaster messages after `afterMessageId`, then releases held live deliveries. */
  private async replayAfter(connection: Connection, afterMessageId: string): Promise<void> {
    let cursor = afterMessageId;
    try {
      for (;;) {
        const page = await this.deps.store.messages.listAfter(connection.sessionId!, {
          afterMessageId: cursor,
          limit: REPLAY_PAGE,
          direction: 'broadcaster',
        });
        for (const message of page) connection.send('message:receive', toReceive(message));
        if (page.length > 0) cursor = page[page.length - 1]!.messageId;
        if (page.length < REPLAY_PAGE) break;
      }
    } catch (error) {
      // Without its replay the client would miss messages: make it reconnect and try again.
      this.deps.logger.error({ err: error, connectionId: connection.id }, 'replay failed');
      connection.close(CloseCode.InternalError, 'replay failed');
      return;
    }
    connection.release(BigInt(cursor));
  }

  /** Per-connection handler for incoming frames. */
  frameHandler(connection: Connection): (raw: Buffer, isBinary: boolean) => Promise<void> {
    const { chat, hub, metrics } = this.deps;
    const guard = abuseGuard(connection, this.deps.rateLimitWindowMs, this.deps.abuseThreshold);
    const typing = new TypingThrottle(this.deps.typingThrottleMs);
    const sender = { sessionId: connection.sessionId!, name: connection.name };
    return async (raw, isBinary) => {
      const frame = parseFrame(raw, isBinary, listenerClientEvents);
      if (!frame.ok) return sendInvalidPayload(connection, metrics, frame);
      if (frame.event === 'user:typing') {
        if (typing.shouldForward(frame.data.isTyping)) {
          await hub.toBroadcasters('user:typing', { sessionId: sender.sessionId, isTyping: frame.data.isTyping });
        }
        return;
      }
      guard(await chat.sendFromListener(sender, frame.data, connection));
    };
  }
}
