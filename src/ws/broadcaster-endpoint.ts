/**
 * `/livechat/admin/ws`: what a broadcaster connection does once open —
 * greeting, replies and typing indicators to a session.
 */
import type { AdminRole } from '../db/types.js';
import { wsMessages } from '../errors.js';
import { CloseCode } from '../protocol/close-codes.js';
import { broadcasterClientEvents } from '../protocol/events.js';
import type { BroadcasterConnection } from './connection.js';
import { ConversationFocus } from './conversation-focus.js';
import { parseFrame } from './frames.js';
import type { EndpointDeps } from './listener-endpoint.js';
import { abuseGuard, sendInvalidPayload } from './refusals.js';
import { TypingThrottle } from './throttles.js';

/** How many known session ids to remember for typing checks. */
const KNOWN_SESSIONS_CACHE = 10_000;

export class BroadcasterEndpoint {
  private readonly knownSessions = new Map<string, true>();
  private readonly focus: ConversationFocus;

  constructor(private readonly deps: EndpointDeps) {
    this.focus = new ConversationFocus(deps.hub);
  }

  open(connection: BroadcasterConnection, role: AdminRole): void {
    connection.send('connection:success', {
      adminId: connection.adminId,
      name: connection.name,
      role,
      connectionId: connection.id,
    });
    connection.release();
    // An account removed while connected must not go on receiving every listener's messages
    // until the token expires (hours): its connections are closed like an expired token's.
    const timer = setInterval(() => void this.checkAccount(connection), this.deps.accountCheckIntervalMs);
    timer.unref();
    connection.socket.once('close', () => {
      clearInterval(timer);
      this.focus.closed(connection).catch((error: unknown) => {
        this.deps.logger.warn({ err: error, connectionId: connection.id }, 'clearing the conversation focus failed');
      });
    });
  }

  private async checkAccount(connection: BroadcasterConnection): Promise<void> {
    let exists: boolean;
    try {
      exists = (await this.deps.store.admins.findById(connection.adminId)) !== undefined;
    } catch {
      return; // the database did not answer: the next check decides
    }
    if (exists || !connection.isOpen) return;
    this.deps.logger.info(
      { connectionId: connection.id, adminId: connection.adminId },
      'broadcaster account removed; closing',
    );
    connection.send('error:invalid_token', { message: wsMessages.accountRemoved });
    connection.close(CloseCode.TokenExpired, 'account removed');
  }

  frameHandler(connection: BroadcasterConnection): (raw: Buffer, isBinary: boolean) => Promise<void> {
    const { chat, hub, metrics } = this.deps;
    const guard = abuseGuard(connection, this.deps.rateLimitWindowMs, this.deps.abuseThreshold);
    const typingBySession = new Map<string, TypingThrottle>();
    const sender = { adminId: connection.adminId, name: connection.name };
    return async (raw, isBinary) => {
      if (!connection.isOpen) return; // after the close decision: dropped unread
      const frame = parseFrame(raw, isBinary, broadcasterClientEvents);
      if (!frame.ok) return sendInvalidPayload(connection, metrics, frame);
      if (frame.event === 'user:typing') {
        const { sessionId, isTyping } = frame.data;
        if (!(await this.sessionExists(sessionId))) {
          return sendInvalidPayload(connection, metrics, { message: wsMessages.unknownSession });
        }
        let throttle = typingBySession.get(sessionId);
        if (!throttle) {
          if (typingBySession.size >= 1000) typingBySession.clear();
          throttle = new TypingThrottle(this.deps.typingThrottleMs, (state) => {
            if (!connection.isOpen) return;
            hub.toSession(sessionId, 'user:typing', { from: sender.name, isTyping: state }).catch((error: unknown) => {
              this.deps.logger.warn({ err: error, connectionId: connection.id }, 'forwarding typing failed');
            });
          });
          typingBySession.set(sessionId, throttle);
        }
        return throttle.offer(isTyping);
      }
      if (frame.event === 'conversation:focus') {
        const { sessionId } = frame.data;
        if (sessionId !== null && !(await this.sessionExists(sessionId))) {
          return sendInvalidPayload(connection, metrics, { message: wsMessages.unknownSession });
        }
        if (!connection.isOpen) return; // closed meanwhile: its focus is already cleared
        return this.focus.set(connection, sessionId);
      }
      const expiresAt = this.deps.expiries.expiresAt(frame.data.sessionId);
      const expiry = typeof expiresAt === 'number' || expiresAt === undefined ? expiresAt : await expiresAt;
      if (expiry !== undefined && expiry <= Date.now()) return this.refuseEnded(connection, frame.data);
      guard(await chat.replyFromBroadcaster(sender, frame.data, connection));
    };
  }

  /**
   * A reply into a session whose token expired: its listener can never read
   * it, so it is not stored; `newSessionId` points to where the listener came
   * back, when it did (a rare path: one read).
   */
  private async refuseEnded(
    connection: BroadcasterConnection,
    reply: { sessionId: string; clientMessageId?: string | undefined },
  ): Promise<void> {
    let newSessionId: string | undefined;
    try {
      newSessionId = await this.deps.store.sessions.newestLinked(reply.sessionId);
    } catch (error) {
      this.deps.logger.warn({ err: error, sessionId: reply.sessionId }, 'looking up a linked session failed');
    }
    this.deps.metrics.messagesRefusedTotal.inc({ reason: 'session_ended' });
    connection.send('error:session_ended', {
      sessionId: reply.sessionId,
      ...(newSessionId === undefined ? {} : { newSessionId }),
      ...(reply.clientMessageId === undefined ? {} : { clientMessageId: reply.clientMessageId }),
    });
  }

  private async sessionExists(sessionId: string): Promise<boolean> {
    if (this.knownSessions.has(sessionId)) return true;
    let exists: boolean;
    try {
      exists = (await this.deps.store.sessions.get(sessionId)) !== undefined;
    } catch {
      return false;
    }
    if (exists) {
      if (this.knownSessions.size >= KNOWN_SESSIONS_CACHE) {
        this.knownSessions.delete(this.knownSessions.keys().next().value!);
      }
      this.knownSessions.set(sessionId, true);
    }
    return exists;
  }
}
