/**
 * Several RedisBroker instances in one process sharing one key prefix act as one
 * service: fan-out, presence, limits, rate limits, crash detection, and recovery
 * from killed connections, dead subscriptions, an unreachable Redis and a Redis
 * restart. The shared Redis server is never stopped: the restart test runs its
 * own throwaway redis-server. Redis must be reachable: tests fail loudly, never skip.
 */
import { describe, test, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { once } from 'node:events';
import { Redis } from 'ioredis';
import pino from 'pino';
import { RedisBroker, type RedisBrokerHealth, type RedisBrokerOptions } from '../../src/broker/index.js';
import type { Publication } from '../../src/broker/types.js';
import { freePort } from '../helpers/ports.js';
import { dropRedisPrefix } from '../helpers/redis.js';
import { sleep, waitFor } from '../helpers/wait.js';

const REDIS_URL = process.env['LIVECHAT_TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379';

/** Short timings so that expiry, sweeps and probes happen within a test. */
const FAST: Partial<RedisBrokerOptions> = {
  registryRefreshIntervalMs: 200,
  registryTtlMs: 1000,
  sweepIntervalMs: 150,
  probeIntervalMs: 200,
  probeTimeoutMs: 300,
  maxReconnectDelayMs: 200,
  commandTimeoutMs: 1000,
  startTimeoutMs: 2000,
};

async function connectAdmin(url = REDIS_URL): Promise<Redis> {
  const client = new Redis(url, { lazyConnect: true, retryStrategy: () => null, connectTimeout: 2000 });
  client.on('error', () => {});
  try {
    await client.connect();
  } catch (error) {
    client.disconnect();
    throw new Error(`Redis is required for this test and is not reachable at ${url}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  return client;
}

interface Node {
  broker: RedisBroker;
  deliveries: Publication[];
  expired: string[][];
  statuses: RedisBrokerHealth[];
  /** For each unhealthy status: what ping() did at that moment. */
  pingsWhileUnhealthy: Promise<'resolved' | 'rejected'>[];
}

const entry = (connectionId: string, sessionId: string | undefined, ip = '203.0.113.1') => ({
  connectionId,
  sessionId,
  ip,
});
const unlimited = { perSession: 0, perIp: 0 };

/** Publishes a marker from `from` and waits for `to` to receive it: everything `from` published before has arrived too. */
async function barrier(from: Node, to: Node, channel: string): Promise<void> {
  const marker = `barrier-${randomBytes(4).toString('hex')}`;
  await from.broker.publish({ channel, frame: marker });
  await waitFor(() => to.deliveries.some((d) => d.frame === marker), {
    message: `barrier on ${channel}`,
    timeoutMs: 3000,
  });
}

function framesOn(node: Node, channel: string): string[] {
  return node.deliveries.filter((d) => d.channel === channel && !d.frame.startsWith('barrier-')).map((d) => d.frame);
}

/** A TCP proxy in front of Redis that can black-hole or tamper with chosen connections. */
class FaultyProxy {
  // Half-open allowed: a frozen link must not even answer a FIN (a truly dead path).
  private readonly server = net.createServer({ allowHalfOpen: true }, (client) => this.accept(client));
  private readonly links: { client: net.Socket; upstream: net.Socket; handshake: string; frozen: boolean }[] = [];
  port = 0;

  constructor(private readonly target: { host: string; port: number }) {}

  async listen(): Promise<void> {
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    this.port = (this.server.address() as net.AddressInfo).port;
  }

  private accept(client: net.Socket): void {
    const upstream = net.connect({ port: this.target.port, host: this.target.host, allowHalfOpen: true });
    const link = { client, upstream, handshake: '', frozen: false };
    this.links.push(link);
    client.on('error', () => {});
    upstream.on('error', () => {});
    client.on('data', (chunk: Buffer) => {
      if (link.handshake.length < 4096) link.handshake += chunk.toString('latin1');
      if (!link.frozen) upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (!link.frozen) client.write(chunk);
    });
    // A frozen link is a dead path: nothing goes through, not even the close.
    client.on('end', () => {
      if (!link.frozen) upstream.end();
    });
    upstream.on('end', () => {
      if (!link.frozen) client.end();
    });
    client.on('close', () => {
      if (!link.frozen) upstream.destroy();
    });
    upstream.on('close', () => {
      if (!link.frozen) client.destroy();
    });
  }

  /** Live links whose client named itself `connectionName`. */
  private linksOf(connectionName: string) {
    const found = this.links.filter((l) => l.handshake.includes(connectionName) && !l.client.destroyed && !l.frozen);
    assert.ok(found.length > 0, `no proxied connection named ${connectionName}`);
    return found;
  }

  /** From now on nothing passes either way on that connection, and neither side learns it. */
  freeze(connectionName: string): void {
    for (const link of this.linksOf(connectionName)) link.frozen = true;
  }

  /** Sends a raw command to Redis on that connection, as if its client had. */
  inject(connectionName: string, command: string): void {
    for (const link of this.linksOf(connectionName)) link.upstream.write(command);
  }

  async close(): Promise<void> {
    for (const link of this.links) {
      link.client.destroy();
      link.upstream.destroy();
    }
    await new Promise((resolve) => this.server.close(resolve));
  }
}

/** A private redis-server on `port`, ready when this resolves. */
async function startRedisServer(port: number): Promise<ChildProcess> {
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no'],
    { stdio: 'ignore' },
  );
  const failed = once(child, 'error').then(([error]) => {
    throw new Error(`could not start redis-server (needed by this test): ${(error as Error).message}`, {
      cause: error,
    });
  });
  failed.catch(() => {});
  await Promise.race([
    failed,
    waitFor(
      async () => {
        const probe = new Redis(port, '127.0.0.1', { lazyConnect: true, retryStrategy: () => null });
        probe.on('error', () => {});
        try {
          await probe.connect();
          return (await probe.ping()) === 'PONG';
        } catch {
          return false;
        } finally {
          probe.disconnect();
        }
      },
      { message: `redis-server on port ${port}`, timeoutMs: 5000 },
    ),
  ]);
  return child;
}

async function stopRedisServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGKILL');
  await exited;
}

describe('RedisBroker settings', () => {
  test('defaults let a crashed instance go offline within 30 seconds (contract)', async () => {
    const broker = new RedisBroker({ redisUrl: REDIS_URL });
    const s = broker.settings;
    assert.equal(s.keyPrefix, 'livechat:');
    // Worst case: entries last refreshed just before the crash, then one sweep interval.
    assert.ok(s.registryTtlMs + s.sweepIntervalMs <= 30_000, JSON.stringify(s));
    assert.ok(s.registryRefreshIntervalMs * 2 <= s.registryTtlMs, 'a late refresh does not expire live entries');
    await broker.close();
  });

  test('inconsistent timings are refused', () => {
    assert.throws(
      () => new RedisBroker({ redisUrl: REDIS_URL, registryTtlMs: 1000, registryRefreshIntervalMs: 1000 }),
      RangeError,
    );
    assert.throws(() => new RedisBroker({ redisUrl: REDIS_URL, probeTimeoutMs: 0 }), RangeError);
  });
});

describe('RedisBroker across instances', () => {
  let prefix = '';
  const prefixes: string[] = [];
  const nodes: Node[] = [];
  const cleanups: (() => Promise<void>)[] = [];

  before(async () => {
    (await connectAdmin()).disconnect();
  });

  afterEach(async () => {
    await Promise.all(nodes.splice(0).map((n) => n.broker.close()));
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    prefix = '';
  });

  after(async () => {
    await Promise.all(prefixes.map((prefix) => dropRedisPrefix(REDIS_URL, prefix)));
  });

  /** Starts an instance on the current test's prefix (a fresh one per test). */
  async function startNode(options: Partial<RedisBrokerOptions> = {}): Promise<Node> {
    if (prefix === '') {
      prefix = `test:redis-broker:${randomBytes(6).toString('hex')}:`;
      prefixes.push(prefix);
    }
    const node: Node = { broker: undefined!, deliveries: [], expired: [], statuses: [], pingsWhileUnhealthy: [] };
    node.broker = new RedisBroker({
      redisUrl: REDIS_URL,
      keyPrefix: prefix,
      // LIVECHAT_TEST_BROKER_LOG=debug shows what the brokers do.
      logger: pino({ level: process.env['LIVECHAT_TEST_BROKER_LOG'] ?? 'silent' }),
      ...options,
      onStatus: (health) => {
        node.statuses.push(health);
        if (!health.subscriptionHealthy) {
          node.pingsWhileUnhealthy.push(
            node.broker.ping().then(
              () => 'resolved' as const,
              () => 'rejected' as const,
            ),
          );
        }
      },
    });
    nodes.push(node);
    await node.broker.start({
      onDelivery: (publication) => node.deliveries.push(publication),
      onSessionsExpired: (ids) => node.expired.push(ids),
    });
    return node;
  }

  test('a publication reaches every subscribed instance once, in order, and drops its own echo', async () => {
    const [a, b, c] = [await startNode(), await startNode(), await startNode()];
    await a.broker.subscribe('session:s1');
    await b.broker.subscribe('session:s1');
    await c.broker.subscribe('broadcasters');
    for (let i = 0; i < 50; i += 1)
      await a.broker.publish({ channel: 'session:s1', frame: `m${i}`, messageId: `id${i}` });
    const expected = Array.from({ length: 50 }, (_, i) => `m${i}`);
    await waitFor(() => b.deliveries.length >= 50, { message: 'b to receive 50 publications', timeoutMs: 3000 });
    assert.deepEqual(framesOn(b, 'session:s1'), expected, 'b: every one, once, in order');
    assert.equal(b.deliveries[7]?.messageId, 'id7');
    // a's own publications come back from Redis too; wait until one surely has (barrier through b).
    await barrier(a, b, 'session:s1');
    await sleep(50);
    assert.deepEqual(framesOn(a, 'session:s1'), expected, 'a: each delivered exactly once, locally');
    assert.ok(a.broker.stats().echoesDropped >= 51, 'a dropped its echoes');
    await barrier(b, c, 'broadcasters');
    assert.deepEqual(framesOn(c, 'session:s1'), [], 'c did not subscribe session:s1');
    assert.equal(a.broker.stats().published, 51);
    assert.equal(b.broker.stats().received, 51);
  });

  test('unsubscribe stops cross-instance delivery; interleaved calls end in the last state', async () => {
    const [a, b] = [await startNode(), await startNode()];
    await b.broker.subscribe('broadcasters');
    await b.broker.subscribe('session:x');
    await a.broker.publish({ channel: 'session:x', frame: 'before' });
    await barrier(a, b, 'broadcasters');
    await b.broker.unsubscribe('session:x');
    await a.broker.publish({ channel: 'session:x', frame: 'after unsubscribe' });
    // Interleaved, not awaited one by one: subscribed at the end for y, unsubscribed for z.
    await Promise.all([
      b.broker.subscribe('session:y'),
      b.broker.unsubscribe('session:y'),
      b.broker.subscribe('session:y'),
      b.broker.subscribe('session:y'),
      b.broker.subscribe('session:z'),
      b.broker.unsubscribe('session:z'),
    ]);
    await a.broker.publish({ channel: 'session:y', frame: 'y' });
    await a.broker.publish({ channel: 'session:z', frame: 'z' });
    await barrier(a, b, 'broadcasters');
    assert.deepEqual(framesOn(b, 'session:x'), ['before']);
    assert.deepEqual(framesOn(b, 'session:y'), ['y']);
    assert.deepEqual(framesOn(b, 'session:z'), []);
    assert.deepEqual(b.broker.subscribedChannels().sort(), ['broadcasters', 'session:y']);
  });

  test('presence: first and last connection of a session anywhere', async () => {
    const [a, b] = [await startNode(), await startNode()];
    assert.deepEqual(await a.broker.registry.acquire(entry('c1', 's1'), unlimited), {
      ok: true,
      firstForSession: true,
    });
    assert.deepEqual(await b.broker.registry.acquire(entry('c2', 's1'), unlimited), {
      ok: true,
      firstForSession: false,
    });
    assert.deepEqual(await b.broker.registry.onlineSessions(['s1', 's2']), new Set(['s1']));
    assert.deepEqual(await a.broker.registry.release(entry('c1', 's1')), { lastForSession: false });
    assert.deepEqual(await a.broker.registry.onlineSessions(['s1']), new Set(['s1']));
    assert.deepEqual(await b.broker.registry.release(entry('c2', 's1')), { lastForSession: true });
    assert.deepEqual(await a.broker.registry.onlineSessions(['s1']), new Set());
    // Same connectionId on two instances are two connections.
    await a.broker.registry.acquire(entry('same', 's3'), unlimited);
    assert.deepEqual(await b.broker.registry.acquire(entry('same', 's3'), unlimited), {
      ok: true,
      firstForSession: false,
    });
  });

  test('concurrent acquires from two instances never exceed the session or IP limit', async () => {
    const [a, b] = [await startNode(), await startNode()];
    const session = { perSession: 3, perIp: 0 };
    const attempts = Array.from({ length: 12 }, (_, i) =>
      (i % 2 === 0 ? a : b).broker.registry.acquire(entry(`s-${i}`, 'crowded', `10.9.0.${i}`), session),
    );
    const results = await Promise.all(attempts);
    assert.equal(results.filter((r) => r.ok).length, 3);
    assert.equal(results.filter((r) => r.ok && r.firstForSession).length, 1, 'exactly one is first');
    assert.ok(results.filter((r) => !r.ok).every((r) => !r.ok && r.reason === 'session_limit'));

    const ip = { perSession: 0, perIp: 4 };
    const ipAttempts = Array.from({ length: 12 }, (_, i) =>
      (i % 2 === 0 ? a : b).broker.registry.acquire(entry(`i-${i}`, `own-${i}`, '198.51.100.20'), ip),
    );
    const ipResults = await Promise.all(ipAttempts);
    assert.equal(ipResults.filter((r) => r.ok).length, 4);
    assert.ok(ipResults.filter((r) => !r.ok).every((r) => !r.ok && r.reason === 'ip_limit'));
  });

  test('rate limits are shared by every instance', async () => {
    const [a, b] = [await startNode(), await startNode()];
    const limiters = [a, b].map((n) => n.broker.limiters.create({ keyPrefix: 'msg', points: 5, durationSeconds: 10 }));
    const outcomes = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        limiters[i % 2]!.consume('session-1').then(
          (decision) => (decision.allowed ? 'ok' : 'limited'),
          (error: unknown) => `error: ${String(error)}`,
        ),
      ),
    );
    assert.equal(outcomes.filter((o) => o === 'ok').length, 5);
    assert.equal(outcomes.filter((o) => o === 'limited').length, 5);
  });

  test("a crashed instance's sessions are reported offline once, by one instance, within the TTL window", async () => {
    const [crasher, b, c] = [await startNode(FAST), await startNode(FAST), await startNode(FAST)];
    await crasher.broker.registry.acquire(entry('k1', 'only-on-crasher'), unlimited);
    await crasher.broker.registry.acquire(entry('k2', 'shared'), unlimited);
    await b.broker.registry.acquire(entry('k3', 'shared'), unlimited);
    await c.broker.registry.acquire(entry('k4', 'only-on-c'), unlimited);
    // Several TTLs pass: live instances keep their entries alive.
    await sleep(2 * FAST.registryTtlMs!);
    assert.deepEqual(
      await b.broker.registry.onlineSessions(['only-on-crasher', 'shared', 'only-on-c']),
      new Set(['only-on-crasher', 'shared', 'only-on-c']),
    );
    assert.deepEqual([...b.expired, ...c.expired, ...crasher.expired], []);

    const crashedAt = Date.now();
    crasher.broker.simulateCrash();
    const reports = () => [...b.expired, ...c.expired].flat();
    await waitFor(() => reports().length > 0, { message: 'the crashed session to be reported', timeoutMs: 4000 });
    const detectedAfter = Date.now() - crashedAt;
    const window = FAST.registryTtlMs! + FAST.sweepIntervalMs! + 500;
    assert.ok(detectedAfter <= window, `reported after ${detectedAfter} ms, expected within ${window} ms`);
    assert.ok(
      detectedAfter >= FAST.registryTtlMs! - FAST.registryRefreshIntervalMs! - 100,
      `reported after ${detectedAfter} ms: before the entries could have expired`,
    );
    // Many more sweeps by both survivors: still exactly one report, only for that session.
    await sleep(3 * FAST.registryTtlMs!);
    assert.deepEqual(reports(), ['only-on-crasher']);
    assert.deepEqual(
      await c.broker.registry.onlineSessions(['only-on-crasher', 'shared', 'only-on-c']),
      new Set(['shared', 'only-on-c']),
    );
    assert.equal(b.broker.stats().sessionsExpired + c.broker.stats().sessionsExpired, 1);
    // The crashed instance's connections no longer count for limits.
    assert.deepEqual(await b.broker.registry.acquire(entry('k5', 'shared'), { perSession: 2, perIp: 0 }), {
      ok: true,
      firstForSession: false,
    });
    // A session that comes back after being reported is "first" again.
    assert.deepEqual(await b.broker.registry.acquire(entry('k6', 'only-on-crasher'), unlimited), {
      ok: true,
      firstForSession: true,
    });
  });

  test('expired entries count for nothing, even before a sweep removed them', async () => {
    const noSweep = { ...FAST, sweepIntervalMs: 60_000 };
    // b keeps registry keys alive longer than the crasher's entries live.
    const [crasher, b] = [await startNode(noSweep), await startNode({ ...noSweep, registryTtlMs: 5000 })];
    await crasher.broker.registry.acquire(entry('e1', 'ghost', '192.0.2.50'), unlimited);
    await crasher.broker.registry.acquire(entry('e2', 'half', '192.0.2.50'), unlimited);
    await b.broker.registry.acquire(entry('e0', 'ghost', '192.0.2.50'), unlimited);
    assert.deepEqual(await b.broker.registry.release(entry('e0', 'ghost', '192.0.2.50')), { lastForSession: false });
    await b.broker.registry.acquire(entry('e3', 'half', '192.0.2.51'), unlimited);
    crasher.broker.simulateCrash();
    await sleep(FAST.registryTtlMs! + 200);
    assert.deepEqual(await b.broker.registry.onlineSessions(['ghost', 'half']), new Set(['half']));
    const one = { perSession: 1, perIp: 1 };
    assert.deepEqual(await b.broker.registry.acquire(entry('e4', 'ghost', '192.0.2.50'), one), {
      ok: true,
      firstForSession: true,
    });
    assert.deepEqual(await b.broker.registry.acquire(entry('e5', 'half', '192.0.2.52'), one), {
      ok: false,
      reason: 'session_limit',
    });
    assert.deepEqual(await b.broker.registry.release(entry('e3', 'half', '192.0.2.51')), { lastForSession: true });
    assert.deepEqual(b.expired, []);
  });

  test("close() releases this instance's entries and reports the sessions whose last connection it held", async () => {
    const [a, b] = [await startNode(FAST), await startNode(FAST)];
    await a.broker.registry.acquire(entry('a1', 'alone'), unlimited);
    await a.broker.registry.acquire(entry('a2', 'together'), unlimited);
    await b.broker.registry.acquire(entry('b1', 'together'), unlimited);
    nodes.splice(nodes.indexOf(a), 1);
    await a.broker.close();
    assert.deepEqual(a.expired, [['alone']]);
    assert.deepEqual(await b.broker.registry.onlineSessions(['alone', 'together']), new Set(['together']));
    assert.deepEqual(await b.broker.registry.acquire(entry('b2', 'x', '203.0.113.1'), { perSession: 0, perIp: 2 }), {
      ok: true,
      firstForSession: true,
    });
    await sleep(2 * FAST.registryTtlMs!);
    assert.deepEqual(b.expired, [], 'nothing left for the sweeper to report');
  });

  test('the subscriber recovers from CLIENT KILL, and the command connection too', async () => {
    const [a, b] = [await startNode(FAST), await startNode(FAST)];
    await b.broker.subscribe('session:k');
    await barrier(a, b, 'session:k');
    const admin = await connectAdmin();
    cleanups.push(async () => admin.disconnect());
    const clientId = async (name: string): Promise<string> => {
      const list = (await admin.client('LIST')) as string;
      const line = list.split('\n').find((l) => l.includes(` name=${name} `));
      assert.ok(line, `client ${name} is connected`);
      return /\bid=(\d+)/.exec(line)![1]!;
    };
    const resubscribesBefore = b.broker.stats().resubscribes;
    const seen = b.statuses.length;
    await admin.client('KILL', 'ID', await clientId(b.broker.connectionName('sub')));
    await admin.client('KILL', 'ID', await clientId(a.broker.connectionName('cmd')));
    await waitFor(() => b.statuses.slice(seen).some((s) => !s.subscriptionHealthy), {
      message: 'b to notice',
      timeoutMs: 2000,
    });
    await a.broker.publish({ channel: 'session:k', frame: 'maybe lost' }); // must not throw
    await waitFor(
      async () =>
        (await b.broker.ping().then(
          () => true,
          () => false,
        )) &&
        (await a.broker.ping().then(
          () => true,
          () => false,
        )),
      { message: 'both instances healthy again', timeoutMs: 5000 },
    );
    assert.ok(b.broker.stats().resubscribes > resubscribesBefore);
    assert.ok(b.broker.stats().reconnects >= 1 && a.broker.stats().reconnects >= 1);
    await a.broker.publish({ channel: 'session:k', frame: 'after kill' });
    await barrier(a, b, 'session:k');
    assert.ok(framesOn(b, 'session:k').includes('after kill'));
  });

  test('the probe detects a subscriber that hears nothing (half-open socket) and repairs it', async () => {
    const proxy = new FaultyProxy({ host: new URL(REDIS_URL).hostname, port: Number(new URL(REDIS_URL).port || 6379) });
    await proxy.listen();
    cleanups.push(() => proxy.close());
    const proxied = new URL(REDIS_URL);
    proxied.port = String(proxy.port);
    const a = await startNode(FAST);
    const b = await startNode({ ...FAST, redisUrl: proxied.toString() });
    await b.broker.subscribe('session:p');
    await barrier(a, b, 'session:p');
    assert.deepEqual(b.broker.health().subscriptionHealthy, true);

    const seen = b.statuses.length;
    const pings = b.pingsWhileUnhealthy.length;
    proxy.freeze(b.broker.connectionName('sub'));
    await a.broker.publish({ channel: 'session:p', frame: 'lost in the black hole' });
    await waitFor(() => b.statuses.slice(seen).some((s) => !s.subscriptionHealthy), {
      message: 'the probe to fail',
      timeoutMs: 2000,
    });
    assert.equal(await b.pingsWhileUnhealthy[pings], 'rejected', 'ping rejects while the subscription is dead');
    await waitFor(() => b.broker.health().subscriptionHealthy, {
      message: 'the subscriber to be repaired',
      timeoutMs: 5000,
    });
    const stats = b.broker.stats();
    assert.ok(stats.probeFailures >= 1 && stats.subscriberRepairs >= 1, JSON.stringify(stats));
    await b.broker.ping();
    await a.broker.publish({ channel: 'session:p', frame: 'after repair' });
    await barrier(a, b, 'session:p');
    assert.ok(framesOn(b, 'session:p').includes('after repair'));
  });

  test('a command connection that hears nothing is dropped and reconnected; publish never hangs', async () => {
    const proxy = new FaultyProxy({ host: new URL(REDIS_URL).hostname, port: Number(new URL(REDIS_URL).port || 6379) });
    await proxy.listen();
    cleanups.push(() => proxy.close());
    const proxied = new URL(REDIS_URL);
    proxied.port = String(proxy.port);
    const a = await startNode(FAST);
    const b = await startNode({ ...FAST, redisUrl: proxied.toString() });
    await a.broker.subscribe('session:c');
    await b.broker.subscribe('session:c');
    await barrier(b, a, 'session:c');

    proxy.freeze(b.broker.connectionName('cmd'));
    const startedAt = Date.now();
    await b.broker.publish({ channel: 'session:c', frame: 'into the void' });
    assert.ok(Date.now() - startedAt < FAST.commandTimeoutMs! + 500, 'publish resolved after the command timeout');
    assert.deepEqual(framesOn(b, 'session:c').at(-1), 'into the void', 'delivered locally');
    assert.ok(b.broker.stats().publishFailures >= 1);
    await waitFor(
      async () =>
        b.broker.ping().then(
          () => true,
          () => false,
        ),
      { message: 'b to reconnect', timeoutMs: 6000 },
    );
    assert.ok(b.broker.stats().reconnects >= 1);
    await b.broker.publish({ channel: 'session:c', frame: 'back' });
    await barrier(b, a, 'session:c');
    assert.ok(framesOn(a, 'session:c').includes('back'));
  });

  test('the probe detects subscriptions lost behind the broker’s back and restores them all', async () => {
    const proxy = new FaultyProxy({ host: new URL(REDIS_URL).hostname, port: Number(new URL(REDIS_URL).port || 6379) });
    await proxy.listen();
    cleanups.push(() => proxy.close());
    const proxied = new URL(REDIS_URL);
    proxied.port = String(proxy.port);
    const a = await startNode(FAST);
    const b = await startNode({ ...FAST, redisUrl: proxied.toString() });
    await b.broker.subscribe('session:q');
    await b.broker.subscribe('broadcasters');
    await barrier(a, b, 'session:q');

    // The connection stays up, but Redis no longer sends it anything.
    const seen = b.statuses.length;
    const pings = b.pingsWhileUnhealthy.length;
    proxy.inject(b.broker.connectionName('sub'), 'UNSUBSCRIBE\r\n');
    await waitFor(() => b.statuses.slice(seen).some((s) => !s.subscriptionHealthy), {
      message: 'the probe to fail',
      timeoutMs: 2000,
    });
    assert.equal(await b.pingsWhileUnhealthy[pings], 'rejected');
    await waitFor(() => b.broker.health().subscriptionHealthy, {
      message: 'the subscriptions to be restored',
      timeoutMs: 5000,
    });
    assert.ok(b.broker.stats().subscriberRepairs >= 1);
    await a.broker.publish({ channel: 'session:q', frame: 'q back' });
    await barrier(a, b, 'broadcasters');
    assert.ok(framesOn(b, 'session:q').includes('q back'));
  });

  test('Redis unreachable: publish delivers locally and resolves, ping rejects, nothing throws', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => {
      unhandled.push(reason);
    };
    process.on('unhandledRejection', onUnhandled);
    process.on('uncaughtException', onUnhandled);
    cleanups.push(async () => {
      process.off('unhandledRejection', onUnhandled);
      process.off('uncaughtException', onUnhandled);
    });

    const startedAt = Date.now();
    const node = await startNode({ ...FAST, redisUrl: 'redis://127.0.0.1:1' });
    assert.ok(Date.now() - startedAt < 3000, 'start() does not hang');
    assert.deepEqual(node.broker.health(), { connected: false, subscriptionHealthy: false, lastProbeOkAt: undefined });
    await node.broker.subscribe('session:u');
    const pending = node.broker.publish({ channel: 'session:u', frame: 'local only' });
    assert.equal(node.deliveries.length, 1, 'delivered locally at once');
    await pending;
    await assert.rejects(node.broker.ping());
    // Registry and rate limits fall back to this instance's own counts.
    const limits = { perSession: 1, perIp: 0 };
    assert.deepEqual(await node.broker.registry.acquire(entry('u1', 'su'), limits), {
      ok: true,
      firstForSession: true,
    });
    assert.deepEqual(await node.broker.registry.acquire(entry('u2', 'su'), limits), {
      ok: false,
      reason: 'session_limit',
    });
    assert.deepEqual(await node.broker.registry.onlineSessions(['su', 'other']), new Set(['su']));
    assert.deepEqual(await node.broker.registry.release(entry('u1', 'su')), { lastForSession: true });
    const limiter = node.broker.limiters.create({ keyPrefix: 'msg', points: 2, durationSeconds: 10 });
    await limiter.consume('k');
    await limiter.consume('k');
    assert.equal((await limiter.consume('k')).allowed, false, 'the same limit, counted by this instance');
    await node.broker.unsubscribe('session:u');
    // Let a few reconnection attempts and probes fail.
    await sleep(600);
    assert.ok(node.broker.stats().publishFailures >= 1);
    assert.ok(node.broker.stats().registryFallbacks >= 3);
    nodes.splice(nodes.indexOf(node), 1);
    await node.broker.close();
    await sleep(50);
    assert.deepEqual(unhandled, []);
  });

  test('Redis down at start: the broker starts degraded and connects once Redis is up', async () => {
    const port = await freePort();
    const url = `redis://127.0.0.1:${port}`;
    const a = await startNode({ ...FAST, redisUrl: url });
    await a.broker.subscribe('session:late');
    await assert.rejects(a.broker.ping());
    const server = await startRedisServer(port);
    cleanups.push(() => stopRedisServer(server));
    const b = await startNode({ ...FAST, redisUrl: url });
    await b.broker.subscribe('broadcasters');
    await waitFor(
      async () =>
        a.broker.ping().then(
          () => true,
          () => false,
        ),
      { message: 'a to connect', timeoutMs: 5000 },
    );
    await barrier(b, a, 'session:late');
    assert.deepEqual(await a.broker.registry.acquire(entry('l1', 'late'), unlimited), {
      ok: true,
      firstForSession: true,
    });
    assert.deepEqual(await b.broker.registry.onlineSessions(['late']), new Set(['late']));
  });

  test('a Redis restart (all data lost): degraded meanwhile, then delivery, subscriptions and registry come back', async () => {
    const port = await freePort();
    let server = await startRedisServer(port);
    cleanups.push(() => stopRedisServer(server));
    const url = `redis://127.0.0.1:${port}`;
    const a = await startNode({ ...FAST, redisUrl: url });
    const b = await startNode({ ...FAST, redisUrl: url });
    await a.broker.subscribe('session:r');
    await b.broker.subscribe('session:r');
    await barrier(a, b, 'session:r');
    await a.broker.registry.acquire(entry('r1', 'kept'), unlimited);

    await stopRedisServer(server);
    await waitFor(() => !a.broker.health().connected && !b.broker.health().connected, {
      message: 'the outage to be seen',
      timeoutMs: 2000,
    });
    await assert.rejects(a.broker.ping());
    const pending = a.broker.publish({ channel: 'session:r', frame: 'during outage' });
    assert.deepEqual(framesOn(a, 'session:r').at(-1), 'during outage');
    await pending;
    // Opened during the outage: counted locally, registered in Redis once it is back.
    assert.equal((await b.broker.registry.acquire(entry('r2', 'opened-meanwhile'), unlimited)).ok, true);
    // Subscribed during the outage: part of the replay once the subscriber is back.
    await b.broker.subscribe('session:new');
    await sleep(300);

    server = await startRedisServer(port);
    await waitFor(
      async () =>
        (await a.broker.ping().then(
          () => true,
          () => false,
        )) &&
        (await b.broker.ping().then(
          () => true,
          () => false,
        )),
      { message: 'both instances healthy after the restart', timeoutMs: 5000 },
    );
    await a.broker.publish({ channel: 'session:r', frame: 'after restart' });
    await barrier(a, b, 'session:r');
    assert.ok(framesOn(b, 'session:r').includes('after restart'));
    await barrier(a, b, 'session:new');
    await waitFor(async () => (await b.broker.registry.onlineSessions(['kept', 'opened-meanwhile'])).size === 2, {
      message: 'registry entries to be re-registered',
      timeoutMs: 3000,
    });
    assert.ok(a.broker.stats().registryReadded >= 1 && b.broker.stats().registryReadded >= 1);
    assert.deepEqual(await a.broker.registry.release(entry('r1', 'kept')), { lastForSession: true });
    await sleep(2 * FAST.registryTtlMs!);
    assert.deepEqual([...a.expired, ...b.expired], [], 'the restart did not make sessions look expired');
  });
});
