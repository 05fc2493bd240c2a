/**
 * Contract v1.1 D, song requests: `message:send` with `request`, the per-hour
 * request policy, grouping by song, the requests listing and its statuses,
 * and `request:update` to the listeners who asked and to broadcasters — on
 * every database and bus, and across two instances.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { TestSocket, adminUrl, connectListener, json, loginAdmin } from '../helpers/clients.js';
import { matrix } from '../helpers/server.js';
import { withInstances, withServer } from '../helpers/with-server.js';

interface Group {
  requestId: string;
  title: string;
  artist: string;
  count: number;
  status: string;
  messageIds: string[];
}

for (const { dialect, broker } of matrix()) {
  describe(`song requests on ${dialect} with the ${broker} broker`, () => {
    const server = withServer({ dialect, broker });
    let token: string;
    let dashboard: TestSocket;
    before(async () => {
      token = await loginAdmin(server);
      dashboard = await TestSocket.open(adminUrl(server, token));
      await dashboard.next('connection:success');
    });
    after(() => dashboard.close());

    const list = async (status = 'open'): Promise<Group[]> => {
      const response = await json(`${server.baseUrl}/livechat/admin/requests?status=${status}`, { token });
      assert.equal(response.status, 200, JSON.stringify(response.body));
      return response.body.requests;
    };
    const ask = async (socket: TestSocket, id: string, request: unknown, text = '') => {
      socket.send('message:send', { text, clientMessageId: id, request });
      return socket.next('message:ack', 5000, (d) => d['clientMessageId'] === id);
    };

    test('requests are grouped by song, most asked first, and their status reaches those who asked', async () => {
      const a = await connectListener(server, 'Ayu');
      const b = await connectListener(server, 'Bayu');
      const c = await connectListener(server, 'Citra');
      const kangen = await ask(c.socket, 'c1', { title: 'Kangen', artist: 'Dewa 19' });
      const bento1 = await ask(a.socket, 'a1', { title: 'Bento', artist: 'Iwan Fals' }, 'Salam buat kru!');
      const bento2 = await ask(b.socket, 'b1', { title: '  bénto ', artist: 'IWAN  FALS' });
      // Without a greeting the stored text names the song; the message carries the request.
      assert.equal(bento2['text'], 'Request lagu: bénto – IWAN FALS');
      const news = await dashboard.next('message:new', 5000, (m) => m['messageId'] === bento1['messageId']);
      assert.deepEqual(news['request'], { title: 'Bento', artist: 'Iwan Fals' });
      assert.equal(news['text'], 'Salam buat kru!');
      const history = await json(`${server.baseUrl}/livechat/admin/sessions/${b.session.sessionId}/messages`, {
        token,
      });
      assert.deepEqual(history.body.messages[0].request, { title: 'bénto', artist: 'IWAN FALS' });

      const open = await list();
      const bento = open.find((g) => g.messageIds.includes(bento1['messageId'] as string))!;
      assert.equal(open[0], bento, 'most asked first');
      assert.deepEqual(
        { ...bento },
        {
          requestId: bento1['messageId'],
          title: 'Bento',
          artist: 'Iwan Fals',
          count: 2,
          status: 'open',
          messageIds: [bento1['messageId'], bento2['messageId']],
        },
      );
      assert.ok(open.some((g) => g.messageIds.join() === kangen['messageId'] && g.count === 1));
      // The open count (the stats' "open requests") agrees with the listing.
      assert.equal(await server.server.store.requests.countOpen(), open.length);

      const played = await json(`${server.baseUrl}/livechat/admin/requests/${bento.requestId}`, {
        token,
        body: { status: 'played' },
      });
      assert.equal(played.status, 200, JSON.stringify(played.body));
      assert.equal(played.body.status, 'played');
      assert.deepEqual(await a.socket.next('request:update'), { messageId: bento1['messageId'], status: 'played' });
      assert.deepEqual(await b.socket.next('request:update'), { messageId: bento2['messageId'], status: 'played' });
      assert.deepEqual(await dashboard.next('request:update', 5000, (d) => d['requestId'] === bento.requestId), {
        requestId: bento.requestId,
        status: 'played',
        count: 2,
      });
      assert.deepEqual(await c.socket.collect('request:update', 150), [], 'Citra did not ask for Bento');
      assert.ok(!(await list()).some((g) => g.requestId === bento.requestId));
      assert.equal(await server.server.store.requests.countOpen(), open.length - 1);
      assert.ok((await list('played')).some((g) => g.requestId === bento.requestId && g.count === 2));

      // Asked again after it was played: a new open group.
      const again = await ask(c.socket, 'c2', { title: 'BENTO', artist: 'iwan fals' });
      const reopened = (await list()).find((g) => g.messageIds.includes(again['messageId'] as string))!;
      assert.equal(reopened.requestId, again['messageId']);
      assert.equal(reopened.count, 1);
      await Promise.all([a, b, c].map((l) => l.socket.close()));
    });

    test('a fourth request within the hour is refused with reason requests; plain messages still pass', async () => {
      const { socket } = await connectListener(server, 'Dewi');
      for (const i of [1, 2, 3]) await ask(socket, `r${i}`, { title: `Lagu ${i}` });
      socket.send('message:send', { text: 'satu lagi', clientMessageId: 'r4', request: { title: 'Lagu 4' } });
      const refused = await socket.next('error:rate_limited');
      assert.equal(refused['reason'], 'requests');
      assert.equal(refused['clientMessageId'], 'r4');
      assert.ok((refused['retryAfterMs'] as number) > 0);
      const plain = await ask(socket, 'p1', undefined, 'tanpa request');
      assert.equal(plain['text'], 'tanpa request');
      // A resent request (same clientMessageId) is acked as a duplicate, not refused.
      const resent = await ask(socket, 'r1', { title: 'Lagu 1' });
      assert.equal(resent['duplicate'], true);
      assert.ok(!(await list()).some((g) => g.title === 'Lagu 4'));
      await socket.close();
    });

    test('bad requests and bad status changes get clear errors and store nothing', async () => {
      const { socket, session } = await connectListener(server, 'Eka');
      socket.send('message:send', { text: 'hai', clientMessageId: 'e1', request: { title: '  <b></b> ' } });
      assert.match(String((await socket.next('error:invalid_payload'))['message']), /Judul lagu/);
      socket.send('message:send', { text: 'hai', clientMessageId: 'e2', request: { title: 'x'.repeat(101) } });
      assert.match(String((await socket.next('error:invalid_payload'))['message']), /100/);
      socket.send('message:send', { text: 'hai', clientMessageId: 'e3', request: { title: 'Ok', artist: 7 } });
      assert.equal((await socket.next('error:invalid_payload'))['clientMessageId'], 'e3');
      socket.send('message:send', { text: '', clientMessageId: 'e4' });
      await socket.next('error:invalid_payload', 5000, (d) => d['clientMessageId'] === 'e4');
      const history = await json(`${server.baseUrl}/livechat/admin/sessions/${session.sessionId}/messages`, {
        token,
      });
      assert.deepEqual(history.body.messages, []);
      await socket.close();

      const base = `${server.baseUrl}/livechat/admin/requests`;
      assert.equal((await json(`${base}/999999`, { token, body: { status: 'played' } })).status, 404);
      assert.equal((await json(`${base}/abc`, { token, body: { status: 'played' } })).status, 404);
      assert.equal((await json(`${base}?status=maybe`, { token })).status, 400);
      assert.equal((await json(`${base}`, {})).status, 401);
      const open = await list();
      const any = open[0]!;
      const bad = await json(`${base}/${any.requestId}`, { token, body: { status: 'lost' } });
      assert.equal(bad.status, 400);
      assert.equal(bad.body.error, 'invalid_payload');
      // A member that is not the group's first request names no group.
      const member = open.find((g) => g.messageIds.length > 1);
      if (member) {
        const second = await json(`${base}/${member.messageIds[1]}`, { token, body: { status: 'played' } });
        assert.equal(second.status, 404);
      }
    });
  });
}

describe('song requests across two instances', () => {
  const [one, two] = withInstances(2);
  test('a status set on one instance reaches listeners and broadcasters on the other', async () => {
    const token = await loginAdmin(one!);
    const dashboard = await TestSocket.open(adminUrl(two!, token));
    await dashboard.next('connection:success');
    const { socket } = await connectListener(two!, 'Fajar');
    socket.send('message:send', { text: '', clientMessageId: 'f1', request: { title: 'Laskar Pelangi' } });
    const ack = await socket.next('message:ack');
    const status = await json(`${one!.baseUrl}/livechat/admin/requests/${ack['messageId']}`, {
      token,
      body: { status: 'skipped' },
    });
    assert.equal(status.status, 200, JSON.stringify(status.body));
    assert.deepEqual(await socket.next('request:update'), { messageId: ack['messageId'], status: 'skipped' });
    assert.deepEqual(await dashboard.next('request:update'), {
      requestId: ack['messageId'],
      status: 'skipped',
      count: 1,
    });
    await socket.close();
    await dashboard.close();
  });
});
