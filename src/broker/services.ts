/**
 * What instances share, as one bundle the server composes:
 *
 * - `broker`: pub/sub fan-out ({@link Broker});
 * - `registry`: presence and connection limits ({@link ConnectionRegistry});
 * - `limiters`: shared rate limits in the project's own type ({@link RateLimiterFactory});
 * - `readiness`: present when the shared bus can be down (Redis), for /readyz;
 * - `telemetry`: present when the bus has health and counters to export as metrics.
 *
 * The server never asks which implementation it got: it wires what is present.
 */
import type { RateLimiterFactory } from './rate-limiter.js';
import type { ConnectionRegistry } from './registry.js';
import type { Broker } from './types.js';

/** A readiness check of one dependency; `name` labels it in /readyz. */
export interface ReadinessProbe {
  readonly name: string;
  /** Resolves when healthy. */
  check(): Promise<void>;
}

/** Health and monotonic counters of the bus, read at metrics scrape time. */
export interface BrokerTelemetry {
  health(): { connected: boolean; subscriptionHealthy: boolean };
  stats(): Readonly<Record<string, number>>;
}

export interface BrokerServices {
  /** Names the implementation in logs: `memory` or `redis`. */
  readonly transport: 'memory' | 'redis';
  readonly broker: Broker;
  readonly registry: ConnectionRegistry;
  readonly limiters: RateLimiterFactory;
  readonly readiness?: ReadinessProbe | undefined;
  readonly telemetry?: BrokerTelemetry | undefined;
}
