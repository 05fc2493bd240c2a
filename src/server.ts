/**
 * Wires one instance together: storage, broker, hub, chat service, HTTP app,
 * WebSocket gateway; starts listening; stops gracefully.
 */
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { TokenService } from './auth/tokens.js';
import { ensureBroadcasters } from './bootstrap.js';
import { broadcastersChannel, createBrokerServices, type BrokerServices, type Publication } from './broker/index.js';
import { ChatService } from './chat/chat-service.js';
import type { Config } from './config.js';
import { openStore } from './db/index.js';
import type { Store } from './db/types.js';
import { Hub } from './hub/hub.js';
import { createApp } from './http/app.js';
import { clientIpResolver } from './http/client-ip.js';
import { createLogger } from './logger.js';
import { Announcements } from './show/announcements.js';
import { ShowStats, startStatsPush } from './show/show-stats.js';
import { createMetrics, observeBrokerTelemetry, type Metrics } from './metrics.js';
import { BroadcasterEndpoint } from './ws/broadcaster-endpoint.js';
import { Gateway } from './ws/gateway.js';
import { SessionExpiries } from './ws/session-expiries.js';
import { warmUpMessagePath } from './ws/warm-up.js';
import { ListenerEndpoint } from './ws/listener-endpoint.js';
import { ModerationEnforcer } from './moderation/enforcer.js';
import { scheduleRetention } from './moderation/retention.js';
import { SessionGuard } from './moderation/session-guard.js';
import { ModerationState, moderationChannel } from './moderation/state.js';
import { WordFilter } from './moderation/word-filter.js';
import { OnAirDesk } from './show/onair-desk.js';
import { OnAirFeed } from './show/onair-feed.js';
import { RequestDesk } from './show/request-desk.js';

export interface LivechatServer {
  readonly config: Config;
  readonly logger: Logger;
  readonly store: Store;
  /** What instances share: pub/sub, connection registry, rate limiters (see src/broker/services.ts). */
  readonly shared: BrokerServices;
  readonly metrics: Metrics;
  readonly http: HttpServer;
  /** The port actually bound (useful with PORT=0). */
  readonly port: number;
  /** Stops accepting, finishes in-flight writes, closes sockets with 1001, closes storage. */
  stop(): Promise<void>;
}

export interface ServerOptions {
  logger?: Logger;
  /** Print the first-run broadcaster password here (default: stdout). */
  announce?: (text: string) => void;
}

export async function startServer(config: Config, options: ServerOptions = {}): Promise<LivechatServer> {
  const logger = options.logger ?? createLogger(config);
  for (const warning of config.warnings) logger.warn(warning);

  const store = await openStore({ database: config.database, sqliteSynchronous: config.sqliteSynchronous });
  try {
    await store.migrate();
    await ensureBroadcasters(config, store, logger, options.announce);
  } catch (error) {
    await store.close();
    throw error;
  }

  const shared = createBrokerServices({
    redisUrl: config.redisUrl,
    keyPrefix: config.redisPrefix,
    logger,
    retainOnFailure: retainRepliesToListeners,
    ...config.redisTimings,
  });
  const { broker, limiters } = shared;
  const metrics = createMetrics(broker.instanceId);
  if (shared.telemetry) observeBrokerTelemetry(metrics, shared.telemetry);
  const hub = new Hub(broker, metrics, logger);
  const tokens = new TokenService(config.jwtSecret);
  const moderation = new ModerationState({
    store,
    broker,
    logger,
    onChanged: (part) => enforcer.apply(part),
  });
  const enforcer = new ModerationEnforcer(moderation, hub, logger);
  const wordFilter = new WordFilter(config.wordFilter);
  warmUpMessagePath(wordFilter);
  const window = config.rateLimit.windowSeconds;
  const chat = new ChatService({
    store,
    hub,
    metrics,
    logger,
    listenerLimiter: limiters.create({
      keyPrefix: 'msg:listener',
      points: config.rateLimit.listenerMessages,
      durationSeconds: window,
    }),
    broadcasterLimiter: limiters.create({
      keyPrefix: 'msg:broadcaster',
      points: config.rateLimit.broadcasterMessages,
      durationSeconds: window,
    }),
    screen: (sessionId, text) =>
      moderation.isMuted(sessionId) ? 'mute' : wordFilter.matches(text) ? 'filter' : undefined,
    requestLimiter: limiters.create({ keyPrefix: 'requests', points: config.requestsPerHour, durationSeconds: 3600 }),
  });
  const announcements = new Announcements(store, hub, logger);
  const stats = new ShowStats({
    store,
    registry: shared.registry,
    timeZone: config.timeZone,
    openRequests: () => store.requests.countOpen(),
  });
  const requestDesk = new RequestDesk({ store, hub, logger });
  const onairDesk = new OnAirDesk({ store, hub, logger });
  const onairFeed = new OnAirFeed({ hub, logger, current: () => onairDesk.queue() });
  const endpointDeps = {
    store,
    hub,
    chat,
    metrics,
    logger,
    rateLimitWindowMs: window * 1000,
    abuseThreshold: config.rateLimit.abuseThreshold,
    listenerFrameBudget: config.rateLimit.listenerFrames,
    typingThrottleMs: config.typingThrottleMs,
    accountCheckIntervalMs: config.heartbeatIntervalMs,
    expiries: new SessionExpiries(store),
    lateAnnouncement: () => announcements.forLateJoiner(),
  };
  const listeners = new ListenerEndpoint(endpointDeps);
  const broadcasters = new BroadcasterEndpoint(endpointDeps);
  await broker.start({
    onDelivery: (publication) =>
      publication.channel === moderationChannel ? moderation.deliver(publication) : hub.deliver(publication),
    onSessionsExpired: (sessionIds: string[]) => {
      for (const sessionId of sessionIds) {
        void hub.toBroadcasters('presence:update', { sessionId, online: false }).catch(() => undefined);
      }
    },
    onResubscribed: () => {
      logger.warn('broker subscriptions restored: recovering what listeners may have missed');
      void moderation.reloadAll();
      void listeners
        .recoverAll(hub.connections())
        .catch((error: unknown) => logger.error({ err: error }, 'recovery failed'));
    },
  });
  await announcements.start();
  const stopStatsPush = startStatsPush(stats, hub, config.statsIntervalMs, logger);

  try {
    await moderation.start();
  } catch (error) {
    await broker.close();
    await store.close();
    throw error;
  }
  const stopRetention = scheduleRetention({ store, logger, days: config.retentionDays });

  const clientIp = clientIpResolver(config.trustProxy);
  const gateway = new Gateway({
    config,
    tokens,
    store,
    registry: shared.registry,
    hub,
    metrics,
    logger,
    clientIp,
    listeners,
    broadcasters,
    moderation,
    enforcer,
  });
  const app = createApp({
    config,
    logger,
    store,
    tokens,
    hub,
    brokerReadiness: shared.readiness,
    metrics,
    registry: shared.registry,
    stats,
    announcements,
    createLimiter:
      config.rateLimit.sessionCreatePerMinute > 0
        ? limiters.create({
            keyPrefix: 'session-create',
            points: config.rateLimit.sessionCreatePerMinute,
            durationSeconds: 60,
            spread: true,
          })
        : undefined,
    loginFailureLimiter: limiters.create({
      keyPrefix: 'login-fail',
      points: config.rateLimit.loginFailures,
      durationSeconds: 15 * 60,
    }),
    loginIpLimiter: limiters.create({ keyPrefix: 'login-ip', points: 100, durationSeconds: 15 * 60 }),
    moderation,
    sessionGuard: new SessionGuard(store, moderation),
    requestDesk,
    onairDesk,
    onairFeed,
    onairKey: config.onairKey,
  });

  const http = createHttpServer(app);
  http.headersTimeout = 10_000;
  http.requestTimeout = 30_000;
  http.on('upgrade', gateway.handleUpgrade);
  try {
    await new Promise<void>((resolve, reject) => {
      http.once('error', reject);
      http.listen(config.port, config.host, () => {
        http.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    stopStatsPush();
    await broker.close();
    await store.close();
    throw error;
  }
  const port = (http.address() as AddressInfo).port;
  logger.info(
    { port, host: config.host, database: config.database.kind, broker: shared.transport },
    'live chat listening',
  );

  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      logger.info('shutting down');
      stopRetention();
      moderation.stop();
      stopStatsPush();
      // Stop reading first: no upgrade, no frame from an open socket; what is still read is refused.
      gateway.stopAccepting();
      gateway.pauseReading();
      chat.stopAccepting();
      const closed = new Promise<void>((resolve) => http.close(() => resolve()));
      // Then answer what was accepted before the signal: stored and acked while
      // the drain budget lasts, refused (error:unavailable) after it, except the
      // writes already with the store, which finish and are acked. Each answer
      // is sent before the 1001 close, which comes only now.
      // The shutdown timeout is shared: half for storing what was accepted, a
      // quarter for the writes already with the store, the rest for the close.
      const by = shutdownClock(config.shutdownTimeoutMs);
      await withTimeout(chat.drain(), by(1 / 2));
      chat.refuseQueued();
      await withTimeout(chat.drain(), by(3 / 4));
      await onairFeed.stop();
      await gateway.closeAll(Math.min(by(1), 5000));
      // Frames read while the sockets close are refused; nothing is stored after the close.
      await withTimeout(chat.drain(), by(1));
      http.closeAllConnections();
      await closed;
      await broker.close();
      await store.close();
      logger.info('stopped');
    })();
    return stopping;
  };

  return { config, logger, store, shared, metrics, http, port, stop };
}

/**
 * Which publications the Redis bus keeps to publish again when it did not take
 * them: replies to listeners must still reach the other instances (a listener
 * connection places a late one by its messageId, or drops it as already
 * replayed). Typing and presence are momentary, and a late `message:new` would
 * reach dashboards out of order (they catch up by their periodic resync instead).
 */
function retainRepliesToListeners(publication: Publication): boolean {
  return publication.messageId !== undefined && publication.channel !== broadcastersChannel;
}

/** From now: the milliseconds left until `fraction` of `timeoutMs` has passed (0 once it has). */
function shutdownClock(timeoutMs: number): (fraction: number) => number {
  const startedAt = Date.now();
  return (fraction) => Math.max(0, startedAt + fraction * timeoutMs - Date.now());
}

async function withTimeout(promise: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([promise, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}
