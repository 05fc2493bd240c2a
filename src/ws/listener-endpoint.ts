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
import { listenerClientEvents, messageIdSchema, type ListenerServerEvents } from '../protocol/events.js';
import type { Subscriber } from '../hub/subscriber.js';
import { ListenerConnection, type AnyConnection } from './connection.js';
import { parseFrame } from './frames.js';
import type { ListenerPrincipal } from './handshake.js';
import type { SessionExpiries } from './session-expiries.js';
import { abuseGuard, sendInvalidPayload } from './refusals.js';
import { TypingThrottle, WindowCounter } from './throttles.js';

const REPLAY_PAGE = 500;

export interface EndpointDeps {
  store: Store;
  hub: Hub;
  chat: ChatService;
  metrics: Metrics;
  logger: Logger;
  rateLimitWindowMs: number;
  abuseThreshold: number;
  /** Inbound frames of any kind a listener connection may send within one window (beyond: 1008). */
  listenerFrameBudget: number;
  typingThrottleMs: number;
  /** How often an open broadcaster connection checks that its account still exists. */
  accountCheckIntervalMs: number;
  /** Each session's expiry, learnt from listeners' tokens as they connect, for the checks on replies. */
  expiries: SessionExpiries;
  /** The newest announcement for a listener that just connected (after its greeting and replay). */
  lateAnnouncement?: (() => ListenerServerEvents['announcement'] | undefined) | undefined;
}

/** The replay running on one listener connection, and whether another was asked for meanwhile. */
interface ReplayRun {
  again: boolean;
  /** Resolves when this run and the reruns it took on are done. */
  done: Promise<void>;
}

export class ListenerEndpoint {
  /** At most one replay in flight per connection (opening, or a recovery). */
  private readonly replays = new WeakMap<ListenerConnection, ReplayRun>();

  constructor(private readonly deps: EndpointDeps) {}

  /** Sends `connection:success`, then the replay, then releases live deliveries. */
  open(connection: ListenerConnection, principal: ListenerPrincipal): Promise<void> {
    // The token expires with its session: a reply into it needs no database read to check that.
    this.deps.expiries.remember(principal.sessionId, principal.expiresAt.getTime());
    connection.onGap = (gapped, publication) => {
      this.deps.logger.warn(
        {
          connectionId: gapped.id,
          sessionId: gapped.sessionId,
          cursor: gapped.cursor?.toString(),
          messageId: publication.messageId,
          previousMessageId: publication.previousMessageId,
        },
        'a delivery shows a missed message: recovering it from the store',
      );
      void this.recover(gapped);
    };
    return this.run(connection, () => this.greet(connection, principal)).first.then(() => {
      const announcement = this.deps.lateAnnouncement?.();
      if (announcement && connection.isOpen) connection.send('announcement', announcement);
    });
  }

  private async greet(connection: ListenerConnection, principal: ListenerPrincipal): Promise<void> {
    connection.send('connection:success', {
      sessionId: principal.sessionId,
      name: principal.name,
      city: principal.city,
      connectionId: connection.id,
      expiresAt: principal.expiresAt.toISOString(),
    });
    if (principal.lastMessageId === undefined) {
      // No replay asked for; remember where this connection starts, to recover from after an outage.
      if (!principal.hadMessages) {
        // No reply yet when the handshake read the session: it starts at the beginning.
        connection.start(0n);
        return;
      }
      let latest: bigint | undefined;
      try {
        const id = await this.deps.store.messages.latestId(principal.sessionId, 'broadcaster');
        latest = id === undefined ? 0n : BigInt(id);
      } catch {
        // Unknown start point: this connection is not recovered after an outage (it resumes on reconnect).
      }
      connection.start(latest);
      return;
    }
    const after = messageIdSchema.safeParse(principal.lastMessageId);
    if (!after.success) {
      connection.send('error:invalid_payload', { message: wsMessages.unknownLastMessageId });
      connection.release();
      return;
    }
    await this.replayAfter(connection, after.data, { fromClient: true });
  }

  /**
   * After the broker lost its subscriptions for a while: sends each listener
   * connection the broadcaster messages stored after the last one it got,
   * holding live deliveries back meanwhile (no gap, no duplicate, in order).
   */
  async recoverAll(subscribers: readonly Subscriber[]): Promise<void> {
    const listeners = subscribers.filter((s) => s instanceof ListenerConnection).filter((c) => c.isOpen);
    // Hold every connection first: from now on nothing overtakes the replays.
    for (const connection of listeners) connection.hold();
    for (const connection of listeners) await this.recover(connection);
  }

  /**
   * Holds the connection's live deliveries, sends the broadcaster messages
   * stored after its cursor, then releases them (skipping what the replay
   * sent). Asked for while a replay of this connection is running, it runs
   * once more after that one, from the cursor that one reached.
   */
  recover(connection: ListenerConnection): Promise<void> {
    if (connection.kind !== 'listener' || !connection.isOpen) return Promise.resolve();
    connection.hold();
    const running = this.replays.get(connection);
    if (running) {
      running.again = true;
      return running.done;
    }
    return this.run(connection, () =>
      this.replayFromCursor(connection).catch((error: unknown) => this.recoveryFailed(connection, error)),
    ).done;
  }

  /**
   * Once per heartbeat interval for each listener connection (a tick's share
   * of them at a time): a broadcaster message stored after the last one the
   * connection was sent, and still not delivered, was never published (its
   * instance died between the commit and the publication) or its publication
   * was lost with no later reply to show the gap: recover it now rather than
   * at the listener's next reconnect. One indexed query per tick for all the
   * sessions of the share; a message whose publication is merely on its way
   * is replayed at worst, and its late publication dropped.
   */
  async catchUp(connections: readonly AnyConnection[]): Promise<void> {
    const checked = connections
      .filter((connection) => connection.kind === 'listener')
      .filter((connection) => connection.cursor !== undefined && !this.replays.has(connection));
    if (checked.length === 0) return;
    const cursors = new Map(checked.map((connection) => [connection, connection.cursor!]));
    let latest: Map<string, string>;
    try {
      latest = await this.deps.store.messages.latestIds(
        checked.map((connection) => connection.sessionId),
        'broadcaster',
      );
    } catch {
      return; // The database is away; the next interval tries again.
    }
    for (const [connection, cursor] of cursors) {
      const newest = latest.get(connection.sessionId);
      // The cursor may have moved on while the query ran: compare with the newer of the two.
      if (newest === undefined || BigInt(newest) <= (connection.cursor ?? cursor) || !connection.isOpen) continue;
      this.deps.logger.warn(
        { connectionId: connection.id, sessionId: connection.sessionId, cursor: cursor.toString(), latest: newest },
        'a stored reply never reached this connection: recovering it from the store',
      );
      void this.recover(connection);
    }
  }

  /**
   * Runs `job` as the connection's replay in flight, then the recoveries asked
   * for meanwhile. `first` settles with `job`, `done` after the reruns.
   */
  private run(connection: ListenerConnection, job: () => Promise<void>): { first: Promise<void>; done: Promise<void> } {
    let settle!: () => void;
    const replay: ReplayRun = { again: false, done: new Promise<void>((resolve) => (settle = resolve)) };
    this.replays.set(connection, replay);
    const first = job();
    void (async () => {
      try {
        // A failed opening is its caller's to handle (it closes the connection).
        await first.catch(() => undefined);
        while (replay.again && connection.isOpen) {
          replay.again = false;
          await this.replayFromCursor(connection);
        }
      } catch (error) {
        this.recoveryFailed(connection, error);
      } finally {
        if (this.replays.get(connection) === replay) this.replays.delete(connection);
        settle();
      }
    })();
    return { first, done: replay.done };
  }

  private recoveryFailed(connection: ListenerConnection, error: unknown): void {
    this.deps.logger.error({ err: error, connectionId: connection.id }, 'recovery failed');
    connection.close(CloseCode.InternalError, 'recovery failed');
  }

  private async replayFromCursor(connection: ListenerConnection): Promise<void> {
    connection.hold();
    const cursor = connection.cursor;
    if (cursor === undefined) connection.release();
    else await this.replayAfter(connection, cursor.toString());
  }

  /** Sends the broadcaster messages after `afterMessageId`, then releases held live deliveries. */
  private async replayAfter(
    connection: ListenerConnection,
    afterMessageId: string,
    options: { fromClient?: boolean } = {},
  ): Promise<void> {
    let cursor = afterMessageId;
    let replayed = 0;
    try {
      for (;;) {
        const page = await this.deps.store.messages.listAfter(connection.sessionId, {
          afterMessageId: cursor,
          limit: REPLAY_PAGE,
          direction: 'broadcaster',
        });
        for (const message of page) connection.send('message:receive', toReceive(message));
        replayed += page.length;
        if (page.length > 0) cursor = page[page.length - 1]!.messageId;
        if (page.length < REPLAY_PAGE) break;
      }
      if (replayed === 0 && options.fromClient) cursor = await this.clampToStored(connection, cursor);
    } catch (error) {
      // Without its replay the client would miss messages: make it reconnect and try again.
      this.deps.logger.error({ err: error, connectionId: connection.id }, 'replay failed');
      connection.close(CloseCode.InternalError, 'replay failed');
      return;
    }
    connection.release(BigInt(cursor));
  }

  /**
   * A client's `lastMessageId` past the session's newest broadcaster message
   * (an id of its own message, or a stale one) must not become the cursor as
   * is: live messages up to it would be taken for replayed ones and dropped.
   */
  private async clampToStored(connection: ListenerConnection, afterMessageId: string): Promise<string> {
    let latest: string | undefined;
    try {
      latest = (await this.deps.store.messages.latestId(connection.sessionId, 'broadcaster')) ?? '0';
    } catch {
      return afterMessageId;
    }
    return BigInt(latest) < BigInt(afterMessageId) ? latest : afterMessageId;
  }

  /**
   * Per-connection handler for incoming frames, cheap checks first: a frame
   * arriving after the close decision is dropped unread; every frame (typing
   * and refused ones included) counts against the connection's frame budget,
   * closed with 1008 beyond it; only then is the frame parsed, validated, and
   * a message's text rate limited and cleaned.
   */
  frameHandler(connection: ListenerConnection): (raw: Buffer, isBinary: boolean) => Promise<void> {
    const { chat, hub, metrics, logger } = this.deps;
    const guard = abuseGuard(connection, this.deps.rateLimitWindowMs, this.deps.abuseThreshold);
    const budget = new WindowCounter(this.deps.rateLimitWindowMs, this.deps.listenerFrameBudget);
    const sender = { sessionId: connection.sessionId, name: connection.name, connectionId: connection.id };
    const typing = new TypingThrottle(this.deps.typingThrottleMs, (isTyping) => {
      if (!connection.isOpen) return;
      hub.toBroadcasters('user:typing', { sessionId: sender.sessionId, isTyping }).catch((error: unknown) => {
        logger.warn({ err: error, connectionId: connection.id }, 'forwarding typing failed');
      });
    });
    return async (raw, isBinary) => {
      if (!connection.isOpen) return typing.stop();
      if (budget.add()) {
        typing.stop();
        return connection.close(CloseCode.PolicyViolation, 'frame flood');
      }
      const frame = parseFrame(raw, isBinary, listenerClientEvents);
      if (!frame.ok) return sendInvalidPayload(connection, metrics, frame);
      if (frame.event === 'user:typing') return typing.offer(frame.data.isTyping);
      const outcome = await chat.sendFromListener(sender, frame.data, connection);
      if (outcome === 'acked') typing.messageSent();
      guard(outcome);
    };
  }
}
