/**
 * The two ioredis connections of a Redis broker (commands, and Pub/Sub), with
 * the options that make a down Redis fail fast and reconnect by itself.
 */
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { RedisBrokerSettings } from './redis-options.js';
import { withTimeout } from './timeout.js';

export interface RedisConnections {
  /** Commands, PUBLISH, scripts and rate limits. No offline queue: a down Redis fails fast. */
  cmd: Redis;
  /** Pub/Sub only. */
  sub: Redis;
}

export function openRedisConnections(settings: RedisBrokerSettings, instanceId: string): RedisConnections {
  const clientName = (role: string): string => `${settings.keyPrefix}${role}:${instanceId}`.replace(/[^\w:.-]/g, '_');
  const common = {
    lazyConnect: true,
    enableOfflineQueue: false,
    // Commands in flight when a connection drops fail at once instead of being replayed later.
    maxRetriesPerRequest: 0,
    commandTimeout: settings.commandTimeoutMs,
    // A command waiting that long without a byte from Redis means a dead socket: drop it and reconnect.
    socketTimeout: settings.commandTimeoutMs,
    connectTimeout: Math.max(settings.commandTimeoutMs, 1000),
    retryStrategy: (times: number) => Math.min(50 * 2 ** Math.min(times, 10), settings.maxReconnectDelayMs),
  };
  return {
    cmd: new Redis(settings.redisUrl, { ...common, connectionName: clientName('cmd') }),
    sub: new Redis(settings.redisUrl, {
      ...common,
      connectionName: clientName('sub'),
      // The broker replays its wanted set on every 'ready'.
      autoResubscribe: false,
      autoResendUnfulfilledCommands: false,
      // A half-open socket is torn down quickly when the probe asks for a reconnect.
      disconnectTimeout: 500,
    }),
  };
}

export interface ConnectionEvents {
  /** The owner is closed: events are ignored. */
  closed(): boolean;
  /** The connection dropped. */
  lost(): void;
  /** The connection is ready; `again` after it had been ready before (a reconnection). */
  ready(again: boolean): void;
}

/** Reports a connection's state changes; logs an outage's first error at warn, the rest at debug. */
export function watchConnection(client: Redis, role: 'cmd' | 'sub', logger: Logger, events: ConnectionEvents): void {
  let down = false;
  let everReady = false;
  client.on('error', (error: Error) => {
    if (events.closed()) return;
    logger[down ? 'debug' : 'warn']({ err: error, connection: role }, 'Redis connection error');
    down = true;
  });
  client.on('close', () => {
    if (!events.closed()) events.lost();
  });
  client.on('ready', () => {
    if (events.closed()) return;
    if (everReady) logger.info({ connection: role }, 'Redis connection ready again');
    const again = everReady;
    everReady = true;
    down = false;
    events.ready(again);
  });
}

/** QUIT, or drop the connection when Redis does not answer. */
export async function quit(client: Redis): Promise<void> {
  if (client.status === 'end') return;
  if (client.status !== 'ready') {
    client.disconnect();
    return;
  }
  const done = await withTimeout(
    client.quit().then(
      () => true,
      () => false,
    ),
    1000,
  );
  if (done !== true) client.disconnect();
}

/** The URL without credentials, for logs. */
export function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '[invalid url]';
  }
}
