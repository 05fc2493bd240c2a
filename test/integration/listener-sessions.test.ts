/**
 * Contract v1.1 B, the listener side: linked sessions, the session's own
 * history, erasing it, `message:sent` to other tabs and `error:session_ended`,
 * over both databases × both brokers, and across two instances.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import { TokenService } from '../../src/auth/tokens.js';
import {
  TestSocket,
  adminUrl,
  connectListener,
  createSession,
  json,
  listenerUrl,
  loginAdmin,
  upgradeStatus,
} from '../helpers/clients.js';
import { TEST_JWT_SECRET, matrix, type TestServer } from '../helpers/server.js';
import { withInstances, withServer } from '../helpers/with-server.js';

const DEVICE = 'dev_0123456789abcdef';

/** A session stored as expired `agoSeconds` ago, with its (expired) token, as if made back then. */
async function expiredSession(server: TestServer, agoSeconds: number) {
  const then = Date.now() - (agoSeconds + 3600) * 1000;
  const tokens = new TokenService(TEST_JWT_SECRET, { now: () => then });
  const sessionId = randomUUID();
  const { token, expiresAt } = await tokens.signListener({ sessionId, name: 'Lama', city: '' }, 3600);
  await server.server.store.sessions.create({
    id: sessionId,
    name: 'Lama',
    city: '',
    createdAt: new Date(then),
    expiresAt,
  });
  return { sessionId, token };
}

async function openAdmin(server: TestServer): Promise<TestSocket> {
  const admin = await TestSocket.open(adminUrl(server, await loginAdmin(server)));
  await admin.next('connection:success');
  return admin;
}

for (const { dialect, broker } of matrix()) {
  describe(`listener sessions on ${dialect} with the ${broker} broker`, () => {
    const server = withServer({ dialect, broker });

    test('a new session links to the previous one; the listing shows the link', async () => {
      const old = await expiredSession(server, 60);
      const created = await json(`${server.baseUrl}/livechat/session`, {
        body: { name: 'Lama', deviceId: DEVICE, previousSessionToken: old.token },
      });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      assert.equal(created.body.previousSessionId, old.sessionId);
      assert.equal((await server.server.store.sessions.get(created.body.sessionId))?.deviceId, DEVICE);

      const { socket } = { socket: await TestSocket.open(listenerUrl(server, created.body.sessionToken)) };
      await socket.next('connection:success');
      socket.send('message:send', { text: 'saya lagi' });
      await socket.next('message:ack');
      await socket.close();
      const listing = await json(`${server.baseUrl}/livechat/admin/sessions`, { token: await loginAdmin(server) });
      const row = listing.body.sessions.find((s: { sessionId: string }) => s.sessionId === created.body.sessionId);
      assert.equal(row?.previousSessionId, old.sessionId);

      const plain = await createSession(server);
      assert.equal('previousSessionId' in plain, false, 'no link asked for, none given');
    });

    test('bad deviceId or previousSessionToken is refused and stores nothing', async () => {
      const tooOld = await expiredSession(server, 31 * 24 * 3600);
      const forged = new TokenService('another-secret-that-is-long-enough-for-hs256-xyz');
      const { token: foreign } = await forged.signListener({ sessionId: randomUUID(), name: 'X', city: '' }, 60);
      for (const body of [
        { name: 'A', deviceId: 'short' },
        { name: 'A', deviceId: 'has spaces in it 123456' },
        { name: 'A', previousSessionToken: tooOld.token },
        { name: 'A', previousSessionToken: foreign },
        { name: 'A', previousSessionToken: 'not-a-token' },
      ]) {
        const answer = await json(`${server.baseUrl}/livechat/session`, { body });
        assert.equal(answer.status, 400, JSON.stringify(body));
        assert.equal(answer.body.error, 'invalid_payload');
      }
    });

    test('GET /livechat/session/messages: own history, both directions, paged; bearer checked', async () => {
      const { session, socket } = await connectListener(server, 'Rani');
      const admin = await openAdmin(server);
      socket.send('message:send', { text: 'satu' });
      const first = await socket.next('message:ack');
      admin.send('message:reply', { sessionId: session.sessionId, text: 'dua' });
      await socket.next('message:receive');
      socket.send('message:send', { text: 'tiga <b>tebal</b>' });
      await socket.next('message:ack');
      const url = `${server.baseUrl}/livechat/session/messages`;

      const all = await json(url, { token: session.sessionToken });
      assert.equal(all.status, 200);
      assert.deepEqual(
        all.body.messages.map((m: { direction: string; text: string }) => [m.direction, m.text]),
        [
          ['listener', 'satu'],
          ['broadcaster', 'dua'],
          ['listener', 'tiga tebal'],
        ],
      );
      assert.equal(all.body.messages[0].sessionId, session.sessionId);
      const page = await json(`${url}?after=${String(first['messageId'])}&limit=1`, { token: session.sessionToken });
      assert.deepEqual(
        page.body.messages.map((m: { text: string }) => m.text),
        ['dua'],
      );

      const other = await createSession(server);
      assert.equal((await json(url, { token: other.sessionToken })).body.messages.length, 0, 'isolated');
      assert.equal((await json(url)).status, 401);
      assert.equal((await json(url, { token: 'x.y.z' })).status, 401);
      assert.equal((await json(url, { token: await loginAdmin(server) })).status, 403);
      assert.equal((await json(`${url}?limit=501`, { token: session.sessionToken })).status, 400);
      assert.equal((await json(`${url}?after=abc`, { token: session.sessionToken })).status, 400);
      const expired = await expiredSession(server, 10);
      assert.equal((await json(url, { token: expired.token })).status, 401);
      await socket.close();
      await admin.close();
    });

    test('message:sent reaches the other tabs, not the sender', async () => {
      const { session, socket: tabA } = await connectListener(server, 'Dua Tab');
      const tabB = await TestSocket.open(listenerUrl(server, session.sessionToken));
      await tabB.next('connection:success');
      const stranger = await connectListener(server, 'Lain');
      tabA.send('message:send', { text: 'dari tab A', clientMessageId: 'a-1' });
      const ack = await tabA.next('message:ack');
      const sent = await tabB.next('message:sent');
      assert.deepEqual(sent, {
        messageId: ack['messageId'],
        sessionId: session.sessionId,
        direction: 'listener',
        from: 'Dua Tab',
        text: 'dari tab A',
        createdAt: ack['createdAt'],
      });
      // A duplicate is not sent again.
      tabA.send('message:send', { text: 'dari tab A', clientMessageId: 'a-1' });
      await tabA.next('message:ack', 5000, (d) => d['duplicate'] === true);
      tabB.send('message:send', { text: 'dari tab B' });
      await tabA.next('message:sent', 5000, (d) => d['text'] === 'dari tab B');
      assert.equal(tabA.all('message:sent').length, 1, 'the sender never gets its own message back');
      assert.equal(tabB.all('message:sent').length, 1);
      assert.equal(stranger.socket.all('message:sent').length, 0);
      for (const s of [tabA, tabB, stranger.socket]) await s.close();
    });

    test('DELETE /livechat/session erases it: 1000 for its sockets, session:erased for broadcasters', async () => {
      const { session, socket } = await connectListener(server, 'Hapus');
      const bystander = await connectListener(server, 'Tetap');
      const admin = await openAdmin(server);
      socket.send('message:send', { text: 'rahasia' });
      await socket.next('message:ack');
      bystander.socket.send('message:send', { text: 'tetap ada' });
      await bystander.socket.next('message:ack');

      const erased = await json(`${server.baseUrl}/livechat/session`, {
        method: 'DELETE',
        token: session.sessionToken,
      });
      assert.equal(erased.status, 204);
      assert.equal((await socket.closed).code, 1000);
      assert.deepEqual(await socket.next('session:erased').catch(() => socket.all('session:erased')[0]), {
        sessionId: session.sessionId,
      });
      assert.deepEqual(await admin.next('session:erased', 5000, (d) => d['sessionId'] === session.sessionId), {
        sessionId: session.sessionId,
      });
      const token = await loginAdmin(server);
      const history = await json(`${server.baseUrl}/livechat/admin/sessions/${session.sessionId}/messages`, { token });
      assert.equal(history.status, 404);
      const kept = await json(`${server.baseUrl}/livechat/admin/sessions/${bystander.session.sessionId}/messages`, {
        token,
      });
      assert.equal(kept.body.messages.length, 1, 'other sessions keep their messages');
      assert.equal(await upgradeStatus(listenerUrl(server, session.sessionToken)), 401, 'the token is dead');
      const again = await json(`${server.baseUrl}/livechat/session`, { method: 'DELETE', token: session.sessionToken });
      assert.equal(again.status, 204, 'erasing again is done too');
      assert.equal((await json(`${server.baseUrl}/livechat/session`, { method: 'DELETE' })).status, 401);
      assert.equal(
        (await json(`${server.baseUrl}/livechat/session`, { method: 'DELETE', token })).status,
        403,
        'an admin token is the wrong kind',
      );
      await bystander.socket.close();
      await admin.close();
    });

    test('a reply into an expired session: error:session_ended with the newest linked session', async () => {
      const old = await expiredSession(server, 30);
      const middle = await json(`${server.baseUrl}/livechat/session`, {
        body: { name: 'Lama', previousSessionToken: old.token },
      });
      const newest = await json(`${server.baseUrl}/livechat/session`, {
        body: { name: 'Lama', previousSessionToken: middle.body.sessionToken },
      });
      const lone = await expiredSession(server, 30);
      const admin = await openAdmin(server);
      admin.send('message:reply', { sessionId: old.sessionId, text: 'halo?', clientMessageId: 'r-1' });
      assert.deepEqual(await admin.next('error:session_ended'), {
        sessionId: old.sessionId,
        newSessionId: newest.body.sessionId,
        clientMessageId: 'r-1',
      });
      admin.send('message:reply', { sessionId: lone.sessionId, text: 'halo?' });
      assert.deepEqual(await admin.next('error:session_ended'), { sessionId: lone.sessionId });
      assert.equal(admin.all('message:ack').length, 0);
      const stored = await server.server.store.messages.listAfter(old.sessionId, { limit: 10 });
      assert.equal(stored.length, 0, 'nothing stored');
      // A live session still takes replies.
      admin.send('message:reply', { sessionId: newest.body.sessionId, text: 'di sini' });
      await admin.next('message:ack');
      await admin.close();
    });
  });
}

describe('listener sessions across two instances', () => {
  const [a, b] = withInstances(2);

  test('message:sent and the erase reach tabs on the other instance', async () => {
    const { session, socket: onA } = await connectListener(a!, 'Dua Server');
    const onB = await TestSocket.open(listenerUrl(b!, session.sessionToken));
    await onB.next('connection:success');
    const adminOnB = await openAdmin(b!);
    onA.send('message:send', { text: 'lewat A' });
    const ack = await onA.next('message:ack');
    assert.equal((await onB.next('message:sent'))['messageId'], ack['messageId']);
    assert.equal(onA.all('message:sent').length, 0);

    const erased = await json(`${a!.baseUrl}/livechat/session`, { method: 'DELETE', token: session.sessionToken });
    assert.equal(erased.status, 204);
    assert.equal((await onB.closed).code, 1000);
    assert.equal((await onA.closed).code, 1000);
    await adminOnB.next('session:erased', 5000, (d) => d['sessionId'] === session.sessionId);
    await adminOnB.close();
  });
});
