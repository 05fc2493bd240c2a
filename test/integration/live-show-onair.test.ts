/**
 * Contract v1.1 D, the on-air queue: queue, reorder, on air (at most one),
 * used, removed; `onair:update` with the whole queue to broadcasters; the
 * read-only feed of the `/onair` screen (key or broadcaster token) — on every
 * database and bus, and across two instances.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { TestSocket, adminUrl, connectListener, json, loginAdmin } from '../helpers/clients.js';
import { matrix } from '../helpers/server.js';
import { SseStream } from '../helpers/sse.js';
import { withInstances, withServer } from '../helpers/with-server.js';

const ONAIR_KEY = 'studio-key-0123456789-abcdefghij';

interface Queue {
  revision: number;
  items: Array<{ message: { messageId: string; from: string; text: string }; state: string; by: string; city: string }>;
}

const ids = (queue: Queue) => queue.items.map((item) => item.message.messageId);
const states = (queue: Queue) => queue.items.map((item) => item.state);

for (const { dialect, broker } of matrix()) {
  describe(`on-air queue on ${dialect} with the ${broker} broker`, () => {
    const server = withServer({ dialect, broker, env: { LIVECHAT_ONAIR_KEY: ONAIR_KEY } });
    let token: string;
    let dashboard: TestSocket;
    const messages: string[] = [];
    let reply: string;
    before(async () => {
      token = await loginAdmin(server);
      dashboard = await TestSocket.open(adminUrl(server, token));
      await dashboard.next('connection:success');
      const { socket, session } = await connectListener(server, 'Gita');
      for (const text of ['Salam dari Solo', 'Lagu favorit saya', 'Terima kasih']) {
        socket.send('message:send', { text, clientMessageId: text });
        messages.push(
          (await socket.next('message:ack', 5000, (d) => d['clientMessageId'] === text))['messageId'] as string,
        );
      }
      dashboard.send('message:reply', { sessionId: session.sessionId, text: 'Halo Gita', clientMessageId: 'r' });
      reply = (await dashboard.next('message:ack'))['messageId'] as string;
      await socket.close();
    });
    after(() => dashboard.close());

    const set = (messageId: string, state: string) =>
      json(`${server.baseUrl}/livechat/admin/messages/${messageId}/onair`, { token, body: { state } });

    test('queue, reorder, on air, used and removed; every change reaches broadcasters as the whole queue', async () => {
      const [m1, m2, m3] = messages as [string, string, string];
      for (const id of [m1, m2, m3]) assert.equal((await set(id, 'queued')).status, 200);
      const update = await dashboard.next('onair:update', 5000, (d) => (d['items'] as unknown[]).length === 3);
      assert.deepEqual(ids(update as unknown as Queue), [m1, m2, m3]);
      const first = (update as unknown as Queue).items[0]!;
      assert.equal(first.by, 'Penyiar A');
      assert.equal(first.city, 'Bandung');
      assert.equal(first.message.from, 'Gita');

      const reordered = await json(`${server.baseUrl}/livechat/admin/onair/order`, {
        token,
        method: 'PUT',
        body: { messageIds: [m3, m1, '999999'] },
      });
      assert.equal(reordered.status, 200, JSON.stringify(reordered.body));
      assert.deepEqual(ids(reordered.body), [m3, m1, m2]);

      const onAir = (await set(m1, 'on_air')).body as Queue;
      assert.deepEqual(states(onAir), ['queued', 'on_air', 'queued']);
      const next = (await set(m3, 'on_air')).body as Queue;
      assert.deepEqual(states(next), ['on_air', 'used', 'queued'], 'the one on air before is used');
      assert.ok(next.revision > onAir.revision);
      assert.equal((await set(m2, 'removed')).status, 200);
      const listed = await json(`${server.baseUrl}/livechat/admin/onair`, { token });
      assert.equal(listed.status, 200);
      assert.deepEqual(ids(listed.body), [m3, m1]);
      assert.deepEqual(states(listed.body), ['on_air', 'used']);
      const latest = await dashboard.next('onair:update', 5000, (d) => d['revision'] === listed.body.revision);
      assert.deepEqual(latest, listed.body);
    });

    test('concurrent on_air changes leave exactly one message on air', async () => {
      const results = await Promise.all(messages.map((id) => set(id, 'on_air')));
      for (const result of results) assert.equal(result.status, 200, JSON.stringify(result.body));
      const listed = (await json(`${server.baseUrl}/livechat/admin/onair`, { token })).body as Queue;
      assert.equal(states(listed).filter((s) => s === 'on_air').length, 1);
    });

    test('a hidden message leaves the queue and cannot join it again until shown', async () => {
      const m2 = messages[1]!;
      assert.equal((await set(m2, 'queued')).status, 200);
      const hide = await json(`${server.baseUrl}/livechat/admin/messages/${m2}/hide`, { token, method: 'POST' });
      assert.equal(hide.status, 200);
      const update = await dashboard.next('onair:update', 5000, (d) => !ids(d as unknown as Queue).includes(m2));
      assert.ok(!ids(update as unknown as Queue).includes(m2), 'hiding takes it off the queue for every broadcaster');
      assert.equal((await set(m2, 'queued')).status, 404, 'a hidden message cannot be queued');
      const shown = await json(`${server.baseUrl}/livechat/admin/messages/${m2}/hide`, { token, method: 'DELETE' });
      assert.equal(shown.status, 204);
      assert.equal((await set(m2, 'queued')).status, 200, 'shown again, it can');
      assert.equal((await set(m2, 'removed')).status, 200);
    });

    test('bad input: unknown message 404, reply 400, bad state 400, repeated ids 400, no token 401', async () => {
      assert.equal((await set('999999', 'queued')).status, 404);
      assert.equal((await set('abc', 'queued')).status, 404);
      const onReply = await set(reply, 'queued');
      assert.equal(onReply.status, 400);
      assert.equal(onReply.body.error, 'invalid_payload');
      assert.equal((await set(messages[0]!, 'live')).status, 400);
      const repeated = await json(`${server.baseUrl}/livechat/admin/onair/order`, {
        token,
        method: 'PUT',
        body: { messageIds: [messages[0], messages[0]] },
      });
      assert.equal(repeated.status, 400);
      assert.equal((await json(`${server.baseUrl}/livechat/admin/onair`)).status, 401);
    });

    test('the screen feed opens with the key or a broadcaster token and follows the message on air', async () => {
      const feed = `${server.baseUrl}/livechat/onair/events`;
      assert.equal((await SseStream.open(`${feed}?key=wrong-key`)).status, 401);
      assert.equal((await SseStream.open(feed)).status, 401);
      const byKey = await SseStream.open(`${feed}?key=${ONAIR_KEY}`);
      const byToken = await SseStream.open(feed, { authorization: `Bearer ${token}` });
      assert.equal(byKey.status, 200);
      assert.equal(byToken.status, 200);
      const initial = await byKey.next((e) => e.event === 'onair');
      assert.ok('onAir' in initial.data);
      const started = Date.now();
      await set(messages[1]!, 'on_air');
      for (const stream of [byKey, byToken]) {
        const shown = await stream.next((e) => e.data.onAir?.messageId === messages[1], 1000);
        assert.deepEqual(shown.data.onAir, {
          messageId: messages[1],
          name: 'Gita',
          city: 'Bandung',
          text: 'Lagu favorit saya',
        });
      }
      assert.ok(Date.now() - started < 1000);
      await set(messages[1]!, 'used');
      await byKey.next((e) => e.data.onAir === null, 1000);
      byKey.close();
      byToken.close();
    });
  });
}

describe('on-air queue across two instances', () => {
  const [one, two] = withInstances(2, { env: { LIVECHAT_ONAIR_KEY: ONAIR_KEY } });
  test('a change on one instance reaches broadcasters and screens on the other', async () => {
    const token = await loginAdmin(one!);
    const dashboard = await TestSocket.open(adminUrl(two!, token));
    await dashboard.next('connection:success');
    const screen = await SseStream.open(`${two!.baseUrl}/livechat/onair/events?key=${ONAIR_KEY}`);
    await screen.next((e) => e.event === 'onair');
    const { socket } = await connectListener(one!, 'Hana');
    socket.send('message:send', { text: 'Halo studio', clientMessageId: 'h1' });
    const messageId = (await socket.next('message:ack'))['messageId'] as string;
    const change = await json(`${one!.baseUrl}/livechat/admin/messages/${messageId}/onair`, {
      token,
      body: { state: 'on_air' },
    });
    assert.equal(change.status, 200);
    const update = await dashboard.next('onair:update');
    assert.deepEqual(states(update as unknown as Queue), ['on_air']);
    const shown = await screen.next((e) => e.data.onAir?.messageId === messageId, 1000);
    assert.equal(shown.data.onAir.text, 'Halo studio');
    screen.close();
    await socket.close();
    await dashboard.close();
  });
});
