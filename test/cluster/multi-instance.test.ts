/**
 * Three real server processes on different ports sharing one PostgreSQL
 * database and one Redis prefix act as one service: a conversation whose
 * parties sit on different instances, dedup of the same clientMessageId sent
 * through two instances (also racing), a rate limit counted across instances,
 * and delivery recovering after the subscriber connections are killed in Redis
 * (`CLIENT KILL`).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Redis } from 'ioredis';
import { TestSocket, adminUrl, createSession, json, listenerUrl, loginAdmin } from '../helpers/clients.js';
import { Deployment, type Instance } from '../helpers/instances.js';
import { connectRedis } from '../helpers/redis.js';
import { sleep, waitFor } from '../helpers/wait.js';

/** Listener messages per session per window, shared by all instances. */
const LIMIT = 12;

describe('three instances on PostgreSQL and Redis', () => {
  let deployment: Deployment;
  let a: Instance;
  let b: Instance;
  let c: Instance;
  let adminToken: string;
  const sockets: TestSocket[] = [];

  async function open(url: string): Promise<TestSocket> {
    const socket = await TestSocket.open(url);
    sockets.push(socket);
    await socket.next('connection:success');
    return socket;
  }

  async function listenerOn(instance: Instance, token: string): Promise<TestSocket> {
    return open(listenerUrl(instance, token));
  }

  async function broadcasterOn(instance: Instance): Promise<TestSocket> {
    return open(adminUrl(instance, adminToken));
  }

  before(async () => {
    deployment = await Deployment.create({
      env: { LIVECHAT_RATE_LIMIT_MESSAGES: String(LIMIT), LIVECHAT_RATE_LIMIT_WINDOW_SECONDS: '30' },
    });
    [a, b, c] = (await deployment.startMany(3)) as [Instance, Instance, Instance];
    adminToken = await loginAdmin({ baseUrl: a.baseUrl, admin: deployment.admin });
  });

  after(async () => {
    await Promise.all(sockets.map((socket) => socket.close()));
    await deployment?.stop();
  });

  test('the instances are separate processes on separate ports', () => {
    const pids = new Set([a.pid, b.pid, c.pid]);
    const ports = new Set([a.port, b.port, c.port]);
    assert.equal(pids.size, 3);
    assert.equal(ports.size, 3);
    assert.equal(
      new Set([a, b, c].flatMap((i) => i.brokerInstanceIds())).size,
      3,
      'each has its own broker instance id',
    );
  });

  test('send, reply, typing and presence cross instances', () =>
    deployment.withLogs(async () => {
      const onB = await broadcasterOn(b);
      const onC = await broadcasterOn(c);
      const session = await createSession(a, 'Sari', 'Yogyakarta');

      // Presence: the first connection of the session, on A, is announced on B and C.
      const listener = await listenerOn(a, session.sessionToken);
      for (const broadcaster of [onB, onC]) {
        assert.deepEqual(await broadcaster.next('presence:update'), { sessionId: session.sessionId, online: true });
      }

      // Listener on A → broadcasters on B and C.
      const text = 'Aku <3 lagu ini & "Sheila on 7"';
      listener.send('message:send', { text, clientMessageId: 'x-1' });
      const ack = await listener.next('message:ack');
      assert.equal(ack['clientMessageId'], 'x-1');
      for (const broadcaster of [onB, onC]) {
        const message = await broadcaster.next('message:new');
        assert.equal(message['messageId'], ack['messageId']);
        assert.equal(message['text'], text);
        assert.equal(message['direction'], 'listener');
        assert.equal(message['from'], 'Sari');
        assert.equal(message['sessionId'], session.sessionId);
      }

      // A second tab of the same session, on C: no new presence event, but it receives replies too.
      const secondTab = await listenerOn(c, session.sessionToken);
      const stranger = await listenerOn(a, (await createSession(b, 'Orang Lain')).sessionToken);

      // Broadcaster on B → the session's tabs on A and C, every broadcaster (B itself included).
      onB.send('message:reply', {
        sessionId: session.sessionId,
        text: 'Siap, diputar habis ini!',
        clientMessageId: 'r-1',
      });
      const replyAck = await onB.next('message:ack');
      for (const tab of [listener, secondTab]) {
        const received = await tab.next('message:receive');
        assert.equal(received['messageId'], replyAck['messageId']);
        assert.equal(received['text'], 'Siap, diputar habis ini!');
        assert.equal(received['from'], 'Penyiar A');
      }
      for (const broadcaster of [onB, onC]) {
        const copy = await broadcaster.next('message:new');
        assert.equal(copy['messageId'], replyAck['messageId']);
        assert.equal(copy['direction'], 'broadcaster');
      }

      // Typing, both ways, across instances.
      listener.send('user:typing', { isTyping: true });
      for (const broadcaster of [onB, onC]) {
        assert.deepEqual(await broadcaster.next('user:typing'), { sessionId: session.sessionId, isTyping: true });
      }
      onC.send('user:typing', { sessionId: session.sessionId, isTyping: true });
      for (const tab of [listener, secondTab]) {
        assert.deepEqual(await tab.next('user:typing'), { from: 'Penyiar A', isTyping: true });
      }

      // Isolation: the other session on A saw none of it.
      await sleep(200);
      assert.deepEqual(
        stranger.frames.map((f) => f.event),
        ['connection:success'],
        'another session receives nothing of this one',
      );
      assert.equal(onB.all('presence:update').length, 2, 'the stranger came online, the second tab announced nothing');

      // Presence: offline only when the last connection, on any instance, closed.
      await listener.close();
      await sleep(300);
      assert.ok(
        !onB.all('presence:update').some((p) => p['sessionId'] === session.sessionId && p['online'] === false),
        'still online while the tab on C is open',
      );
      await secondTab.close();
      await waitFor(
        () => onB.all('presence:update').some((p) => p['sessionId'] === session.sessionId && p['online'] === false),
        { message: 'offline on B after the last tab closed', timeoutMs: 5000 },
      );
      await waitFor(
        () => onC.all('presence:update').some((p) => p['sessionId'] === session.sessionId && p['online'] === false),
        { message: 'offline on C after the last tab closed', timeoutMs: 5000 },
      );
      const sessions = await json(`${c.baseUrl}/livechat/admin/sessions`, { token: adminToken });
      const listed = (sessions.body.sessions as { sessionId: string; online: boolean }[]).find(
        (s) => s.sessionId === session.sessionId,
      );
      assert.equal(listed?.online, false);
      await Promise.all([onB.close(), onC.close(), stranger.close()]);
    }));

  test('the same clientMessageId through two instances is stored once, also when racing', () =>
    deployment.withLogs(async () => {
      const watcher = await broadcasterOn(c);
      const session = await createSession(b, 'Dedi');
      const viaA = await listenerOn(a, session.sessionToken);
      const viaB = await listenerOn(b, session.sessionToken);

      viaA.send('message:send', { text: 'halo dari A', clientMessageId: 'same-1' });
      const first = await viaA.next('message:ack');
      assert.equal(first['duplicate'], undefined);
      viaB.send('message:send', { text: 'halo dari B', clientMessageId: 'same-1' });
      const again = await viaB.next('message:ack');
      assert.equal(again['messageId'], first['messageId']);
      assert.equal(again['duplicate'], true);
      assert.equal(again['clientMessageId'], 'same-1');

      // Both instances at once, four times.
      const ids = ['race-1', 'race-2', 'race-3', 'race-4'];
      for (const id of ids) {
        viaA.send('message:send', { text: `balapan ${id}`, clientMessageId: id });
        viaB.send('message:send', { text: `balapan ${id}`, clientMessageId: id });
      }
      for (const id of ids) {
        const fromA = await viaA.next('message:ack');
        const fromB = await viaB.next('message:ack');
        assert.equal(fromA['clientMessageId'], id);
        assert.equal(fromB['clientMessageId'], id);
        assert.equal(fromA['messageId'], fromB['messageId'], `${id}: one messageId for both`);
        assert.equal(
          [fromA['duplicate'], fromB['duplicate']].filter((d) => d === true).length,
          1,
          `${id}: exactly one duplicate`,
        );
      }

      // A broadcaster's key space spans its connections on every instance.
      const replyB = await broadcasterOn(b);
      const replyC = watcher;
      replyB.send('message:reply', {
        sessionId: session.sessionId,
        text: 'sekali saja',
        clientMessageId: 'admin-same',
      });
      const replyAck = await replyB.next('message:ack');
      replyC.send('message:reply', {
        sessionId: session.sessionId,
        text: 'sekali saja',
        clientMessageId: 'admin-same',
      });
      const replyAgain = await replyC.next('message:ack');
      assert.equal(replyAgain['messageId'], replyAck['messageId']);
      assert.equal(replyAgain['duplicate'], true);

      await sleep(400);
      const news = watcher.all('message:new').map((m) => String(m['messageId']));
      assert.equal(news.length, new Set(news).size, 'no message:new twice');
      assert.equal(news.length, 1 + ids.length + 1, 'one message:new per stored message');
      assert.equal(viaA.all('message:receive').length, 1, 'the reply reached the listener once');
      assert.equal(viaB.all('message:receive').length, 1, 'the reply reached the listener once');

      const rows = await deployment.query<{ client_message_id: string; n: string }>(
        'SELECT client_message_id, count(*) AS n FROM messages WHERE session_id = $1 GROUP BY client_message_id ORDER BY 1',
        [session.sessionId],
      );
      assert.deepEqual(
        rows.map((r) => [r.client_message_id, Number(r.n)]),
        ['admin-same', ...ids, 'same-1'].sort().map((id) => [id, 1]),
      );
      await Promise.all([viaA.close(), viaB.close(), replyB.close(), watcher.close()]);
    }));

  test('a listener rate limit is counted across instances', () =>
    deployment.withLogs(async () => {
      const session = await createSession(c, 'Rina');
      const viaA = await listenerOn(a, session.sessionToken);
      const viaB = await listenerOn(b, session.sessionToken);
      // Half of the limit through each instance: all accepted.
      for (let i = 0; i < LIMIT; i++) {
        const socket = i % 2 === 0 ? viaA : viaB;
        socket.send('message:send', { text: `pesan ${i}`, clientMessageId: `rl-${i}` });
        const ack = await socket.next('message:ack');
        assert.equal(ack['clientMessageId'], `rl-${i}`);
      }
      // Each instance alone has seen only half the limit; together they have seen it all.
      for (const socket of [viaA, viaB]) {
        socket.send('message:send', { text: 'satu lagi', clientMessageId: 'rl-over' });
        const refused = await socket.next('error:rate_limited');
        assert.equal(refused['clientMessageId'], 'rl-over');
        assert.ok(Number(refused['retryAfterMs']) > 0);
      }
      const [{ n }] = (await deployment.query<{ n: string }>(
        'SELECT count(*) AS n FROM messages WHERE session_id = $1',
        [session.sessionId],
      )) as [{ n: string }];
      assert.equal(Number(n), LIMIT, 'nothing over the limit was stored');
      await Promise.all([viaA.close(), viaB.close()]);
    }));

  test('delivery recovers after the subscriber connections are killed in Redis (CLIENT KILL)', () =>
    deployment.withLogs(async () => {
      const redis: Redis = await connectRedis(deployment.redisUrl);
      try {
        const subscribers = async (): Promise<Map<string, string>> => {
          const list = (await redis.call('CLIENT', 'LIST', 'TYPE', 'pubsub')) as string;
          const byName = new Map<string, string>();
          for (const line of list.split('\n')) {
            const id = /(?:^| )id=(\d+)/.exec(line)?.[1];
            const name = /(?:^| )name=(\S+)/.exec(line)?.[1];
            if (id && name?.startsWith(`${deployment.redisPrefix}sub:`)) byName.set(name, id);
          }
          return byName;
        };
        const before = await subscribers();
        assert.equal(before.size, 3, `one subscriber connection per instance, got ${[...before.keys()].join(', ')}`);

        const broadcaster = await broadcasterOn(b);
        const session = await createSession(a, 'Joko');
        const listener = await listenerOn(a, session.sessionToken);
        await broadcaster.next('presence:update');

        // Only this deployment's subscribers (by connection name), never anyone else's.
        for (const id of before.values()) await redis.call('CLIENT', 'KILL', 'ID', id);
        await waitFor(
          async () => {
            const now = await subscribers();
            return now.size === 3 && [...now].every(([name, id]) => before.has(name) && before.get(name) !== id);
          },
          { message: 'every instance to open a fresh subscriber connection', timeoutMs: 10_000 },
        );
        // Healthy again (subscriptions replayed and proven by the probe).
        await Promise.all([a, b, c].map((instance) => instance.ready(10_000)));

        listener.send('message:send', { text: 'masih dengar?', clientMessageId: 'after-kill' });
        const ack = await listener.next('message:ack');
        const news = await broadcaster.next('message:new', 5000);
        assert.equal(news['messageId'], ack['messageId']);
        broadcaster.send('message:reply', {
          sessionId: session.sessionId,
          text: 'masih!',
          clientMessageId: 'r-after-kill',
        });
        assert.equal((await listener.next('message:receive', 5000))['text'], 'masih!');
        for (const instance of [a, b, c]) {
          assert.ok(
            instance.entries().some((e) => e.msg === 'Redis connection ready again' && e['connection'] === 'sub'),
            `${instance.name} reconnected its subscriber`,
          );
        }
        await Promise.all([listener.close(), broadcaster.close()]);
      } finally {
        redis.disconnect();
      }
    }));

  test('no instance crashed or logged an error', () => {
    for (const instance of [a, b, c]) {
      assert.ok(instance.running, `${instance.name} is still running`);
      const errors = instance.entries().filter((entry) => entry.level >= 50);
      assert.deepEqual(errors, [], `${instance.name} logged no error`);
    }
  });
});
