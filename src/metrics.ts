/**
 * Prometheus metrics. One registry per server instance (tests run several
 * servers in one process); every metric carries the instance id as a label.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export type ConnectionKind = 'listener' | 'broadcaster';
export type RefusalReason =
  | 'not_found'
  | 'shutting_down'
  | 'origin'
  | 'unauthorized'
  | 'wrong_kind'
  | 'session_limit'
  | 'ip_limit'
  | 'banned'
  | 'unavailable';
export type MessageRefusal = 'invalid_payload' | 'rate_limited' | 'unavailable';

export function createMetrics(instanceId: string) {
  const registry = new Registry();
  registry.setDefaultLabels({ instance_id: instanceId });
  collectDefaultMetrics({ register: registry });

  const latencyBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];
  return {
    registry,
    connectionsOpen: new Gauge({
      name: 'livechat_connections_open',
      help: 'Open WebSocket connections on this instance',
      labelNames: ['kind'] as const,
      registers: [registry],
    }),
    connectsTotal: new Counter({
      name: 'livechat_connects_total',
      help: 'Accepted WebSocket connections',
      labelNames: ['kind'] as const,
      registers: [registry],
    }),
    upgradesRefusedTotal: new Counter({
      name: 'livechat_upgrades_refused_total',
      help: 'WebSocket upgrades refused before a socket was opened, by reason',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
    disconnectsTotal: new Counter({
      name: 'livechat_disconnects_total',
      help: 'Closed WebSocket connections by close code',
      labelNames: ['kind', 'code'] as const,
      registers: [registry],
    }),
    messagesReceivedTotal: new Counter({
      name: 'livechat_messages_received_total',
      help: 'Chat messages received from clients (before validation)',
      labelNames: ['direction'] as const,
      registers: [registry],
    }),
    messagesStoredTotal: new Counter({
      name: 'livechat_messages_stored_total',
      help: 'Chat messages committed to the database',
      labelNames: ['direction'] as const,
      registers: [registry],
    }),
    messagesAckedTotal: new Counter({
      name: 'livechat_messages_acked_total',
      help: 'message:ack frames sent (duplicates included)',
      labelNames: ['direction', 'duplicate'] as const,
      registers: [registry],
    }),
    messagesDeliveredTotal: new Counter({
      name: 'livechat_messages_delivered_total',
      help: 'Message frames written to local connections (message:new and message:receive)',
      labelNames: ['event'] as const,
      registers: [registry],
    }),
    messagesRefusedTotal: new Counter({
      name: 'livechat_messages_refused_total',
      help: 'Client frames refused, by reason',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
    ackLatency: new Histogram({
      name: 'livechat_send_ack_latency_seconds',
      help: 'Time from receiving a message frame to sending its ack',
      labelNames: ['direction'] as const,
      buckets: latencyBuckets,
      registers: [registry],
    }),
    dbWriteLatency: new Histogram({
      name: 'livechat_db_write_latency_seconds',
      help: 'Time to store one message (transaction committed)',
      buckets: latencyBuckets,
      registers: [registry],
    }),
    busPublishedTotal: new Counter({
      name: 'livechat_bus_published_total',
      help: 'Publications to the broker',
      labelNames: ['channel_kind'] as const,
      registers: [registry],
    }),
    busDeliveredTotal: new Counter({
      name: 'livechat_bus_delivered_total',
      help: 'Publications received from the broker and routed to local connections',
      labelNames: ['channel_kind'] as const,
      registers: [registry],
    }),
    busLag: new Histogram({
      name: 'livechat_bus_delivery_lag_seconds',
      help: 'Time from publishing on one instance to delivery on another (includes clock skew between hosts)',
      buckets: latencyBuckets,
      registers: [registry],
    }),
    heartbeatReapsTotal: new Counter({
      name: 'livechat_heartbeat_reaps_total',
      help: 'Connections terminated because they did not answer a ping',
      registers: [registry],
    }),
    slowConsumerDropsTotal: new Counter({
      name: 'livechat_slow_consumer_drops_total',
      help: 'Connections dropped because their send buffer grew past the limit',
      registers: [registry],
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;

/** What the shared bus reports about itself (BrokerServices.telemetry, present with Redis). */
export interface BrokerHealthSource {
  health(): { connected: boolean; subscriptionHealthy: boolean };
  stats(): Readonly<Record<string, number>>;
}

/** Exposes the Redis broker's health and counters, read at scrape time. */
export function observeBrokerTelemetry(metrics: Metrics, broker: BrokerHealthSource): void {
  const { registry } = metrics;
  new Gauge({
    name: 'livechat_redis_connected',
    help: '1 while both Redis connections of this instance are up',
    registers: [registry],
    collect() {
      this.set(broker.health().connected ? 1 : 0);
    },
  });
  new Gauge({
    name: 'livechat_redis_subscription_healthy',
    help: '1 while the liveness probe proves that Pub/Sub deliveries arrive',
    registers: [registry],
    collect() {
      this.set(broker.health().subscriptionHealthy ? 1 : 0);
    },
  });
  let last: Record<string, number> = {};
  new Counter({
    name: 'livechat_redis_broker_events_total',
    help: 'Redis broker events: published, publishFailures, received, echoesDropped, probeFailures, subscriberRepairs, resubscribes, reconnects, sessionsExpired, …',
    labelNames: ['event'] as const,
    registers: [registry],
    collect() {
      const now = broker.stats();
      for (const [event, value] of Object.entries(now)) {
        const delta = value - (last[event] ?? 0);
        if (delta > 0) this.inc({ event }, delta);
        else if (last[event] === undefined) this.inc({ event }, 0);
      }
      last = { ...now };
    },
  });
}
