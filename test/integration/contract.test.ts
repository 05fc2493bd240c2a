/**
 * The contract on one real server: run over both storage back ends and both
 * brokers. Every case talks HTTP and WebSocket to a server on port 0.
 */
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { SignJWT } from 'jose';
import { TokenService } from '../../src/auth/tokens.js';
import {
  TestSocket,
  adminUrl,
  createSession,
  json,
  listenerUrl,
  loginAdmin,
  upgradeStatus,
} from '../helpers/clients.js';
import { TEST_JWT_SECRET, matrix } from '../helpers/server.js';
import { withServer } from '../helpers/with-server.js';
import { sleep } from '../helpers/wait.js';

const SHEILA = 'Aku <3 lagu ini & "Sheila on 7"';

for (const { dialect, broker } of matrix()) {
  describe(`contract on ${dialect} with the ${broker} broker`, () => {
    let adminToken: string;

    const server = withServer({ dialect, broker });
    before(async () => {
      adminToken = await loginAdmin(server);
    });

    const openListener = async (name = 'Budi', lastMessageId?: string) => {
      const session = await createSession(server, name);
      const socket = await TestSocket.open(listenerUrl(server, session.sessionToken, lastMessageId));
      return { session, socket };
    };
    const openAdmin = () => TestSocket.open(adminUrl(server, adminToken));

    test('listener connects and gets connection:success first', async () => {
      const session = await createSession(server, 'Siti', 'Surabaya');
      const socket = await TestSocket.open(listenerUrl(server, session.sessionToken));
      const hello = await socket.next('connection:success');
      assert.equal(socket.frames[0]?.event, 'connection:success');
      assert.equal(hello['sessionId'], session.sessionId);
      assert.equal(hello['name'], 'Siti');
      assert.equal(hello['city'], 'Surabaya');
      assert.equal(hello['expiresAt'], session.expiresAt);
      assert.equal(typeof hello['connectionId'], 'string');
      await socket.close();
    });

    test('broadcaster connects and gets connection:success with its display name', async () => {
      const socket = await openAdmin();
      const hello = await socket.next('connection:success');
      assert.equal(hello['name'], 'Penyiar A');
      assert.equal(typeof hello['adminId'], 'string');
      assert.equal(typeof hello['connectionId'], 'string');
      await socket.close();
    });

    test('bad tokens are refused with 401 before any WebSocket exists', async () => {
      const session = await createSession(server);
      const [header, payload] = session.sessionToken.split('.');
      const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString());
      const none = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${payload}.`;
      const tampered = `${header}.${Buffer.from(JSON.stringify({ ...claims, name: 'Hacker' })).toString('base64url')}.${session.sessionToken.split('.')[2]}`;
      const forged = await new SignJWT(claims)
        .setProtectedHeader({ alg: 'HS256' })
        .sign(new TextEncoder().encode('another-secret-another-secret-another-secret'));
      const expired = await new SignJWT({ ...claims, exp: Math.floor(Date.now() / 1000) - 60 })
        .setProtectedHeader({ alg: 'HS256' })
        .sign(new TextEncoder().encode(TEST_JWT_SECRET));
      for (const url of [
        `${server.wsUrl}/livechat/ws`,
        listenerUrl(server, 'not-a-jwt'),
        listenerUrl(server, none),
        listenerUrl(server, tampered),
        listenerUrl(server, forged),
        listenerUrl(server, expired),
        `${server.wsUrl}/livechat/admin/ws`,
        adminUrl(server, 'garbage'),
      ]) {
        assert.equal(await upgradeStatus(url), 401, url.replace(/token=.*/, 'token=…'));
      }
    });

    test('a token of the other kind is refused with 401 or 403', async () => {
      const session = await createSession(server);
      assert.ok([401, 403].includes(await upgradeStatus(adminUrl(server, session.sessionToken))));
      assert.ok([401, 403].includes(await upgradeStatus(listenerUrl(server, adminToken))));
      const rest = await json(`${server.baseUrl}/livechat/admin/sessions`, { token: session.sessionToken });
      assert.ok([401, 403].includes(rest.status));
    });

    test('send: ack after storing, message:new to broadcasters, row stored', async () => {
      const admin = await openAdmin();
      await admin.next('connection:success');
      const { session, socket } = await openListener('Rina');
      await socket.next('connection:success');
      socket.send('message:send', { text: '  Putar lagu Dewa 19 ya!  ', clientMessageId: 'c-1' });
      const ack = await socket.next('message:ack');
      assert.equal(ack['clientMessageId'], 'c-1');
      assert.equal(ack['duplicate'], undefined);
      assert.match(String(ack['createdAt']), /^\d{4}-\d\d-\d\dT/);
      const fresh = await admin.next('message:new');
      assert.deepEqual(fresh, {
        messageId: ack['messageId'],
        sessionId: session.sessionId,
        direction: 'listener',
        from: 'Rina',
        text: 'Putar lagu Dewa 19 ya!',
        createdAt: ack['createdAt'],
      });
      const history = await json(`${server.baseUrl}/livechat/admin/sessions/${session.sessionId}/messages`, {
        token: adminToken,
      });
      assert.equal(history.status, 200);
      assert.deepEqual(history.body.messages, [fresh]);
      await socket.close();
      await admin.close();
    });

    test('reply: message:receive from "Penyiar A" to every tab of that session only', async () => {
      const admin = await openAdmin();
      await admin.next('connection:success');
      const { session, socket: tab1 } = await openListener('Andi');
      const tab2 = await TestSocket.open(listenerUrl(server, session.sessionToken));
      const other = await openListener('Lain');
      for (const s of [tab1, tab2, other.socket]) await s.next('connection:success');

      admin.send('message:reply', {
        sessionId: session.sessionId,
        text: 'Siap, diputar setelah ini!',
        clientMessageId: 'r-1',
      });
      const ack = await admin.next('message:ack');
      assert.equal(ack['clientMessageId'], 'r-1');
      for (const tab of [tab1, tab2]) {
        const received = await tab.next('message:receive');
        assert.deepEqual(received, {
          messageId: ack['messageId'],
          from: 'Penyiar A',
          text: 'Siap, diputar setelah ini!',
          createdAt: ack['createdAt'],
        });
      }
      const echoed = await admin.next('message:new');
      assert.equal(echoed['direction'], 'broadcaster');
      assert.equal(echoed['from'], 'Penyiar A');
      assert.deepEqual(await other.socket.collect('message:receive', 200), []);
      assert.equal(other.socket.all('message:new').length + tab1.all('message:new').length, 0);
      for (const s of [tab1, tab2, other.socket, admin]) await s.close();
    });

    test('isolation: a listener never sees another session, typing included', async () => {
      const admin = await openAdmin();
      await admin.next('connection:success');
      const a = await openListener('A');
      const b = await openListener('B');
      await a.socket.next('connection:success');
      await b.socket.next('connection:success');
      a.socket.send('message:send', { text: 'rahasia A' });
      await a.socket.next('message:ack');
      admin.send('user:typing', { sessionId: a.session.sessionId, isTyping: true });
      const typing = await a.socket.next('user:typing');
      assert.deepEqual(typing, { from: 'Penyiar A', isTyping: true });
      admin.send('message:reply', { sessionId: a.session.sessionId, text: 'untuk A' });
      await a.socket.next('message:receive');
      await sleep(150);
      assert.deepEqual(
        b.socket.frames.map((f) => f.event),
        ['connection:success'],
        'B received nothing but its greeting',
      );
      for (const s of [a.socket, b.socket, admin]) await s.close();
    });

    test('listener typing reaches broadcasters and is not stored', async () => {
      const admin = await openAdmin();
      await admin.next('connection:success');
      const { session, socket } = await openListener();
      await socket.next('connection:success');
      socket.send('user:typing', { isTyping: true });
      assert.deepEqual(await admin.next('user:typing'), { sessionId: session.sessionId, isTyping: true });
      socket.send('user:typing', { isTyping: false });
      assert.deepEqual(await admin.next('user:typing'), { sessionId: session.sessionId, isTyping: false });
      const history = await json(`${server.baseUrl}/livechat/admin/sessions/${session.sessionId}/messages`, {
        token: adminToken,
      });
      assert.deepEqual(history.body.messages, []);
      await socket.close();
      await admin.close();
    });

    test('dedup: the same clientMessageId is stored and broadcast once, acked as duplicate', async () => {
      const admin = await openAdmin();
      await admin.next('connection:success');
      const { session, socket } = await openListener();
      const tab2 = await TestSocket.open(listenerUrl(server, session.sessionToken));
      await socket.next('connection:success');
      await tab2.next('connection:success');
      socket.send('message:send', { text: 'sekali saja', clientMessageId: 'dup-1' });
      const first = await socket.next('message:ack');
      tab2.send('message:send', { text: 'sekali saja', clientMessageId: 'dup-1' });
      const second = await tab2.next('message:ack');
      assert.equal(second['messageId'], first['messageId']);
      assert.equal(second['duplicate'], true);
      assert.equal(second['clientMessageId'], 'dup-1');
      await admin.next('message:new');
      assert.deepEqual(await admin.collect('message:new', 200), []);
      const history = await json(`${server.baseUrl}/livechat/admin/sessions/${session.sessionId}/messages`, {
        token: adminToken,
      });
      assert.equal(history.body.messages.length, 1);

      // Broadcaster key space spans sessions: the same id in another session is a duplicate too.
      const other = await createSession(server);
      admin.send('message:reply', { sessionId: session.sessionId, text: 'balasan', clientMessageId: 'adm-dup' });
      const replyAck = await admin.next('message:ack');
      admin.send('message:reply', { sessionId: other.sessionId, text: 'balasan', clientMessageId: 'adm-dup' });
      const replyDup = await admin.next('message:ack');
      assert.equal(replyDup['messageId'], replyAck['messageId']);
      assert.equal(replyDup['duplicate'], true);
      for (const s of [socket, tab2, admin]) await s.close();
    });

    test('cleaning keeps plain text byte-identical and removes markup', async () => {
      const admin = await openAdmin();
      await admin.next('connection:success');
      const { socket } = await openListener();
      await socket.next('connection:success');
      socket.send('message:send', { text: SHEILA });
      await socket.next('message:ack');
      assert.equal((await admin.next('message:new'))['text'], SHEILA);
      socket.send('message:send', {
        text: 'Halo<script>alert(1)</script> <img src=x onerror=alert(1)>kak<!-- x -->\u0007',
      });
      await socket.next('message:ack');
      assert.equal((await admin.next('message:new'))['text'], 'Halo kak');
      socket.send('message:send', { text: 'baris satu\nbaris dua' });
      await socket.next('message:ack');
      assert.equal((await admin.next('message:new'))['text'], 'baris satu\nbaris dua');
      await socket.close();
      await admin.close();
    });

    test('invalid payloads get error:invalid_payload and the connection stays open', async () => {
      const { socket } = await openListener();
      await socket.next('connection:success');
      const cases: [string | Buffer, boolean][] = [
        ['not json', false],
        ['[1,2,3]', false],
        [JSON.stringify({ event: 'message:send' }), false],
        [JSON.stringify({ event: 'message:explode', data: {} }), false],
        [JSON.stringify({ event: 'message:reply', data: { sessionId: 'x', text: 'hi' } }), false],
        [JSON.stringify({ event: 'message:send', data: { text: 42 } }), false],
        [JSON.stringify({ event: 'message:send', data: { text: '   ' } }), false],
        [JSON.stringify({ event: 'message:send', data: { text: '<b></b>' } }), false],
        [JSON.stringify({ event: 'message:send', data: { text: 'x'.repeat(1001) } }), false],
        [JSON.stringify({ event: 'message:send', data: { text: 'hi', clientMessageId: '' } }), false],
        [JSON.stringify({ event: 'message:send', data: { text: 'hi', clientMessageId: 'x'.repeat(65) } }), false],
        ['{"event":"message:send","data":{"text":"hi","__proto__":{"admin":true}}}', false],
        [JSON.stringify({ event: 'user:typing', data: { isTyping: 'yes' } }), false],
        [Buffer.from([1, 2, 3]), true],
      ];
      for (const [raw, binary] of cases) {
        socket.sendRaw(raw, binary);
        const error = await socket.next('error:invalid_payload');
        assert.equal(typeof error['message'], 'string', String(raw));
      }
      socket.send('message:send', { text: 'x'.repeat(1001), clientMessageId: 'long-1' });
      assert.equal((await socket.next('error:invalid_payload'))['clientMessageId'], 'long-1');
      socket.send('message:send', { text: 'x'.repeat(1000), clientMessageId: 'max-1' });
      assert.equal((await socket.next('message:ack'))['clientMessageId'], 'max-1');
      assert.equal(socket.all('message:ack').length, 1, 'only the valid message was stored');
      await socket.close();
    });

    test('broadcaster: unknown sessionId is an invalid payload, nothing stored', async () => {
      const admin = await openAdmin();
      await admin.next('connection:success');
      admin.send('message:reply', {
        sessionId: '00000000-0000-4000-8000-000000000000',
        text: 'halo',
        clientMessageId: 'u-1',
      });
      const error = await admin.next('error:invalid_payload');
      assert.equal(error['clientMessageId'], 'u-1');
      admin.send('user:typing', { sessionId: '00000000-0000-4000-8000-000000000000', isTyping: true });
      await admin.next('error:invalid_payload');
      assert.equal(admin.all('message:ack').length, 0);
      await admin.close();
    });

    test('a frame over 16 KiB closes the connection with 1009', async () => {
      const { socket } = await openListener();
      await socket.next('connection:success');
      socket.send('message:send', { text: 'x'.repeat(17 * 1024) });
      assert.equal((await socket.closed).code, 1009);
    });

    test('replay: broadcaster messages after lastMessageId, in order, right after connection:success', async () => {
      const admin = await openAdmin();
      await admin.next('connection:success');
      const { session, socket } = await openListener();
      await socket.next('connection:success');
      socket.send('message:send', { text: 'pesan pendengar' });
      const own = await socket.next('message:ack');
      const ids: string[] = [];
      for (const text of ['satu', 'dua', 'tiga']) {
        admin.send('message:reply', { sessionId: session.sessionId, text });
        ids.push(String((await admin.next('message:ack'))['messageId']));
      }
      await socket.close();
      const resumed = await TestSocket.open(listenerUrl(server, session.sessionToken, ids[0]));
      await resumed.next('connection:success');
      const replayed = [await resumed.next('message:receive'), await resumed.next('message:receive')];
      assert.deepEqual(
        replayed.map((m) => m['text']),
        ['dua', 'tiga'],
      );
      assert.deepEqual(
        resumed.frames.map((f) => f.event),
        ['connection:success', 'message:receive', 'message:receive'],
      );
      await resumed.close();

      const fromListenerId = await TestSocket.open(listenerUrl(server, session.sessionToken, String(own['messageId'])));
      await fromListenerId.next('connection:success');
      await fromListenerId.collect('message:receive', 200);
      assert.deepEqual(
        fromListenerId.all('message:receive').map((m) => m['text']),
        ['satu', 'dua', 'tiga'],
      );
      await fromListenerId.close();

      const bad = await TestSocket.open(listenerUrl(server, session.sessionToken, "1' OR '1'='1"));
      await bad.next('connection:success');
      await bad.next('error:invalid_payload');
      await bad.close();
      await admin.close();
    });

    test('presence: online at the first tab, offline after the last', async () => {
      const admin = await openAdmin();
      await admin.next('connection:success');
      const session = await createSession(server);
      const tab1 = await TestSocket.open(listenerUrl(server, session.sessionToken));
      const mine = (data: Record<string, unknown>) => data['sessionId'] === session.sessionId;
      assert.deepEqual(await admin.next('presence:update', 5000, mine), { sessionId: session.sessionId, online: true });
      const tab2 = await TestSocket.open(listenerUrl(server, session.sessionToken));
      await tab2.next('connection:success');
      const list = await json(`${server.baseUrl}/livechat/admin/sessions?includeEmpty=true`, { token: adminToken });
      assert.equal(
        list.body.sessions.find((s: { sessionId: string }) => s.sessionId === session.sessionId)?.online,
        true,
      );
      await tab1.close();
      assert.deepEqual((await admin.collect('presence:update', 200)).filter(mine), [], 'still online with one tab');
      await tab2.close();
      assert.deepEqual(await admin.next('presence:update', 5000, mine), {
        sessionId: session.sessionId,
        online: false,
      });
      const after = await json(`${server.baseUrl}/livechat/admin/sessions?includeEmpty=true`, { token: adminToken });
      assert.equal(
        after.body.sessions.find((s: { sessionId: string }) => s.sessionId === session.sessionId)?.online,
        false,
      );
      await admin.close();
    });

    test('a sixth tab of one session is refused with 429', async () => {
      const session = await createSession(server);
      const tabs = [];
      for (let i = 0; i < 5; i++) tabs.push(await TestSocket.open(listenerUrl(server, session.sessionToken)));
      assert.equal(await upgradeStatus(listenerUrl(server, session.sessionToken)), 429);
      await tabs[0]!.close();
      await sleep(50);
      const again = await TestSocket.open(listenerUrl(server, session.sessionToken));
      for (const tab of [...tabs.slice(1), again]) await tab.close();
    });

    test('token expiry while connected: error:invalid_token, then close 4401', async () => {
      const session = await createSession(server);
      const tokens = new TokenService(TEST_JWT_SECRET);
      const short = await tokens.signListener({ sessionId: session.sessionId, name: 'Budi', city: 'Bandung' }, 1);
      const socket = await TestSocket.open(listenerUrl(server, short.token));
      await socket.next('connection:success');
      const error = await socket.next('error:invalid_token', 4000);
      assert.equal(typeof error['message'], 'string');
      assert.equal((await socket.closed).code, 4401);
    });

    test('REST: session creation validates and cleans', async () => {
      for (const body of [
        {},
        { name: '' },
        { name: '   ' },
        { name: 'x'.repeat(51) },
        { name: 'Budi', city: 'x'.repeat(51) },
        { name: 5 },
        'null',
        '{bad json',
      ]) {
        const response = await json(`${server.baseUrl}/livechat/session`, { body });
        assert.equal(response.status, 400, JSON.stringify(body));
        assert.equal(response.body.error, 'invalid_payload');
        assert.equal(typeof response.body.message, 'string');
      }
      const created = await json(`${server.baseUrl}/livechat/session`, { body: { name: '<b>Dewi</b>' } });
      assert.equal(created.status, 201);
      assert.ok(Date.parse(created.body.expiresAt) > Date.now() + 7000 * 1000);
      const socket = await TestSocket.open(listenerUrl(server, created.body.sessionToken));
      const hello = await socket.next('connection:success');
      assert.equal(hello['name'], 'Dewi');
      assert.equal(hello['city'], '');
      await socket.close();
    });

    test('REST: broadcaster reads need a valid broadcaster token', async () => {
      const session = await createSession(server);
      const unknown = '00000000-0000-4000-8000-000000000000';
      assert.equal((await json(`${server.baseUrl}/livechat/admin/sessions`)).status, 401);
      assert.equal((await json(`${server.baseUrl}/livechat/admin/sessions`, { token: 'x.y.z' })).status, 401);
      assert.equal((await json(`${server.baseUrl}/livechat/admin/sessions/${session.sessionId}/messages`)).status, 401);
      const missing = await json(`${server.baseUrl}/livechat/admin/sessions/${unknown}/messages`, {
        token: adminToken,
      });
      assert.equal(missing.status, 404);
      assert.equal(missing.body.error, 'not_found');
      const injected = await json(
        `${server.baseUrl}/livechat/admin/sessions/${encodeURIComponent("x' OR 1=1 --")}/messages`,
        { token: adminToken },
      );
      assert.equal(injected.status, 404);
      const badLimit = await json(`${server.baseUrl}/livechat/admin/sessions/${session.sessionId}/messages?limit=abc`, {
        token: adminToken,
      });
      assert.equal(badLimit.status, 400);
    });

    test('REST: history pages with after and limit, sessions newest first', async () => {
      const older = await createSession(server, 'Lama');
      const { session, socket } = await openListener('Baru');
      await socket.next('connection:success');
      const ids: string[] = [];
      for (const text of ['a', 'b', 'c']) {
        socket.send('message:send', { text });
        ids.push(String((await socket.next('message:ack'))['messageId']));
      }
      const page = await json(
        `${server.baseUrl}/livechat/admin/sessions/${session.sessionId}/messages?after=${ids[0]}&limit=1`,
        { token: adminToken },
      );
      assert.deepEqual(
        page.body.messages.map((m: { text: string }) => m.text),
        ['b'],
      );
      const list = await json(`${server.baseUrl}/livechat/admin/sessions?includeEmpty=true`, { token: adminToken });
      const order = list.body.sessions.map((s: { sessionId: string }) => s.sessionId);
      assert.equal(order[0], session.sessionId, 'the session with the newest message comes first');
      assert.ok(order.indexOf(older.sessionId) > 0);
      const talked = await json(`${server.baseUrl}/livechat/admin/sessions`, { token: adminToken });
      const talkedIds = talked.body.sessions.map((s: { sessionId: string }) => s.sessionId);
      assert.equal(talkedIds[0], session.sessionId);
      assert.ok(!talkedIds.includes(older.sessionId), 'v1.1: sessions without messages only with includeEmpty=true');
      assert.equal(typeof list.body.sessions[0].lastMessageAt, 'string');
      await socket.close();
    });

    test('REST: login refuses wrong credentials', async () => {
      const wrong = await json(`${server.baseUrl}/livechat/admin/login`, {
        body: { username: server.admin.username, password: 'salah-sekali' },
      });
      assert.equal(wrong.status, 401);
      assert.equal(wrong.body.error, 'invalid_credentials');
      const nobody = await json(`${server.baseUrl}/livechat/admin/login`, {
        body: { username: 'tidak-ada', password: 'salah-sekali' },
      });
      assert.equal(nobody.status, 401);
      assert.equal((await json(`${server.baseUrl}/livechat/admin/login`, { body: { username: 'x' } })).status, 400);
    });

    test('operations: healthz, readyz, metrics', async () => {
      assert.equal((await json(`${server.baseUrl}/healthz`)).status, 200);
      const ready = await json(`${server.baseUrl}/readyz`);
      assert.equal(ready.status, 200);
      assert.equal(ready.body.checks.database, 'ok');
      if (broker === 'redis') assert.equal(ready.body.checks.redis, 'ok');
      const metrics = await json(`${server.baseUrl}/metrics`);
      assert.equal(metrics.status, 200);
      assert.match(metrics.body, /livechat_messages_stored_total/);
    });

    test('restart keeps sessions, messages and accounts', async () => {
      const { session, socket } = await openListener('Tetap');
      await socket.next('connection:success');
      socket.send('message:send', { text: 'sebelum restart' });
      await socket.next('message:ack');
      await server.restart();
      assert.equal((await socket.closed).code, 1001);
      const token = await loginAdmin(server);
      const history = await json(`${server.baseUrl}/livechat/admin/sessions/${session.sessionId}/messages`, { token });
      assert.deepEqual(
        history.body.messages.map((m: { text: string }) => m.text),
        ['sebelum restart'],
      );
      const again = await TestSocket.open(listenerUrl(server, session.sessionToken));
      await again.next('connection:success');
      await again.close();
      adminToken = token;
    });
  });
}
