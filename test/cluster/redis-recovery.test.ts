/**
 * Replies whose publication a listener on another instance missed reach it
 * without a reconnect, recovered from the database after the last message
 * the connection got, in order, exactly once:
 *
 * - published while Redis was down: recovered once the listener's instance
 *   has its subscription back;
 * - lost because the publishing instance's command connection to Redis broke
 *   while Redis and the listener's instance stayed healthy: recovered as soon
 *   as the next reply shows the gap (its envelope names the previous reply).
 *
 * Also the envelope versions the Redis broker reads.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { RedisBroker } from '../../src/broker/redis/redis-broker.js';
import type { Broker, Publication } from '../../src/broker/types.js';
import { TestSocket, adminUrl, createSession, json, listenerUrl, loginAdmin } from '../helpers/clients.js';
import { createTestDatabase, type TestDatabase } from '../helpers/databases.js';
import { startThrowawayRedis, type ThrowawayRedis } from '../helpers/instances.js';
import { dropRedisPrefix } from '../helpers/redis.js';
import { startTestServer, testRedisUrl, type TestServer } from '../helpers/server.js';
import { sleep, waitFor } from '../helpers/wait.js';

/**
 * A broadcaster on `b` and a listener of a new session on `a`, both greeted;
 * `reply` sends a reply and resolves with its messageId. With an earlier
 * reply, one is sent and received first (it starts `expected`).
 */
async function conversation(a: TestServer, b: TestServer, withEarlierReply: boolean) {
  const admin = await TestSocket.open(adminUrl(b, await loginAdmin(b)));
  await admin.next('connection:success');
  const session = await createSession(a);
  const listener = await TestSocket.open(listenerUrl(a, session.sessionToken));
  await listener.next('connection:success');
  const reply = async (text: string) => {
    admin.send('message:reply', { sessionId: session.sessionId, text });
    return String((await admin.next('message:ack'))['messageId']);
  };
  const expected: string[] = [];
  if (withEarlierReply) {
    expected.push(await reply('sebelum'));
    await listener.next('message:receive');
  }
  /** Waits for every expected reply, then checks that each arrived once, in stored order. */
  const receivedInOrder = async () => {
    await waitFor(async () => listener.all('message:receive').length >= expected.length, {
      message: 'the listener to have every reply',
      timeoutMs: 15_000,
      intervalMs: 100,
    });
    await sleep(300);
    assert.deepEqual(
      listener.all('message:receive').map((m) => m['messageId']),
      expected,
      'every reply once, in stored order',
    );
  };
  return { admin, listener, reply, expected, receivedInOrder };
}

describe('recovery of deliveries missed while Redis was down', () => {
  let redis: ThrowawayRedis;
  let database: TestDatabase;
  let a: TestServer;
  let b: TestServer;

  before(async () => {
    redis = await startThrowawayRedis();
    database = await createTestDatabase('postgres');
    const options = {
      broker: 'redis' as const,
      databaseUrl: database.url,
      redisPrefix: 'recovery:',
      env: { REDIS_URL: redis.url, LIVECHAT_REDIS_PROBE_INTERVAL_MS: '300' },
    };
    a = await startTestServer(options);
    b = await startTestServer(options);
  });
  after(async () => {
    await a?.stop();
    await b?.stop();
    await database?.drop();
    await redis?.stop();
  });

  for (const withEarlierReply of [false, true]) {
    test(`a reply stored during the outage arrives after it (${withEarlierReply ? 'after an earlier reply' : 'first reply of the session'})`, async () => {
      const { admin, listener, reply, expected, receivedInOrder } = await conversation(a, b, withEarlierReply);

      await redis.stop();
      expected.push(await reply('saat redis mati'));

      await redis.start();
      await waitFor(
        async () =>
          (await json(`${a.baseUrl}/readyz`)).status === 200 && (await json(`${b.baseUrl}/readyz`)).status === 200,
        { message: 'both instances to be ready', timeoutMs: 15_000, intervalMs: 100 },
      );
      expected.push(await reply('sesudah'));

      await receivedInOrder();
      await listener.close();
      await admin.close();
    });
  }
});

/**
 * A TCP proxy between one instance and Redis that breaks only the connection
 * that named itself `name` (the broker sends `CLIENT SETNAME` on connect):
 * `block` resets it and every new connection naming itself so, until `heal`.
 * The instance's other connections pass untouched.
 */
interface Link {
  client: Socket;
  upstream: Socket;
  /** The first bytes the client sent (its handshake names it). */
  handshake: string;
}

class NamedConnectionBreaker {
  private readonly links = new Set<Link>();
  private blocked: string | undefined;
  /** Connections reset because of their name. */
  resets = 0;

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async start(target: URL): Promise<NamedConnectionBreaker> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const proxy = new NamedConnectionBreaker(server, (server.address() as AddressInfo).port);
    server.on('connection', (client) => proxy.accept(client, target));
    return proxy;
  }

  url(original: string): string {
    const parsed = new URL(original);
    parsed.hostname = '127.0.0.1';
    parsed.port = String(this.port);
    return parsed.toString();
  }

  block(name: string): void {
    this.blocked = name;
    for (const link of [...this.links]) if (link.handshake.includes(name)) this.reset(link);
  }

  heal(): void {
    this.blocked = undefined;
  }

  async close(): Promise<void> {
    for (const link of [...this.links]) this.reset(link);
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: Socket, target: URL): void {
    const upstream = connect(Number(target.port), target.hostname);
    const link: Link = { client, upstream, handshake: '' };
    this.links.add(link);
    client.on('error', () => undefined);
    upstream.on('error', () => undefined);
    client.on('data', (chunk: Buffer) => {
      if (link.handshake.length < 4096) link.handshake += chunk.toString('latin1');
      if (this.blocked !== undefined && link.handshake.includes(this.blocked)) return this.reset(link);
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => client.write(chunk));
    client.on('close', () => this.drop(link));
    upstream.on('close', () => this.drop(link));
  }

  private reset(link: Link): void {
    if (!this.links.delete(link)) return;
    this.resets += 1;
    link.client.resetAndDestroy();
    link.upstream.destroy();
  }

  private drop(link: Link): void {
    if (!this.links.delete(link)) return;
    link.client.destroy();
    link.upstream.destroy();
  }
}

function redisBroker(broker: Broker): RedisBroker {
  assert.ok(broker instanceof RedisBroker, 'a Redis broker');
  return broker;
}

describe('recovery of a publication lost by the publishing instance', () => {
  let database: TestDatabase;
  let breaker: NamedConnectionBreaker;
  let a: TestServer;
  let b: TestServer;

  before(async () => {
    database = await createTestDatabase('postgres');
    breaker = await NamedConnectionBreaker.start(new URL(testRedisUrl));
    const common = {
      broker: 'redis' as const,
      databaseUrl: database.url,
      redisPrefix: `test:recovery-gap:${randomBytes(4).toString('hex')}:`,
    };
    // A, the listeners' instance, talks to Redis directly; B, the broadcaster's, through the breaker.
    a = await startTestServer(common);
    b = await startTestServer({
      ...common,
      env: { REDIS_URL: breaker.url(testRedisUrl), LIVECHAT_REDIS_PROBE_INTERVAL_MS: '300' },
    });
  });
  after(async () => {
    await a?.stop();
    await b?.stop();
    await breaker?.close();
    await database?.drop();
  });

  const cases = [
    { withEarlierReply: false, lostForGood: false },
    { withEarlierReply: true, lostForGood: false },
    { withEarlierReply: true, lostForGood: true },
  ];
  for (const { withEarlierReply, lostForGood } of cases) {
    const what = lostForGood
      ? 'a reply whose publication is lost for good arrives with the next one (gap detection)'
      : 'a reply whose publication never left is published again once the connection is back';
    test(`${what} (${withEarlierReply ? 'after an earlier reply' : 'first reply of the session'})`, async () => {
      const { admin, listener, reply, expected, receivedInOrder } = await conversation(a, b, withEarlierReply);

      // Break B's command connection (the one that publishes); Redis, B's subscriber and A stay up.
      const brokerA = redisBroker(a.server.shared.broker);
      const brokerB = redisBroker(b.server.shared.broker);
      const failuresBefore = brokerB.stats().publishFailures;
      const republishedBefore = brokerB.stats().republished;
      breaker.block(brokerB.connectionName('cmd'));
      try {
        await waitFor(async () => !brokerB.health().connected, {
          message: 'B to lose its command connection',
          timeoutMs: 15_000,
          intervalMs: 100,
        });
        assert.equal(brokerA.health().connected && brokerA.health().subscriptionHealthy, true, 'A stays healthy');
        expected.push(await reply('saat koneksi perintah B putus'));
        assert.ok(brokerB.stats().publishFailures > failuresBefore, 'its publication never reached Redis');
        assert.deepEqual(await listener.collect('message:receive', 300), [], 'so the listener did not get it');
        // What B kept to publish again is gone (as when more than its bound waited, or B restarted).
        if (lostForGood) (brokerB as unknown as { unsent: { clear(): void } }).unsent.clear();
      } finally {
        breaker.heal();
      }
      await waitFor(async () => (await json(`${b.baseUrl}/readyz`)).status === 200, {
        message: 'B to be ready again',
        timeoutMs: 15_000,
        intervalMs: 100,
      });
      if (lostForGood) {
        await sleep(300);
        assert.equal(listener.all('message:receive').length, expected.length - 1, 'nothing published it again');
      } else {
        await waitFor(async () => listener.all('message:receive').length >= expected.length, {
          message: 'the kept publication to reach the listener',
          timeoutMs: 15_000,
          intervalMs: 100,
        });
        assert.equal(brokerB.stats().republished, republishedBefore + 1, 'B published the reply again');
      }
      expected.push(await reply('sesudah'));

      await receivedInOrder();
      assert.equal(listener.all('connection:success').length, 1, 'without reconnecting');
      await listener.close();
      await admin.close();
    });
  }
});

describe('Redis broker envelope versions', () => {
  const prefix = `test:envelope:${randomBytes(4).toString('hex')}:`;
  let broker: RedisBroker;
  let publisher: RedisBroker;
  let raw: Redis;
  const deliveries: Publication[] = [];

  before(async () => {
    broker = new RedisBroker({ redisUrl: testRedisUrl, keyPrefix: prefix });
    publisher = new RedisBroker({ redisUrl: testRedisUrl, keyPrefix: prefix });
    const handlers = { onDelivery: (p: Publication) => deliveries.push(p), onSessionsExpired: () => undefined };
    await broker.start(handlers);
    await publisher.start({ onDelivery: () => undefined, onSessionsExpired: () => undefined });
    await broker.subscribe('session:e');
    raw = new Redis(testRedisUrl);
  });
  after(async () => {
    raw?.disconnect();
    await broker?.close();
    await publisher?.close();
    await dropRedisPrefix(testRedisUrl, prefix);
  });

  test('version 2 carries previousMessageId; version 1 (never released) and a bad one are dropped', async () => {
    await publisher.publish({ channel: 'session:e', frame: 'v2', messageId: '12', previousMessageId: '9' });
    const v1 = JSON.stringify([1, 'an-older-instance', '13', Date.now(), null]);
    await raw.publish(`${prefix}ch:session:e`, `${v1}\nv1`);
    const v1WithExtra = JSON.stringify([1, 'an-older-instance', '14', Date.now(), null, '13']);
    await raw.publish(`${prefix}ch:session:e`, `${v1WithExtra}\nv1 extra`);
    const badPrevious = JSON.stringify([2, 'another-instance', '15', Date.now(), null, 'x']);
    await raw.publish(`${prefix}ch:session:e`, `${badPrevious}\nbad`);
    await publisher.publish({ channel: 'session:e', frame: 'v2 none', messageId: '16' });
    await waitFor(async () => deliveries.length >= 2, {
      message: 'the deliveries to arrive',
      timeoutMs: 5000,
      intervalMs: 100,
    });
    assert.deepEqual(
      deliveries.map((p) => [p.frame, p.messageId, p.previousMessageId]),
      [
        ['v2', '12', '9'],
        ['v2 none', '16', undefined],
      ],
    );
    assert.equal(broker.stats().malformed, 3);
  });
});
