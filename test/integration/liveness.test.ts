/**
 * Dead and slow peers: the heartbeat reaps a client that stops answering
 * pings (and its session goes offline); a client that stops reading is
 * dropped once its send buffer passes the limit, while others keep receiving.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import WebSocket from 'ws';
import { TestSocket, adminUrl, createSession, listenerUrl, loginAdmin } from '../helpers/clients.js';
import { matrix, startTestServer, type TestServer } from '../helpers/server.js';
import { sleep } from '../helpers/wait.js';

for (const { dialect, broker } of matrix()) {
  describe(`dead and slow peers on ${dialect} with the ${broker} broker`, () => {
    let server: TestServer;
    let adminToken: string;
    const use = async (env: Record<string, string>) => {
      await server?.stop();
      server = await startTestServer({ dialect, broker, env });
      adminToken = await loginAdmin(server);
    };
    after(async () => {
      await server?.stop();
    });

    test('a peer that stops answering pings is reaped and goes offline', async () => {
      await use({ LIVECHAT_HEARTBEAT_INTERVAL_MS: '200' });
      const admin = await TestSocket.open(adminUrl(server, adminToken));
      await admin.next('connection:success');
      const session = await createSession(server);
      const silent = new WebSocket(listenerUrl(server, session.sessionToken), { autoPong: false });
      const closed = new Promise<number>((resolve) => silent.on('close', (code) => resolve(code)));
      const mine = (data: Record<string, unknown>) => data['sessionId'] === session.sessionId;
      assert.deepEqual(await admin.next('presence:update', 5000, mine), { sessionId: session.sessionId, online: true });
      const started = Date.now();
      const code = await closed;
      assert.equal(code, 1006, 'terminated without a closing handshake');
      assert.ok(Date.now() - started < 2000, 'reaped within a few heartbeat intervals');
      assert.deepEqual(await admin.next('presence:update', 5000, mine), {
        sessionId: session.sessionId,
        online: false,
      });

      // A peer that answers pings stays.
      const healthy = await TestSocket.open(listenerUrl(server, (await createSession(server)).sessionToken));
      await sleep(700);
      assert.equal(healthy.ws.readyState, WebSocket.OPEN);
      await healthy.close();
      await admin.close();
    });

    test('a client that stops reading is dropped; another tab keeps receiving', async () => {
      await use({
        LIVECHAT_MAX_BUFFERED_BYTES: String(64 * 1024),
        LIVECHAT_ADMIN_RATE_LIMIT_MESSAGES: '100000',
        LIVECHAT_SQLITE_SYNCHRONOUS: 'NORMAL',
      });
      const admin = await TestSocket.open(adminUrl(server, adminToken));
      await admin.next('connection:success');
      const session = await createSession(server);
      const stalled = await TestSocket.open(listenerUrl(server, session.sessionToken));
      const reader = await TestSocket.open(listenerUrl(server, session.sessionToken));
      await stalled.next('connection:success');
      await reader.next('connection:success');
      // Stop reading: the kernel buffers fill, then the server's send buffer grows.
      (stalled.ws as unknown as { _socket: { pause(): void } })._socket.pause();

      const text = 'x'.repeat(1000);
      let acked = 0;
      const deadline = Date.now() + 60_000;
      const stalledGone = () =>
        server.server.metrics.slowConsumerDropsTotal.get().then((m) => (m.values[0]?.value ?? 0) > 0);
      while (!(await stalledGone()) && Date.now() < deadline) {
        // Small bursts, so that only the client that stopped reading falls behind.
        for (let i = 0; i < 20; i++) admin.send('message:reply', { sessionId: session.sessionId, text });
        for (let i = 0; i < 20; i++) await admin.next('message:ack', 10_000);
        acked += 20;
      }
      assert.ok(await stalledGone(), `the stalled client was dropped (after ${acked} replies)`);
      // Every reply reached the tab that kept reading.
      const deadlineReader = Date.now() + 20_000;
      while (reader.all('message:receive').length < acked && Date.now() < deadlineReader) {
        await sleep(50);
      }
      assert.equal(reader.all('message:receive').length, acked);
      assert.equal(reader.ws.readyState, WebSocket.OPEN);
      stalled.ws.terminate();
      await reader.close();
      await admin.close();
    });
  });
}
