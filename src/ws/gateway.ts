/**
 * The WebSocket side of the HTTP server (`ws` in noServer mode): handshake,
 * connection limits, the life of each connection, and draining at shutdown.
 */
import { randomUUID } from 'node:crypto';
import { trace } from '@opentelemetry/api';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { WebSocketServer, type WebSocket } from 'ws';
import type { ConnectionEntry, ConnectionRegistry } from '../broker/registry.js';
import type { Config } from '../config.js';
import { wsMessages } from '../errors.js';
import type { Hub } from '../hub/hub.js';
import { safePath } from '../logger.js';
import type { Metrics, RefusalReason } from '../metrics.js';
import { CloseCode } from '../protocol/close-codes.js';
import { MAX_FRAME_BYTES } from '../protocol/events.js';
import type { BroadcasterEndpoint } from './broadcaster-endpoint.js';
import {
  BroadcasterConnection,
  ListenerConnection,
  isConnection,
  type AnyConnection,
  type ConnectionOptions,
} from './connection.js';
import { checkHandshake, type BroadcasterPrincipal, type HandshakeDeps, type ListenerPrincipal } from './handshake.js';
import { startHeartbeat } from './heartbeat.js';
import { InboundFlow } from './inbound-flow.js';
import type { ListenerEndpoint } from './listener-endpoint.js';
import { inSpan } from '../tracing.js';
import { refuseUpgrade } from './refuse.js';
import type { ModerationEnforcer } from '../moderation/enforcer.js';
import type { ModerationState } from '../moderation/state.js';

export interface GatewayDeps extends HandshakeDeps {
  config: Config;
  registry: ConnectionRegistry;
  hub: Hub;
  listeners: ListenerEndpoint;
  broadcasters: BroadcasterEndpoint;
  metrics: Metrics;
  logger: Logger;
  clientIp: (req: IncomingMessage) => string;
  /** Logout, account state and bans, checked at every upgrade (in memory). */
  moderation: ModerationState;
  enforcer: ModerationEnforcer;
}

export class Gateway {
  private readonly wss = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_FRAME_BYTES,
    perMessageDeflate: false,
    clientTracking: false,
  });
  private accepting = true;
  /** Close handlers still running (registry release, presence), awaited at shutdown. */
  private readonly closing = new Set<Promise<void>>();
  private readonly stopHeartbeat: () => void;

  constructor(private readonly deps: GatewayDeps) {
    this.stopHeartbeat = startHeartbeat(
      deps.config.heartbeatIntervalMs,
      () => this.connections(),
      (connection) => {
        deps.metrics.heartbeatReapsTotal.inc();
        deps.logger.info(
          { connectionId: connection.id, sessionId: connection.kind === 'listener' ? connection.sessionId : undefined },
          'heartbeat reaped a dead peer',
        );
      },
      (pinged) => void deps.listeners.catchUp(pinged),
    );
  }

  /** Listener for the HTTP server's `upgrade` event. */
  readonly handleUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    // A plain function, not a closure: the listener lives as long as the socket,
    // and a closure here would keep the upgrade request (its headers, the URL
    // with the token) and `head` alive with it.
    socket.on('error', destroySocket);
    void inSpan('livechat.upgrade', { 'url.path': safePath(req.url) }, () => this.upgrade(req, socket, head)).catch(
      (error: unknown) => {
        this.deps.logger.error({ err: error, path: safePath(req.url) }, 'upgrade failed');
        refuseUpgrade(socket, 503);
      },
    );
  };

  private async upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const { metrics, logger, config, registry } = this.deps;
    const ip = this.deps.clientIp(req);
    const refuse = (status: number, reason: RefusalReason) => {
      trace.getActiveSpan()?.setAttributes({ 'http.response.status_code': status, 'livechat.refusal': reason });
      metrics.upgradesRefusedTotal.inc({ reason });
      logger.info({ ip, path: safePath(req.url), status, reason }, 'upgrade refused');
      refuseUpgrade(
        socket,
        status,
        reason === 'origin' ? 'origin_forbidden' : reason === 'banned' ? 'banned' : undefined,
      );
    };
    if (!this.accepting) return refuse(503, 'shutting_down');

    const result = await checkHandshake(req, this.deps);
    if (!result.ok) return refuse(result.status, result.reason);
    const principal = result.principal;
    if (
      principal.kind === 'listener' &&
      this.deps.moderation.banOf({ sessionId: principal.sessionId, deviceId: principal.deviceId, ip })
    ) {
      return refuse(403, 'banned');
    }
    if (principal.kind === 'broadcaster' && this.deps.moderation.isRevoked(principal.tokenId)) {
      return refuse(401, 'unauthorized'); // logged out
    }

    const entry: ConnectionEntry = {
      connectionId: randomUUID(),
      sessionId: principal.kind === 'listener' ? principal.sessionId : undefined,
      ip,
    };
    const acquired = await registry.acquire(entry, {
      perSession: principal.kind === 'listener' ? config.maxConnectionsPerSession : 0,
      perIp: config.maxConnectionsPerIp,
    });
    if (!acquired.ok) return refuse(429, acquired.reason);

    // From here the registry holds the entry: whatever happens, release it once.
    let opened = false;
    const releaseIfNotOpened = () => {
      if (!opened) void this.release(entry);
    };
    socket.once('close', releaseIfNotOpened);
    if (socket.destroyed || !this.accepting) {
      socket.off('close', releaseIfNotOpened);
      await this.release(entry);
      if (!socket.destroyed) refuse(503, 'shutting_down');
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      opened = true;
      socket.off('close', releaseIfNotOpened);
      this.open(ws, principal, entry, acquired.firstForSession);
    });
  }

  private open(
    ws: WebSocket,
    principal: ListenerPrincipal | BroadcasterPrincipal,
    entry: ConnectionEntry,
    firstForSession: boolean,
  ): void {
    const { metrics, logger, config } = this.deps;
    // What every line about this connection carries. A plain object rather
    // than a pino child: each connection would keep a child logger and its
    // bindings string, built in a dozen pieces, for as long as it is open.
    const ids = {
      connectionId: entry.connectionId,
      sessionId: principal.kind === 'listener' ? principal.sessionId : undefined,
      adminId: principal.kind === 'broadcaster' ? principal.adminId : undefined,
    };
    const options: ConnectionOptions = {
      id: entry.connectionId,
      socket: ws,
      ip: entry.ip,
      name: principal.name,
      tokenExpiresAt: principal.expiresAt,
      maxBufferedBytes: config.maxBufferedBytes,
      onSlowConsumer: () => {
        metrics.slowConsumerDropsTotal.inc();
        logger.warn({ connectionId: ids.connectionId, sessionId: ids.sessionId }, 'slow consumer dropped');
      },
    };
    const { connection, greet, handler } =
      principal.kind === 'listener'
        ? this.listenerSide(principal, options, firstForSession)
        : this.broadcasterSide(principal, options);
    metrics.connectsTotal.inc({ kind: connection.kind });
    logger.info({ ...ids, kind: connection.kind, ip: entry.ip }, 'connected');

    // Frames wait until the greeting (and replay) are out, then run in arrival order.
    const ready = this.deps.hub
      .add(connection)
      .then(greet)
      .catch((error: unknown) => {
        logger.error({ ...ids, err: error }, 'opening the connection failed');
        connection.close(CloseCode.InternalError, 'internal error');
      });
    const frameFailed = (error: unknown) => {
      logger.error({ ...ids, err: error }, 'handling a frame failed');
      connection.close(CloseCode.InternalError, 'internal error');
    };
    // Set before the frames that waited for the greeting start (their callbacks come after this one).
    let greeted = false;
    void ready.then(() => (greeted = true));
    // Too many frames in flight: the socket is not read until they are handled.
    const flow = new InboundFlow(ws);
    const failed = (error: unknown) => {
      flow.settled();
      frameFailed(error);
    };
    ws.on('message', (raw: Buffer, isBinary: boolean) => {
      flow.started();
      const handled = greeted ? handler(raw, isBinary) : ready.then(() => handler(raw, isBinary));
      handled.then(flow.settled, failed);
    });
    ws.on('error', (error) => logger.info({ ...ids, err: error }, 'socket error'));
    ws.on('close', (code) => {
      const done = ready.then(() => this.closed(connection, entry, code));
      this.closing.add(done);
      void done.finally(() => this.closing.delete(done));
    });
  }

  /** A listener's connection, its greeting (presence, `connection:success`, replay) and frame handler. */
  private listenerSide(principal: ListenerPrincipal, options: ConnectionOptions, firstForSession: boolean): OpenSide {
    const connection = new ListenerConnection(options, principal.sessionId);
    this.deps.enforcer.trackListener(connection, principal.deviceId);
    const greet = async () => {
      if (firstForSession) {
        await this.deps.hub.toBroadcasters('presence:update', { sessionId: principal.sessionId, online: true });
      }
      await this.deps.listeners.open(connection, principal);
    };
    return { connection, greet, handler: this.deps.listeners.frameHandler(connection) };
  }

  /** A broadcaster's connection, its greeting and frame handler. */
  private broadcasterSide(principal: BroadcasterPrincipal, options: ConnectionOptions): OpenSide {
    const connection = new BroadcasterConnection(options, principal.adminId);
    this.deps.enforcer.track(connection, principal);
    const greet = () => this.deps.broadcasters.open(connection, principal.role);
    return { connection, greet, handler: this.deps.broadcasters.frameHandler(connection) };
  }

  private async closed(connection: AnyConnection, entry: ConnectionEntry, code: number): Promise<void> {
    connection.clearTimers();
    this.deps.metrics.disconnectsTotal.inc({ kind: connection.kind, code: String(code) });
    this.deps.logger.info(
      {
        connectionId: connection.id,
        sessionId: entry.sessionId,
        code,
        durationMs: Date.now() - connection.openedAt,
      },
      'disconnected',
    );
    await this.deps.hub.remove(connection);
    await this.release(entry);
  }

  /** Frees the registry entry; announces the session offline when it was its last connection anywhere. */
  private async release(entry: ConnectionEntry): Promise<void> {
    try {
      const { lastForSession } = await this.deps.registry.release(entry);
      if (lastForSession && entry.sessionId !== undefined) {
        await this.deps.hub.toBroadcasters('presence:update', { sessionId: entry.sessionId, online: false });
      }
    } catch (error) {
      this.deps.logger.warn({ err: error, connectionId: entry.connectionId }, 'releasing a connection failed');
    }
  }

  /** This instance's open connections. */
  private connections(): AnyConnection[] {
    return this.deps.hub.connections().filter(isConnection);
  }

  /** Stops accepting upgrades. */
  stopAccepting(): void {
    this.accepting = false;
  }

  /**
   * At shutdown, before the drain: no frame is read from any open socket any
   * more (what the clients send meanwhile waits in TCP buffers and is never
   * stored), so the drain only has to answer what was read already.
   */
  pauseReading(): void {
    for (const connection of this.connections()) connection.socket.pause();
  }

  /**
   * Closes every connection with 1001 and waits for their close handlers
   * (bounded). Reading resumes first, for the clients' close frames: what is
   * read with them is refused (the chat service no longer accepts).
   */
  async closeAll(timeoutMs: number): Promise<void> {
    this.stopAccepting();
    this.stopHeartbeat();
    for (const connection of this.connections()) {
      connection.close(CloseCode.GoingAway, wsMessages.shuttingDown);
      connection.socket.resume();
    }
    const deadline = Date.now() + timeoutMs;
    while (this.deps.hub.connections().length > 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    for (const connection of this.connections()) connection.socket.terminate();
    await Promise.allSettled([...this.closing]);
    this.wss.close();
  }
}

/** What opening a connection of one kind takes. */
interface OpenSide {
  connection: AnyConnection;
  /** Sends the greeting (after the connection joined the hub). */
  greet: () => void | Promise<void>;
  handler: (raw: Buffer, isBinary: boolean) => Promise<void>;
}

/** `error` listener of an upgrading socket. */
function destroySocket(this: Duplex): void {
  this.destroy();
}
