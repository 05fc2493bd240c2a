/**
 * Contract v1.1 C over every database × broker: logout, roles, mute, ban,
 * hide, the word filter and retention; and across two instances: ban, logout
 * and hide reach the other instance.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { deleteOlderThan } from '../../src/moderation/retention.js';
import {
  adminUrl,
  connectListener,
  createSession,
  json,
  listenerUrl,
  loginAdmin,
  TestSocket,
  upgradeStatus,
} from '../helpers/clients.js';
import { matrix, type TestServer } from '../helpers/server.js';
import { sleep, waitFor } from '../helpers/wait.js';
import { withInstances, withServer } from '../helpers/with-server.js';

const HELD_WORD = 'jelekbanget';

async function openAdmin(server: TestServer, token: string): Promise<TestSocket> {
  const socket = await TestSocket.open(adminUrl(server, token));
  await socket.next('connection:success');
  return socket;
}

async function send(socket: TestSocket, text: string, clientMessageId: string): Promise<Record<string, unknown>> {
  socket.send('message:send', { text, clientMessageId });
  return socket.next('message:ack', 5000, (data) => data['clientMessageId'] === clientMessageId);
}

async function listing(server: TestServer, token: string, sessionId: string, includeHidden = false) {
  const query = includeHidden ? '?includeHidden=true' : '';
  const { status, body } = await json(`${server.baseUrl}/livechat/admin/sessions/${sessionId}/messages${query}`, {
    token,
  });
  assert.equal(status, 200);
  return body.messages as Array<Record<string, unknown>>;
}

async function block(server: TestServer, token: string, sessionId: string, body: Record<string, unknown>) {
  return json(`${server.baseUrl}/livechat/admin/sessions/${sessionId}/block`, { token, body });
}

/** Logs in as a new account of `role` made by the manager `token`. */
async function newAccount(server: TestServer, token: string, username: string, role: 'penyiar' | 'manager') {
  const password = `kata-sandi-${username}`;
  const created = await json(`${server.baseUrl}/livechat/admin/accounts`, {
    token,
    body: { username, name: `Akun ${username}`, password, role },
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const login = await json(`${server.baseUrl}/livechat/admin/login`, { body: { username, password } });
  assert.equal(login.status, 200);
  assert.equal(login.body.role, role);
  return { adminId: created.body.adminId as string, token: login.body.token as string, password };
}

for (const { dialect, broker } of matrix()) {
  describe(`moderation on ${dialect} with the ${broker} broker`, () => {
    const server = withServer({ dialect, broker, env: { LIVECHAT_BLOCKED_WORDS: HELD_WORD } });

    test('logout: the token gets REST 401, upgrade 401, and its open socket error:invalid_token then 4401', async () => {
      const token = await loginAdmin(server);
      const other = await loginAdmin(server);
      const socket = await openAdmin(server, token);
      assert.equal((await json(`${server.baseUrl}/livechat/admin/sessions`, { token })).status, 200);

      assert.equal((await json(`${server.baseUrl}/livechat/admin/logout`, { token, method: 'POST' })).status, 204);
      await socket.next('error:invalid_token');
      assert.equal((await socket.closed).code, 4401);
      assert.equal((await json(`${server.baseUrl}/livechat/admin/sessions`, { token })).status, 401);
      assert.equal(await upgradeStatus(adminUrl(server, token)), 401);
      // Another token of the same account is not affected.
      assert.equal((await json(`${server.baseUrl}/livechat/admin/sessions`, { token: other })).status, 200);
    });

    test('roles: a penyiar gets 403 on manager routes; disabling ends its tokens and sockets', async () => {
      const manager = await loginAdmin(server);
      const connected = await openAdmin(server, manager);
      assert.equal(connected.frames[0]!.data['role'], 'manager');
      const penyiar = await newAccount(server, manager, `penyiar-${dialect}-${broker}`, 'penyiar');
      for (const [method, path] of [
        ['GET', '/livechat/admin/accounts'],
        ['POST', '/livechat/admin/accounts'],
        ['PATCH', `/livechat/admin/accounts/${penyiar.adminId}`],
        ['GET', '/livechat/admin/audit'],
      ] as const) {
        const body = method === 'GET' ? undefined : { name: 'X', username: 'x', password: 'panjang-sekali' };
        const answer = await json(`${server.baseUrl}${path}`, { method, token: penyiar.token, body });
        assert.equal(answer.status, 403, `${method} ${path}`);
        assert.equal(answer.body.error, 'manager_only');
      }
      const socket = await openAdmin(server, penyiar.token);
      assert.equal(socket.frames[0]!.data['role'], 'penyiar');

      const disabled = await json(`${server.baseUrl}/livechat/admin/accounts/${penyiar.adminId}`, {
        method: 'PATCH',
        token: manager,
        body: { disabled: true },
      });
      assert.equal(disabled.status, 200);
      assert.equal(disabled.body.disabled, true);
      await socket.next('error:invalid_token');
      assert.equal((await socket.closed).code, 4401);
      assert.equal((await json(`${server.baseUrl}/livechat/admin/sessions`, { token: penyiar.token })).status, 401);
      const login = await json(`${server.baseUrl}/livechat/admin/login`, {
        body: { username: `penyiar-${dialect}-${broker}`, password: penyiar.password },
      });
      assert.equal(login.status, 403);
      assert.equal(login.body.error, 'account_disabled');

      const accounts = await json(`${server.baseUrl}/livechat/admin/accounts`, { token: manager });
      assert.ok(accounts.body.accounts.some((a: { adminId: string }) => a.adminId === penyiar.adminId));
      const audit = await json(`${server.baseUrl}/livechat/admin/audit?limit=10`, { token: manager });
      const actions = audit.body.entries.map((e: { action: string; target: string }) => `${e.action} ${e.target}`);
      assert.ok(actions.includes(`account.create ${penyiar.adminId}`), actions.join(', '));
      assert.ok(actions.includes(`account.update ${penyiar.adminId}`), actions.join(', '));
      await connected.close();
    });

    test('mute: the listener still gets acks, no broadcaster gets message:new, listings omit it unless asked', async () => {
      const token = await loginAdmin(server);
      const admin = await openAdmin(server, token);
      const { session, socket } = await connectListener(server, 'Spammer');
      const muted = await block(server, token, session.sessionId, { mode: 'mute', minutes: 30, reason: 'spam' });
      assert.equal(muted.status, 200);
      assert.equal(muted.body.mode, 'mute');
      assert.ok(Date.parse(muted.body.until) > Date.now());
      const moderated = await admin.next('session:moderated');
      assert.deepEqual(
        [moderated['sessionId'], moderated['mode'], moderated['by']],
        [session.sessionId, 'mute', 'Penyiar A'],
      );

      const ack = await send(socket, 'beli followers murah', 'm1');
      assert.equal(ack['text'], 'beli followers murah');
      // A message of another session arrives; the muted one never does.
      const { socket: other } = await connectListener(server, 'Sari');
      const visible = await send(other, 'halo studio', 'o1');
      await admin.next('message:new', 5000, (m) => m['messageId'] === visible['messageId']);
      assert.equal(admin.all('message:new').filter((m) => m['messageId'] === ack['messageId']).length, 0);

      assert.deepEqual(await listing(server, token, session.sessionId), []);
      // The listener's own history shows it, unmarked: a shadow mute shows nothing to its listener.
      const own = await json(`${server.baseUrl}/livechat/session/messages`, { token: session.sessionToken });
      assert.deepEqual(
        own.body.messages.map((m: Record<string, unknown>) => [m['messageId'], m['hidden']]),
        [[ack['messageId'], undefined]],
      );
      const hidden = await listing(server, token, session.sessionId, true);
      assert.deepEqual(
        hidden.map((m) => [m['messageId'], m['hidden'], m['reason']]),
        [[ack['messageId'], true, 'mute']],
      );
      const sessions = await json(`${server.baseUrl}/livechat/admin/sessions?includeEmpty=true`, { token });
      const listed = sessions.body.sessions.find((s: { sessionId: string }) => s.sessionId === session.sessionId);
      assert.equal(listed.blocked.mode, 'mute');

      assert.equal(
        (
          await json(`${server.baseUrl}/livechat/admin/sessions/${session.sessionId}/block`, {
            token,
            method: 'DELETE',
          })
        ).status,
        204,
      );
      assert.equal((await admin.next('session:moderated'))['mode'], null);
      const after = await send(socket, 'maaf ya', 'm2');
      await admin.next('message:new', 5000, (m) => m['messageId'] === after['messageId']);
      await Promise.all([socket.close(), other.close(), admin.close()]);
    });

    test('ban: error:banned and 4403, 403 at upgrade and for the device, and it holds across a restart', async () => {
      const deviceId = `device-${dialect}-${broker}-0123456789`;
      const token = await loginAdmin(server);
      const created = await json(`${server.baseUrl}/livechat/session`, { body: { name: 'Troll', deviceId } });
      assert.equal(created.status, 201);
      const session = created.body as { sessionId: string; sessionToken: string };
      const socket = await TestSocket.open(listenerUrl(server, session.sessionToken));
      await socket.next('connection:success');
      // A second session from the same device, open before the ban, is closed with it.
      const sibling = await json(`${server.baseUrl}/livechat/session`, { body: { name: 'Troll B', deviceId } });
      const siblingSocket = await TestSocket.open(listenerUrl(server, sibling.body.sessionToken));
      await siblingSocket.next('connection:success');

      const banned = await block(server, token, session.sessionId, { mode: 'ban', reason: 'kasar' });
      assert.equal(banned.status, 200);
      assert.equal(banned.body.until, null);
      assert.equal((await socket.next('error:banned'))['until'], null);
      assert.equal((await socket.closed).code, 4403);
      await siblingSocket.next('error:banned');
      assert.equal((await siblingSocket.closed).code, 4403);
      assert.equal(await upgradeStatus(listenerUrl(server, sibling.body.sessionToken)), 403);
      assert.equal(await upgradeStatus(listenerUrl(server, session.sessionToken)), 403);
      const again = await json(`${server.baseUrl}/livechat/session`, { body: { name: 'Troll 2', deviceId } });
      assert.deepEqual([again.status, again.body.error], [403, 'banned']);
      // Another device is not affected.
      assert.equal((await json(`${server.baseUrl}/livechat/session`, { body: { name: 'Tamu' } })).status, 201);

      await server.restart();
      assert.equal(await upgradeStatus(listenerUrl(server, session.sessionToken)), 403);
      const afterRestart = await json(`${server.baseUrl}/livechat/session`, { body: { name: 'Troll 3', deviceId } });
      assert.equal(afterRestart.status, 403);

      const fresh = await loginAdmin(server);
      const lifted = await json(`${server.baseUrl}/livechat/admin/sessions/${session.sessionId}/block`, {
        token: fresh,
        method: 'DELETE',
      });
      assert.equal(lifted.status, 204);
      assert.equal(await upgradeStatus(listenerUrl(server, session.sessionToken)), 101);
      assert.equal(
        (await json(`${server.baseUrl}/livechat/session`, { body: { name: 'Tamu', deviceId } })).status,
        201,
      );
    });

    test('a mute follows the device to a new session; a ban with includeIp refuses the address', async () => {
      const token = await loginAdmin(server);
      const admin = await openAdmin(server, token);
      const deviceId = `muted-${dialect}-${broker}-0123456789`;
      const first = await json(`${server.baseUrl}/livechat/session`, { body: { name: 'Ulang', deviceId } });
      assert.equal((await block(server, token, first.body.sessionId, { mode: 'mute' })).status, 200);
      const second = await json(`${server.baseUrl}/livechat/session`, { body: { name: 'Ulang Lagi', deviceId } });
      assert.equal(second.status, 201);
      const socket = await TestSocket.open(listenerUrl(server, second.body.sessionToken));
      await socket.next('connection:success');
      const ack = await send(socket, 'masih di sini', 'd1');
      assert.deepEqual(await listing(server, token, second.body.sessionId), []);
      assert.equal(admin.all('message:new').filter((m) => m['messageId'] === ack['messageId']).length, 0);
      await socket.close();

      // Every test client comes from 127.0.0.1: the address ban is lifted whatever happens.
      const target = await createSession(server, 'Alamat');
      try {
        const banned = await block(server, token, target.sessionId, { mode: 'ban', minutes: 1, includeIp: true });
        assert.equal(banned.status, 200);
        const refused = await json(`${server.baseUrl}/livechat/session`, { body: { name: 'Lain' } });
        assert.deepEqual([refused.status, refused.body.error], [403, 'banned']);
      } finally {
        await json(`${server.baseUrl}/livechat/admin/sessions/${target.sessionId}/block`, { token, method: 'DELETE' });
      }
      assert.equal((await json(`${server.baseUrl}/livechat/session`, { body: { name: 'Lain' } })).status, 201);
      await admin.close();
    });

    test('hide and unhide: message:hidden, listings leave it out unless includeHidden', async () => {
      const token = await loginAdmin(server);
      const admin = await openAdmin(server, token);
      const { session, socket } = await connectListener(server, 'Dina');
      const ack = await send(socket, 'nomor hp saya 0812', 'h1');
      const messageId = ack['messageId'] as string;

      const hidden = await json(`${server.baseUrl}/livechat/admin/messages/${messageId}/hide`, {
        token,
        method: 'POST',
      });
      assert.equal(hidden.status, 200);
      assert.deepEqual(await admin.next('message:hidden'), {
        messageId,
        sessionId: session.sessionId,
        hidden: true,
        by: 'Penyiar A',
      });
      assert.deepEqual(await listing(server, token, session.sessionId), []);
      assert.equal((await listing(server, token, session.sessionId, true))[0]!['reason'], 'moderator');

      const shown = await json(`${server.baseUrl}/livechat/admin/messages/${messageId}/hide`, {
        token,
        method: 'DELETE',
      });
      assert.equal(shown.status, 204);
      assert.equal((await admin.next('message:hidden'))['hidden'], false);
      assert.deepEqual(
        (await listing(server, token, session.sessionId)).map((m) => m['messageId']),
        [messageId],
      );
      const missing = await json(`${server.baseUrl}/livechat/admin/messages/999999999/hide`, { token, method: 'POST' });
      assert.equal(missing.status, 404);
      await Promise.all([socket.close(), admin.close()]);
    });

    test('word filter: a listed word is held for review; markup-like text passes untouched', async () => {
      const token = await loginAdmin(server);
      const admin = await openAdmin(server, token);
      const { session, socket } = await connectListener(server, 'Eko');
      const plain = 'Aku <3 lagu ini & "Sheila on 7"';
      const ok = await send(socket, plain, 'f1');
      const okNew = await admin.next('message:new', 5000, (m) => m['messageId'] === ok['messageId']);
      assert.equal(okNew['text'], plain);
      assert.equal(okNew['hidden'], undefined);

      for (const [text, id] of [
        [`lagunya ${HELD_WORD.toUpperCase()}!`, 'f2'],
        ['dasar k0nt0l', 'f3'],
      ] as const) {
        const held = await send(socket, text, id);
        assert.equal(held['text'], text);
        const heldNew = await admin.next('message:new', 5000, (m) => m['messageId'] === held['messageId']);
        assert.deepEqual([heldNew['hidden'], heldNew['reason']], [true, 'filter']);
      }
      assert.deepEqual(
        (await listing(server, token, session.sessionId)).map((m) => m['text']),
        [plain],
      );
      assert.equal((await listing(server, token, session.sessionId, true)).length, 3);
      await Promise.all([socket.close(), admin.close()]);
    });

    test('a manager erases a session: nothing of it is left, its ban keeps the device', async () => {
      const manager = await loginAdmin(server);
      const admin = await openAdmin(server, manager);
      const deviceId = `erased-${dialect}-${broker}-0123456789`;
      const created = await json(`${server.baseUrl}/livechat/session`, { body: { name: 'Hapus', deviceId } });
      const sessionId = created.body.sessionId as string;
      const socket = await TestSocket.open(listenerUrl(server, created.body.sessionToken));
      await socket.next('connection:success');
      await send(socket, 'tolong hapus data saya', 'e1');
      assert.equal((await block(server, manager, sessionId, { mode: 'ban' })).status, 200);
      await socket.closed;

      const penyiar = await newAccount(server, manager, `eraser-${dialect}-${broker}`, 'penyiar');
      const path = `${server.baseUrl}/livechat/admin/sessions/${sessionId}`;
      assert.equal((await json(path, { token: penyiar.token, method: 'DELETE' })).status, 403);
      assert.equal((await json(path, { token: manager, method: 'DELETE' })).status, 204);
      assert.deepEqual(await admin.next('session:erased'), { sessionId });
      assert.equal((await json(path, { token: manager, method: 'DELETE' })).status, 404);

      const { store } = server.server;
      assert.equal(await store.sessions.get(sessionId), undefined);
      assert.deepEqual(await store.messages.listAfter(sessionId, { limit: 10 }), []);
      assert.equal(await store.moderation.clientOf(sessionId), undefined);
      const blocks = await store.moderation.activeBlocks(new Date());
      assert.ok(!blocks.some((b) => b.sessionId === sessionId));
      assert.ok(blocks.some((b) => b.deviceId === deviceId && b.mode === 'ban'));
      const audit = await json(`${server.baseUrl}/livechat/admin/audit?limit=5`, { token: manager });
      assert.ok(audit.body.entries.some((e: { action: string }) => e.action === 'session.erase'));
      await admin.close();
    });

    test('retention deletes exactly what is older than the cutoff', async () => {
      const { store } = server.server;
      const old = await connectListener(server, 'Lama');
      await send(old.socket, 'pesan lama', 'r1');
      const mixed = await connectListener(server, 'Campur');
      const oldOfMixed = await send(mixed.socket, 'pesan lama juga', 'r2');
      await sleep(20);
      const cutoff = new Date();
      await sleep(20);
      const newOfMixed = await send(mixed.socket, 'pesan baru', 'r3');
      await Promise.all([old.socket.close(), mixed.socket.close()]);

      // The old session's token is still valid: as the cutoff, expiry also counts; move it past both.
      const beyond = new Date(Math.max(cutoff.getTime(), Date.parse(old.session.expiresAt) + 1));
      const deleted = await deleteOlderThan(store, cutoff, { batchSize: 1 });
      assert.ok(deleted >= 2, `deleted ${deleted}`);
      const kept = await store.messages.listAfter(mixed.session.sessionId, { limit: 10 });
      assert.deepEqual(
        kept.map((m) => m.messageId),
        [newOfMixed['messageId']],
      );
      assert.notEqual(oldOfMixed['messageId'], newOfMixed['messageId']);
      assert.ok(await store.sessions.get(old.session.sessionId), 'an unexpired session stays');
      await deleteOlderThan(store, beyond, { batchSize: 1 });
      assert.equal(await store.sessions.get(old.session.sessionId), undefined);
      assert.deepEqual(await store.messages.listAfter(old.session.sessionId, { limit: 10 }), []);
    });
  });
}

describe('moderation across two instances', () => {
  const [a, b] = withInstances(2);

  test('a ban on one instance closes the socket on the other and refuses its upgrade there within 1 s', async () => {
    const token = await loginAdmin(a!);
    const { session, socket } = await connectListener(b!, 'Jauh');
    const started = Date.now();
    assert.equal((await block(a!, token, session.sessionId, { mode: 'ban', minutes: 5 })).status, 200);
    assert.ok((await socket.next('error:banned'))['until']);
    assert.equal((await socket.closed).code, 4403);
    assert.ok(Date.now() - started < 1000, `took ${Date.now() - started} ms`);
    assert.equal(await upgradeStatus(listenerUrl(b!, session.sessionToken)), 403);
  });

  test('hide and unhide reach the dashboards on both instances', async () => {
    const token = await loginAdmin(a!);
    const onA = await openAdmin(a!, token);
    const onB = await openAdmin(b!, await loginAdmin(b!));
    const { socket } = await connectListener(b!, 'Rudi');
    const ack = await send(socket, 'halo', 'x1');
    await json(`${a!.baseUrl}/livechat/admin/messages/${ack['messageId']}/hide`, { token, method: 'POST' });
    for (const dashboard of [onA, onB]) assert.equal((await dashboard.next('message:hidden'))['hidden'], true);
    await json(`${a!.baseUrl}/livechat/admin/messages/${ack['messageId']}/hide`, { token, method: 'DELETE' });
    for (const dashboard of [onA, onB]) assert.equal((await dashboard.next('message:hidden'))['hidden'], false);
    await Promise.all([onA.close(), onB.close(), socket.close()]);
  });

  test('logout on one instance ends the token on the other (REST, upgrade and open socket)', async () => {
    const token = await loginAdmin(a!);
    const socket = await openAdmin(b!, token);
    assert.equal((await json(`${a!.baseUrl}/livechat/admin/logout`, { token, method: 'POST' })).status, 204);
    await socket.next('error:invalid_token');
    assert.equal((await socket.closed).code, 4401);
    await waitFor(async () => (await json(`${b!.baseUrl}/livechat/admin/sessions`, { token })).status === 401, {
      message: 'the other instance refusing the token',
      timeoutMs: 1000,
    });
    assert.equal(await upgradeStatus(adminUrl(b!, token)), 401);
  });
});
