/**
 * PostgreSQL faults, through a fault proxy in front of the shared server (which
 * is never stopped): stopped (connections reset and refused), restarted under
 * pipelined traffic, and partitioned (a black hole: no answer at all).
 * Sends are answered `error:unavailable` and never acknowledged while the
 * database is gone, and accepted again — each stored once — when it is back.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { FaultProxy } from '../helpers/fault-proxy.js';
import { createTestDatabase, type TestDatabase } from '../helpers/databases.js';
import {
  TestSocket,
  adminUrl,
  createSession,
  json,
  listenerUrl,
  loginAdmin,
  upgradeStatus,
} from '../helpers/clients.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { readRows } from './lib/checker.js';
import { report } from './lib/report.js';
import { sleep } from '../helpers/wait.js';

/** Waits for the first of these events whose clientMessageId matches. */
async function answer(
  socket: TestSocket,
  clientMessageId: string,
  timeoutMs = 20_000,
): Promise<{ event: string; data: Record<string, unknown> }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const frame = socket.frames.find((f) => f.data['clientMessageId'] === clientMessageId && !answered.has(f));
    if (frame) {
      answered.add(frame);
      return frame;
    }
    if (Date.now() > deadline)
      throw new Error(`no answer for ${clientMessageId}; got ${JSON.stringify(socket.frames.map((f) => f.event))}`);
    await sleep(10);
  }
}
const answered = new WeakSet<object>();

describe('PostgreSQL faults', () => {
  let database: TestDatabase;
  let proxy: FaultProxy;
  let server: TestServer;
  let adminToken: string;

  before(async () => {
    database = await createTestDatabase('postgres');
    proxy = await FaultProxy.forUrl(database.url);
    server = await startTestServer({
      databaseUrl: proxy.url(database.url),
      env: { LIVECHAT_RATE_LIMIT_MESSAGES: '1000', LIVECHAT_ADMIN_RATE_LIMIT_MESSAGES: '1000' },
    });
    adminToken = await loginAdmin(server);
  });
  after(async () => {
    proxy?.restore();
    await server?.stop();
    await proxy?.close();
    await database?.drop();
  });

  const rowsOf = async (sessionId: string) => (await readRows(database.url)).filter((r) => r.sessionId === sessionId);

  test('stopped: sends answered error:unavailable, never acknowledged, accepted again after it returns', async (t) => {
    const admin = await TestSocket.open(adminUrl(server, adminToken));
    await admin.next('connection:success');
    const session = await createSession(server);
    const listener = await TestSocket.open(listenerUrl(server, session.sessionToken));
    await listener.next('connection:success');
    listener.send('message:send', { text: 'sebelum', clientMessageId: 'before' });
    assert.equal((await answer(listener, 'before')).event, 'message:ack');

    proxy.cut();
    const ids = ['s-0', 's-1', 's-2', 's-3', 's-4'];
    let unavailable = 0;
    for (const id of ids) {
      listener.send('message:send', { text: `saat mati ${id}`, clientMessageId: id });
      const reply = await answer(listener, id);
      assert.equal(reply.event, 'error:unavailable', id);
      unavailable += 1;
    }
    admin.send('message:reply', { sessionId: session.sessionId, text: 'balasan saat mati', clientMessageId: 'r-down' });
    assert.equal((await answer(admin, 'r-down')).event, 'error:unavailable');
    unavailable += 1;

    // Everything else that needs the database says so; the process itself is fine.
    assert.equal(await upgradeStatus(listenerUrl(server, session.sessionToken)), 503);
    const created = await json(`${server.baseUrl}/livechat/session`, { body: { name: 'Baru' } });
    assert.equal(created.status, 503);
    assert.equal(created.body.error, 'unavailable');
    const list = await json(`${server.baseUrl}/livechat/admin/sessions`, { token: adminToken });
    assert.equal(list.status, 503);
    const ready = await json(`${server.baseUrl}/readyz`);
    assert.equal(ready.status, 503);
    assert.deepEqual(ready.body.failed, ['database']);
    assert.equal((await json(`${server.baseUrl}/healthz`)).status, 200);
    assert.equal(listener.all('message:ack').length, 1, 'nothing acknowledged while the database was down');
    assert.equal(admin.all('message:new').length, 1, 'nothing published while the database was down');

    proxy.restore();
    for (const id of ids) {
      listener.send('message:send', { text: `saat mati ${id}`, clientMessageId: id });
      const reply = await answer(listener, id);
      assert.equal(reply.event, 'message:ack', id);
      assert.equal(reply.data['duplicate'], undefined, `${id} was not stored before`);
    }
    admin.send('message:reply', { sessionId: session.sessionId, text: 'balasan saat mati', clientMessageId: 'r-down' });
    assert.equal((await answer(admin, 'r-down')).event, 'message:ack');
    assert.equal((await listener.next('message:receive'))['text'], 'balasan saat mati');
    assert.equal(await upgradeStatus(listenerUrl(server, session.sessionToken)), 101);
    assert.equal((await json(`${server.baseUrl}/readyz`)).status, 200);

    const rows = await rowsOf(session.sessionId);
    assert.deepEqual(
      rows.map((r) => r.clientMessageId),
      ['before', ...ids, 'r-down'],
      'each stored once, in order',
    );
    report(
      t,
      'PostgreSQL stopped (connections reset and refused)',
      'error:unavailable while down; 503 on upgrades and REST; all accepted after',
      {
        sent: 7,
        unavailable,
        acknowledged: 7,
        stored: rows.length,
        duplicated: 0,
        lost: 0,
      },
    );
    await listener.close();
    await admin.close();
  });

  test('restarted under pipelined traffic: every message answered once, each stored once after resending', async (t) => {
    const session = await createSession(server);
    const listener = await TestSocket.open(listenerUrl(server, session.sessionToken));
    await listener.next('connection:success');
    const ids = Array.from({ length: 60 }, (_, i) => `p-${i}`);
    const outcome = new Map<string, string>();
    // Sixty frames at once; the database restarts twice while they are handled.
    for (const id of ids) listener.send('message:send', { text: `pipa ${id}`, clientMessageId: id });
    for (const cut of [10, 35]) {
      await answer(listener, ids[cut]!).then((f) => outcome.set(ids[cut]!, f.event));
      proxy.cut();
      await sleep(150);
      proxy.restore();
    }
    for (const id of ids) if (!outcome.has(id)) outcome.set(id, (await answer(listener, id)).event);
    const frames = listener.frames.filter((f) => typeof f.data['clientMessageId'] === 'string');
    assert.equal(frames.length, ids.length, 'exactly one answer per message');
    const acked = ids.filter((id) => outcome.get(id) === 'message:ack');
    const refused = ids.filter((id) => outcome.get(id) === 'error:unavailable');
    assert.equal(acked.length + refused.length, ids.length);
    assert.ok(refused.length > 0, 'the restarts were felt');

    const storedBefore = new Set((await rowsOf(session.sessionId)).map((r) => r.clientMessageId));
    for (const id of acked) assert.ok(storedBefore.has(id), `acknowledged ${id} is stored`);
    // An error:unavailable may hide a commit whose answer was lost: resending makes it a duplicate ack.
    let duplicates = 0;
    for (const id of refused) {
      listener.send('message:send', { text: `pipa ${id}`, clientMessageId: id });
      const reply = await answer(listener, id);
      assert.equal(reply.event, 'message:ack');
      if (reply.data['duplicate'] === true) duplicates += 1;
    }
    const rows = await rowsOf(session.sessionId);
    assert.equal(rows.length, ids.length, 'each message stored exactly once');
    assert.equal(new Set(rows.map((r) => r.clientMessageId)).size, ids.length);
    const ackIds = listener
      .all('message:ack')
      .filter((a) => a['duplicate'] !== true)
      .map((a) => BigInt(String(a['messageId'])));
    assert.deepEqual(
      [...ackIds].sort((a, b) => (a < b ? -1 : 1)),
      ackIds,
      'acks in stored order',
    );
    report(
      t,
      'PostgreSQL restarted twice under 60 pipelined sends',
      'each message answered once; refused ones resent and stored once',
      {
        sent: ids.length,
        acknowledged: ids.length,
        unavailable: refused.length,
        duplicateAcksOnResend: duplicates,
        stored: rows.length,
        duplicated: 0,
        lost: 0,
      },
    );
    await listener.close();
  });

  test('partitioned (no answer at all): sends answered error:unavailable in bounded time, accepted after it heals', async (t) => {
    const session = await createSession(server);
    const listener = await TestSocket.open(listenerUrl(server, session.sessionToken));
    await listener.next('connection:success');
    listener.send('message:send', { text: 'sebelum', clientMessageId: 'q-before' });
    assert.equal((await answer(listener, 'q-before')).event, 'message:ack');

    proxy.pause();
    const started = Date.now();
    listener.send('message:send', { text: 'saat terputus', clientMessageId: 'q-1' });
    const upgrade = upgradeStatus(listenerUrl(server, session.sessionToken)).then((status) => [
      status,
      Date.now() - started,
    ]);
    const history = json(`${server.baseUrl}/livechat/admin/sessions`, { token: adminToken }).then((r) => [
      r.status,
      Date.now() - started,
    ]);
    const healthStarted = Date.now();
    const health = await json(`${server.baseUrl}/healthz`);
    const healthMs = Date.now() - healthStarted;
    const during = await answer(listener, 'q-1', 30_000);
    const waited = Date.now() - started;
    const [upgraded, upgradeMs] = await upgrade;
    const [listed, listMs] = await history;
    proxy.resume();
    assert.equal(during.event, 'error:unavailable', 'a partition is answered like a stopped database');
    assert.ok(waited < 15_000, `answered within the query deadline (${waited} ms)`);
    assert.equal(health.status, 200, 'the process kept answering meanwhile');
    assert.ok(healthMs < 1000, `healthz answered at once (${healthMs} ms)`);
    assert.equal(upgraded, 503, 'an upgrade during the partition is refused with 503');
    assert.ok(upgradeMs! < 15_000, `in bounded time (${upgradeMs} ms)`);
    assert.equal(listed, 503, 'the admin REST answers 503');
    assert.ok(listMs! < 15_000, `in bounded time (${listMs} ms)`);

    listener.send('message:send', { text: 'saat terputus', clientMessageId: 'q-1' });
    assert.equal((await answer(listener, 'q-1')).event, 'message:ack');
    const rows = await rowsOf(session.sessionId);
    assert.deepEqual(
      rows.map((r) => r.clientMessageId),
      ['q-before', 'q-1'],
    );
    report(t, 'PostgreSQL partitioned (black hole)', `error:unavailable after ${waited} ms; accepted after it healed`, {
      sent: 2,
      acknowledged: 2,
      unavailable: 1,
      stored: rows.length,
      duplicated: 0,
      lost: 0,
    });
    await listener.close();
  });
});
