/**
 * Redis goes away under two running instances (a throwaway redis-server of
 * this test, killed and started again empty — never the shared one). While it
 * is down, each instance keeps serving its own connections: messages are
 * stored and acknowledged, delivery on the same instance works, new
 * connections are accepted, nothing crashes, and `/readyz` answers 503 naming
 * `redis`. When Redis is back, readiness and cross-instance delivery and
 * presence return by themselves.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { TestSocket, adminUrl, createSession, listenerUrl, loginAdmin } from '../helpers/clients.js';
import { Deployment, startThrowawayRedis, type Instance, type ThrowawayRedis } from '../helpers/instances.js';
import { sleep, waitFor } from '../helpers/wait.js';

describe('Redis down and back under two instances', () => {
  let redis: ThrowawayRedis;
  let deployment: Deployment;
  let a: Instance;
  let b: Instance;
  const sockets: TestSocket[] = [];

  async function open(url: string): Promise<TestSocket> {
    const socket = await TestSocket.open(url);
    sockets.push(socket);
    await socket.next('connection:success');
    return socket;
  }

  before(async () => {
    redis = await startThrowawayRedis();
    deployment = await Deployment.create({ redisUrl: redis.url });
    [a, b] = (await deployment.startMany(2)) as [Instance, Instance];
  });

  after(async () => {
    await Promise.all(sockets.map((socket) => socket.close()));
    await deployment?.stop();
    await redis?.stop();
  });

  test('local delivery goes on, /readyz names redis, cross-instance delivery resumes by itself', () =>
    deployment.withLogs(async () => {
      const token = await loginAdmin({ baseUrl: a.baseUrl, admin: deployment.admin });
      const onA = await open(adminUrl(a, token));
      const onB = await open(adminUrl(b, token));
      const session = await createSession(a, 'Wulan');
      const listener = await open(listenerUrl(a, session.sessionToken));
      for (const broadcaster of [onA, onB]) {
        assert.deepEqual(await broadcaster.next('presence:update'), { sessionId: session.sessionId, online: true });
      }

      // Before: across instances.
      listener.send('message:send', { text: 'sebelum', clientMessageId: 'before' });
      const before = await listener.next('message:ack');
      assert.equal((await onB.next('message:new'))['messageId'], before['messageId']);
      assert.equal((await onA.next('message:new'))['messageId'], before['messageId']);

      await redis.stop('SIGKILL');
      for (const instance of [a, b]) {
        let last: { status: number; body: any } = { status: 0, body: undefined };
        await waitFor(async () => (last = await instance.readyz()).status === 503, {
          message: `${instance.name} to report not ready`,
          timeoutMs: 10_000,
          intervalMs: 50,
        });
        assert.deepEqual(last.body.failed, ['redis'], `${instance.name}: only Redis failed`);
        assert.equal(last.body.error, 'unavailable');
        assert.equal(last.body.checks.database, 'ok');
        assert.equal(last.body.checks.redis, 'failed');
      }

      // During: the same instance still delivers both ways, the database still stores.
      listener.send('message:send', { text: 'selama Redis mati', clientMessageId: 'during' });
      const during = await listener.next('message:ack');
      assert.equal((await onA.next('message:new'))['messageId'], during['messageId']);
      onA.send('message:reply', { sessionId: session.sessionId, text: 'tetap terdengar', clientMessageId: 'r-during' });
      await onA.next('message:ack');
      assert.equal((await listener.next('message:receive'))['text'], 'tetap terdengar');
      // New sessions and connections are accepted (limits counted by this instance alone meanwhile).
      const newcomer = await createSession(a, 'Baru');
      const newcomerSocket = await open(listenerUrl(a, newcomer.sessionToken));
      assert.deepEqual(await onA.next('presence:update'), { sessionId: newcomer.sessionId, online: true });
      // Health stays 200: the process is fine.
      assert.equal((await fetch(`${a.baseUrl}/healthz`)).status, 200);

      // Longer than a registry TTL (1.5 s in these instances): entries must come back, not expire.
      await sleep(2000);
      await redis.start();
      await Promise.all([a.ready(15_000), b.ready(15_000)]);

      // After: across instances again, without any restart of the instances.
      listener.send('message:send', { text: 'sesudah', clientMessageId: 'after' });
      const afterAck = await listener.next('message:ack');
      await waitFor(() => onB.all('message:new').some((m) => m['messageId'] === afterAck['messageId']), {
        message: 'the message to reach the broadcaster on the other instance',
        timeoutMs: 5000,
      });
      onB.send('message:reply', { sessionId: session.sessionId, text: 'dari B lagi', clientMessageId: 'r-after' });
      await onB.next('message:ack');
      assert.equal((await listener.next('message:receive', 5000))['text'], 'dari B lagi');
      // Presence across instances: a listener opening on B is announced to the broadcaster on A.
      const late = await createSession(b, 'Telat');
      await open(listenerUrl(b, late.sessionToken));
      await waitFor(
        () => onA.all('presence:update').some((p) => p['sessionId'] === late.sessionId && p['online'] === true),
        { message: 'presence from B to reach A', timeoutMs: 5000 },
      );
      // Nobody still connected was reported offline because of the outage.
      await sleep(1000);
      const offline = [...onA.all('presence:update'), ...onB.all('presence:update')].filter(
        (p) => p['online'] === false,
      );
      assert.deepEqual(offline, [], 'no connected session went offline');
      await newcomerSocket.close();

      for (const instance of [a, b]) {
        assert.ok(instance.running, `${instance.name} did not crash`);
        assert.deepEqual(
          instance.entries().filter((entry) => entry.level >= 60),
          [],
          `${instance.name} logged nothing fatal`,
        );
        assert.ok(
          instance.entries().some((entry) => entry.msg === 'Redis connection ready again'),
          `${instance.name} reconnected to Redis`,
        );
      }
    }));
});
