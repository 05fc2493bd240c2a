/**
 * A reply must not be lost while a listener reconnects, also before the
 * listener has received anything: a resume without `lastMessageId` replays
 * nothing, so the listener resumes from its own first stored message.
 * Regression test for replies lost in the checker runs (listeners that had
 * sent but not yet received anything, reconnecting while a reply was stored).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { WebSocket } from 'ws';
import { connectListener, type ListenerServerEvents } from '../../src/client/index.js';
import { FaultProxy } from '../helpers/fault-proxy.js';
import { TestSocket, adminUrl, createSession, listenerUrl, loginAdmin } from '../helpers/clients.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { withServer } from '../helpers/with-server.js';
import { report } from './lib/report.js';
import { sleep } from '../helpers/wait.js';

describe('resume before the first reply', () => {
  let server: TestServer;
  let adminToken: string;
  let admin: TestSocket;

  before(async () => {
    server = await startTestServer();
    adminToken = await loginAdmin(server);
    admin = await TestSocket.open(adminUrl(server, adminToken));
    await admin.next('connection:success');
  });
  after(async () => {
    await admin?.close();
    await server?.stop();
  });

  const reply = async (sessionId: string, text: string) => {
    admin.send('message:reply', { sessionId, text });
    return String((await admin.next('message:ack'))['messageId']);
  };

  test("the server replays after the listener's own messageId, and nothing without lastMessageId", async () => {
    const session = await createSession(server);
    const first = await TestSocket.open(listenerUrl(server, session.sessionToken));
    await first.next('connection:success');
    first.send('message:send', { text: 'Request lagu Noah dong' });
    const own = String((await first.next('message:ack'))['messageId']);
    first.ws.terminate();
    await first.closed;
    const replyId = await reply(session.sessionId, 'Siap, habis ini ya');

    const bare = await TestSocket.open(listenerUrl(server, session.sessionToken));
    await bare.next('connection:success');
    assert.deepEqual(await bare.collect('message:receive', 200), [], 'without lastMessageId nothing is replayed');
    await bare.close();

    const anchored = await TestSocket.open(listenerUrl(server, session.sessionToken, own));
    await anchored.next('connection:success');
    assert.equal((await anchored.next('message:receive'))['messageId'], replyId);
    await anchored.close();
  });

  test('the SDK gets a reply stored while its first reconnect was under way', async (t) => {
    const proxy = await FaultProxy.start({ host: '127.0.0.1', port: server.port });
    const session = await createSession(server);
    const client = connectListener({
      baseUrl: `http://127.0.0.1:${proxy.port}`,
      token: session.sessionToken,
      WebSocket,
      network: false,
    });
    try {
      const received: ListenerServerEvents['message:receive'][] = [];
      client.on('message:receive', (m) => received.push(m));
      const sent = client.sendMessage('Salam buat teman-teman di Bandung');
      await sent.ack;
      assert.equal(received.length, 0, 'nothing received yet');

      proxy.cut();
      const replyId = await reply(session.sessionId, 'Salam kembali!');
      proxy.restore();

      const deadline = Date.now() + 15_000;
      while (received.length === 0 && Date.now() < deadline) await sleep(50);
      assert.deepEqual(
        received.map((m) => m.messageId),
        [replyId],
        'the reply arrived once, by replay',
      );
      report(t, 'listener reconnecting before its first reply (SDK)', 'reply replayed after the reconnect', {
        sent: 1,
        acknowledged: 1,
        stored: 1,
        duplicated: 0,
        lost: 0,
      });
    } finally {
      client.close();
      await proxy.close();
    }
  });
});

describe('a reply stored but never published', () => {
  const server = withServer({ env: { LIVECHAT_HEARTBEAT_INTERVAL_MS: '600' } });

  test('reaches the connected listener within a heartbeat interval, once, without a reconnect', async () => {
    const session = await createSession(server);
    const listener = await TestSocket.open(listenerUrl(server, session.sessionToken));
    await listener.next('connection:success');
    // Stored as an instance that died between its commit and its publication would leave it.
    const { message } = await server.server.store.messages.insert({
      sessionId: session.sessionId,
      direction: 'broadcaster',
      senderKey: 'admin:gone',
      from: 'Penyiar',
      text: 'Balasan yang tidak pernah dikirim',
    });
    const received = await listener.next('message:receive');
    assert.equal(received['messageId'], message.messageId);
    assert.equal(received['text'], 'Balasan yang tidak pernah dikirim');
    assert.deepEqual(await listener.collect('message:receive', 1500), [], 'once');
    assert.equal(listener.all('connection:success').length, 1, 'without reconnecting');
    await listener.close();
  });
});
