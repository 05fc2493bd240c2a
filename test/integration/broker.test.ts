/**
 * Broker contract: the same behaviour from the in-memory broker and from the
 * Redis broker (one instance here; several in redis-broker.test.ts). Every test
 * uses its own key prefix. Redis must be reachable: the Redis half fails loudly
 * otherwise, it never skips.
 */
import { describe, test, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { createBrokerServices, type Broker, type BrokerServices, type Publication } from '../../src/broker/index.js';
import { dropRedisPrefix } from '../helpers/redis.js';
import { sleep, waitFor } from '../helpers/wait.js';

const REDIS_URL = process.env['LIVECHAT_TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const kinds = ['memory', 'redis'] as const;

async function assertRedisReachable(): Promise<void> {
  const client = new Redis(REDIS_URL, { lazyConnect: true, retryStrategy: () => null, connectTimeout: 2000 });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.ping();
  } catch (error) {
    throw new Error(
      `Redis is required for this test and is not reachable at ${REDIS_URL}: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  } finally {
    client.disconnect();
  }
}

interface Harness {
  services: BrokerServices;
  broker: Broker;
  deliveries: Publication[];
  expired: string[][];
}

for (const kind of kinds) {
  describe(`broker contract: ${kind}`, () => {
    const open: Harness[] = [];
    const prefixes: string[] = [];

    before(async () => {
      if (kind === 'redis') await assertRedisReachable();
    });

    async function makeBroker(): Promise<Harness> {
      const keyPrefix = `test:broker:${randomBytes(6).toString('hex')}:`;
      prefixes.push(keyPrefix);
      const services = createBrokerServices({ redisUrl: kind === 'redis' ? REDIS_URL : undefined, keyPrefix });
      assert.equal(services.transport, kind);
      const { broker } = services;
      const harness: Harness = { services, broker, deliveries: [], expired: [] };
      await broker.start({
        onDelivery: (publication) => harness.deliveries.push(publication),
        onSessionsExpired: (ids) => harness.expired.push(ids),
      });
      open.push(harness);
      return harness;
    }

    afterEach(async () => {
      await Promise.all(open.splice(0).map((h) => h.broker.close()));
    });

    after(async () => {
      if (kind === 'redis') await Promise.all(prefixes.map((prefix) => dropRedisPrefix(REDIS_URL, prefix)));
    });

    test('a subscribed channel receives the publication with its frame and messageId', async () => {
      const { services, broker, deliveries } = await makeBroker();
      await broker.subscribe('session:a');
      await broker.publish({ channel: 'session:a', frame: '{"event":"x","data":{}}', messageId: 'm1' });
      await broker.publish({ channel: 'session:a', frame: '{"event":"y","data":{}}' });
      assert.deepEqual(deliveries, [
        { channel: 'session:a', frame: '{"event":"x","data":{}}', messageId: 'm1' },
        { channel: 'session:a', frame: '{"event":"y","data":{}}' },
      ]);
      const { readiness } = services;
      if (kind === 'redis') assert.equal(await readiness?.check(), undefined, 'Redis is ready');
      else assert.equal(readiness, undefined, 'nothing to probe in memory');
    });

    test('local delivery is synchronous (no round trip)', async () => {
      const { broker, deliveries } = await makeBroker();
      await broker.subscribe('broadcasters');
      const pending = broker.publish({ channel: 'broadcasters', frame: 'f1' });
      assert.equal(deliveries.length, 1, 'delivered before publish() returned');
      await pending;
      assert.equal(deliveries.length, 1);
    });

    test('subscribing twice delivers once; unsubscribe stops delivery; resubscribe resumes it', async () => {
      const { broker, deliveries } = await makeBroker();
      await broker.subscribe('session:b');
      await broker.subscribe('session:b');
      await broker.publish({ channel: 'session:b', frame: '1' });
      await broker.publish({ channel: 'session:other', frame: 'never' });
      await broker.unsubscribe('session:b');
      await broker.unsubscribe('session:b');
      await broker.publish({ channel: 'session:b', frame: '2' });
      await broker.subscribe('session:b');
      await broker.publish({ channel: 'session:b', frame: '3' });
      // Give a wrongly routed echo time to show up.
      await sleep(100);
      assert.deepEqual(
        deliveries.map((d) => d.frame),
        ['1', '3'],
      );
    });

    test('per-session limit, first/last flags', async () => {
      const { registry } = (await makeBroker()).services;
      const limits = { perSession: 2, perIp: 0 };
      const c = (n: number) => ({ connectionId: `c${n}`, sessionId: 's1', ip: `10.0.0.${n}` });
      assert.deepEqual(await registry.acquire(c(1), limits), { ok: true, firstForSession: true });
      assert.deepEqual(await registry.acquire(c(2), limits), { ok: true, firstForSession: false });
      assert.deepEqual(await registry.acquire(c(3), limits), { ok: false, reason: 'session_limit' });
      assert.deepEqual(await registry.release(c(1)), { lastForSession: false });
      assert.deepEqual(await registry.acquire(c(3), limits), { ok: true, firstForSession: false });
      assert.deepEqual(await registry.release(c(2)), { lastForSession: false });
      assert.deepEqual(await registry.release(c(3)), { lastForSession: true });
      assert.deepEqual(await registry.release(c(3)), { lastForSession: false }, 'a second release is a no-op');
      assert.deepEqual(await registry.acquire(c(4), limits), { ok: true, firstForSession: true });
    });

    test('per-session limit 0 means unlimited', async () => {
      const { registry } = (await makeBroker()).services;
      for (let i = 0; i < 25; i += 1) {
        const result = await registry.acquire(
          { connectionId: `c${i}`, sessionId: 's', ip: `10.1.0.${i}` },
          { perSession: 0, perIp: 0 },
        );
        assert.deepEqual(result, { ok: true, firstForSession: i === 0 });
      }
    });

    test('per-IP limit counts listener and broadcaster connections; 0 means unlimited', async () => {
      const { registry } = (await makeBroker()).services;
      const limited = { perSession: 5, perIp: 2 };
      assert.deepEqual(await registry.acquire({ connectionId: 'l1', sessionId: 's1', ip: '192.0.2.1' }, limited), {
        ok: true,
        firstForSession: true,
      });
      assert.deepEqual(await registry.acquire({ connectionId: 'b1', ip: '192.0.2.1' }, limited), {
        ok: true,
        firstForSession: false,
      });
      assert.deepEqual(await registry.acquire({ connectionId: 'l2', sessionId: 's2', ip: '192.0.2.1' }, limited), {
        ok: false,
        reason: 'ip_limit',
      });
      // Another address is not affected.
      assert.equal(
        (await registry.acquire({ connectionId: 'l3', sessionId: 's2', ip: '192.0.2.2' }, limited)).ok,
        true,
      );
      await registry.release({ connectionId: 'b1', ip: '192.0.2.1' });
      assert.equal(
        (await registry.acquire({ connectionId: 'l2', sessionId: 's2', ip: '192.0.2.1' }, limited)).ok,
        true,
      );

      const unlimited = { perSession: 0, perIp: 0 };
      for (let i = 0; i < 30; i += 1) {
        const result = await registry.acquire(
          { connectionId: `m${i}`, sessionId: `ms${i}`, ip: '198.51.100.7' },
          unlimited,
        );
        assert.equal(result.ok, true, `connection ${i} behind one address`);
      }
    });

    test('onlineSessions reports sessions with at least one connection', async () => {
      const { registry } = (await makeBroker()).services;
      const limits = { perSession: 5, perIp: 0 };
      await registry.acquire({ connectionId: 'a1', sessionId: 'sa', ip: '1.1.1.1' }, limits);
      await registry.acquire({ connectionId: 'a2', sessionId: 'sa', ip: '1.1.1.1' }, limits);
      await registry.acquire({ connectionId: 'b1', sessionId: 'sb', ip: '1.1.1.2' }, limits);
      assert.deepEqual(await registry.onlineSessions(['sa', 'sb', 'sc']), new Set(['sa', 'sb']));
      assert.deepEqual(await registry.onlineSessions([]), new Set());
      assert.deepEqual((await registry.onlineSessionIds(10)).sort(), ['sa', 'sb']);
      assert.equal((await registry.onlineSessionIds(1)).length, 1);
      assert.equal(await registry.countOnlineSessions(), 2);
      await registry.release({ connectionId: 'a1', sessionId: 'sa', ip: '1.1.1.1' });
      assert.deepEqual(await registry.onlineSessions(['sa', 'sb']), new Set(['sa', 'sb']));
      await registry.release({ connectionId: 'a2', sessionId: 'sa', ip: '1.1.1.1' });
      await registry.release({ connectionId: 'b1', sessionId: 'sb', ip: '1.1.1.2' });
      assert.deepEqual(await registry.onlineSessions(['sa', 'sb']), new Set());
      assert.deepEqual(await registry.onlineSessionIds(10), []);
      assert.equal(await registry.countOnlineSessions(), 0);
    });

    test('rate limiter counts points per key within the window', async () => {
      const { limiters } = (await makeBroker()).services;
      const limiter = limiters.create({ keyPrefix: 'msg', points: 3, durationSeconds: 10 });
      for (let i = 1; i <= 3; i += 1) {
        assert.deepEqual(await limiter.consume('session-1'), { allowed: true, remaining: 3 - i });
      }
      const refused = await limiter.consume('session-1');
      assert.ok(!refused.allowed, 'the fourth point is refused (a decision, not an error)');
      assert.ok(refused.retryAfterMs > 0 && refused.retryAfterMs <= 10_000);
      // Other keys and other limiters have their own counters.
      assert.deepEqual(await limiter.consume('session-2'), { allowed: true, remaining: 2 });
      const other = limiters.create({ keyPrefix: 'login', points: 1, durationSeconds: 10 });
      assert.deepEqual(await other.consume('session-1'), { allowed: true, remaining: 0 });
      // Concurrent consumes are atomic: exactly as many allowed as there are points.
      const decisions = await Promise.all(Array.from({ length: 10 }, () => limiter.consume('session-3')));
      assert.equal(decisions.filter((d) => d.allowed).length, 3);
      // refund gives back points taken.
      const fresh = await limiter.consume('session-4', 3);
      assert.deepEqual(fresh, { allowed: true, remaining: 0 });
      await limiter.refund('session-4', 2);
      assert.deepEqual(await limiter.consume('session-4'), { allowed: true, remaining: 1 });
    });

    test('close() stops delivery and can be called twice', async () => {
      const harness = await makeBroker();
      await harness.broker.subscribe('session:z');
      await Promise.all([harness.broker.close(), harness.broker.close()]);
      await harness.broker.close();
      await harness.broker.publish({ channel: 'session:z', frame: 'after close' });
      await waitFor(() => true, { message: 'nothing', timeoutMs: 10 });
      assert.equal(harness.deliveries.length, 0);
    });
  });
}
