/**
 * Replies published while Redis was down reach a listener on another
 * instance once its subscription is restored: recovered from the database
 * after the last message the connection got, in order, exactly once.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { TestSocket, adminUrl, createSession, json, listenerUrl, loginAdmin } from '../helpers/clients.js';
import { createTestDatabase, type TestDatabase } from '../helpers/databases.js';
import { startThrowawayRedis, type ThrowawayRedis } from '../helpers/instances.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
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

      await redis.stop();
      expected.push(await reply('saat redis mati'));

      await redis.start();
      await until(
        'both instances are ready',
        async () =>
          (await json(`${a.baseUrl}/readyz`)).status === 200 && (await json(`${b.baseUrl}/readyz`)).status === 200,
      );
      expected.push(await reply('sesudah'));

      await until(
        'the listener has every reply',
        async () => listener.all('message:receive').length >= expected.length,
      );
      await new Promise((r) => setTimeout(r, 300));
      assert.deepEqual(
        listener.all('message:receive').map((m) => m['messageId']),
        expected,
        'every reply once, in stored order',
      );
      await listener.close();
      await admin.close();
    });
  }
});
