/** Operations endpoints: liveness, readiness, Prometheus metrics. */
import { timingSafeEqual } from 'node:crypto';
import { Router } from 'express';
import type { ReadinessProbe } from '../../broker/services.js';
import type { Config } from '../../config.js';
import type { Store } from '../../db/types.js';
import { HttpError } from '../../errors.js';
import type { Metrics } from '../../metrics.js';

export interface OperationsDeps {
  config: Config;
  store: Store;
  /** The shared bus's readiness, when it can be down (Redis). */
  brokerReadiness: ReadinessProbe | undefined;
  metrics: Metrics;
}

const READY_TIMEOUT_MS = 2000;

function within<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('timed out')), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export function operationsRoutes(deps: OperationsDeps): Router {
  const router = Router();

  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });

  router.get('/readyz', async (_req, res) => {
    const checks: Record<string, 'ok' | 'failed'> = {};
    const probes: [string, () => Promise<void>][] = [['database', () => deps.store.ping()]];
    const bus = deps.brokerReadiness;
    if (bus) probes.push([bus.name, () => bus.check()]);
    await Promise.all(
      probes.map(async ([name, probe]) => {
        checks[name] = await within(probe(), READY_TIMEOUT_MS).then(
          () => 'ok' as const,
          () => 'failed' as const,
        );
      }),
    );
    const failed = Object.keys(checks).filter((name) => checks[name] === 'failed');
    if (failed.length === 0) {
      res.json({ status: 'ready', checks });
      return;
    }
    res.status(503).json({ error: 'unavailable', message: `Tidak siap: ${failed.join(', ')}`, failed, checks });
  });

  router.get('/metrics', async (req, res) => {
    const expected = deps.config.metricsToken;
    if (expected !== undefined) {
      const given = /^Bearer\s+(\S+)$/i.exec(req.get('authorization') ?? '')?.[1] ?? '';
      const a = Buffer.from(given);
      const b = Buffer.from(expected);
      if (a.length !== b.length || !timingSafeEqual(a, b)) throw new HttpError('unauthorized');
    }
    res.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics());
  });

  return router;
}
