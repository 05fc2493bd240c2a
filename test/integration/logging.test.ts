/**
 * Logs never hold secrets: with every line captured at the most verbose
 * level, tokens (also from refused upgrades and query strings), passwords and
 * message texts do not appear, while connects, refusals (with reason) and
 * disconnects (with code and duration) do.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  TestSocket,
  adminUrl,
  createSession,
  json,
  listenerUrl,
  loginAdmin,
  upgradeStatus,
} from '../helpers/clients.js';
import { captureLogs, withServer } from '../helpers/with-server.js';
import { sleep } from '../helpers/wait.js';

describe('logging', () => {
  const { lines, logger } = captureLogs();
  const server = withServer({ logger });

  test('tokens, passwords and message texts never reach the log', async () => {
    const secretText = 'pesan-rahasia-yang-tidak-boleh-tercatat';
    const adminToken = await loginAdmin(server);
    const wrongPassword = 'kata-sandi-salah-tercatat?';
    await json(`${server.baseUrl}/livechat/admin/login`, {
      body: { username: server.admin.username, password: wrongPassword },
    });
    const session = await createSession(server);

    const listener = await TestSocket.open(listenerUrl(server, session.sessionToken));
    await listener.next('connection:success');
    listener.send('message:send', { text: secretText });
    await listener.next('message:ack');
    const admin = await TestSocket.open(adminUrl(server, adminToken));
    await admin.next('connection:success');

    // Refused upgrades carrying tokens: wrong kind, tampered, garbage.
    assert.notEqual(await upgradeStatus(adminUrl(server, session.sessionToken)), 101);
    assert.equal(await upgradeStatus(listenerUrl(server, `${session.sessionToken}x`)), 401);
    const garbage = 'eyJhbGciOiJub25lIn0.garbage-token-value.';
    assert.equal(await upgradeStatus(listenerUrl(server, garbage)), 401);
    await json(`${server.baseUrl}/livechat/admin/sessions`, { token: `${adminToken}tampered` });
    await listener.close();
    await admin.close();
    await sleep(100);

    const log = lines.join('\n');
    for (const [what, secret] of [
      ['listener token', session.sessionToken],
      ['listener token signature', session.sessionToken.split('.')[2]!],
      ['admin token', adminToken],
      ['admin token signature', adminToken.split('.')[2]!],
      ['garbage token', 'garbage-token-value'],
      ['admin password', server.admin.password],
      ['wrong password', wrongPassword],
      ['message text', secretText],
    ] as const) {
      assert.ok(!log.includes(secret), `${what} is not logged`);
    }

    const entries = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    const connected = entries.filter((e) => e['msg'] === 'connected');
    assert.ok(connected.length >= 2);
    assert.ok(connected.every((e) => typeof e['connectionId'] === 'string'));
    assert.ok(connected.some((e) => e['sessionId'] === session.sessionId && e['kind'] === 'listener'));
    const refused = entries.filter((e) => e['msg'] === 'upgrade refused');
    assert.ok(refused.length >= 3);
    assert.ok(refused.every((e) => typeof e['reason'] === 'string' && typeof e['status'] === 'number'));
    const disconnected = entries.filter((e) => e['msg'] === 'disconnected');
    assert.ok(disconnected.some((e) => e['code'] === 1005 || e['code'] === 1000));
    assert.ok(disconnected.every((e) => typeof e['durationMs'] === 'number' && typeof e['connectionId'] === 'string'));
  });
});
