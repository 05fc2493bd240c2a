import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  connectBroadcaster,
  connectListener,
  DeliveryError,
  MAX_FRAME_BYTES,
  type DeliveryUpdate,
  type ListenerOutgoing,
} from '../../src/client/index.js';
import { ack, FakeClock, FakeNetwork, FakeSocket, flush, SESSION_A, SESSION_B } from './client-fakes.js';

function setup(extra: Record<string, unknown> = {}) {
  FakeSocket.reset();
  const clock = new FakeClock();
  let n = 0;
  const client = connectListener({
    baseUrl: 'http://chat.test',
    token: 'token-1',
    WebSocket: FakeSocket,
    timers: clock,
    network: new FakeNetwork(),
    random: () => 0.5,
    ackTimeoutMs: 5000,
    maxAttempts: 3,
    newId: () => `cm-${++n}`,
    ...extra,
  });
  const deliveries: DeliveryUpdate<ListenerOutgoing>[] = [];
  client.on('delivery', (d) => deliveries.push(d));
  return { clock, client, deliveries };
}

describe('outbox', () => {
  test('every message gets its own clientMessageId and they go out one at a time, in order', async () => {
    const { client } = setup();
    const a = client.sendMessage('satu');
    const b = client.sendMessage('dua');
    const c = client.sendMessage('tiga');
    assert.notEqual(a.clientMessageId, b.clientMessageId);
    const socket = FakeSocket.last;
    assert.equal(socket.sent.length, 0, 'nothing is sent before connection:success');
    socket.acceptListener();
    assert.deepEqual(socket.messages('message:send'), [{ text: 'satu', clientMessageId: a.clientMessageId }]);
    socket.deliver('message:ack', ack(a.clientMessageId, '1'));
    assert.deepEqual(
      socket.messages('message:send').map((m) => m['text']),
      ['satu', 'dua'],
    );
    socket.deliver('message:ack', ack(b.clientMessageId, '2'));
    socket.deliver('message:ack', ack(c.clientMessageId, '3'));
    assert.deepEqual(
      socket.messages('message:send').map((m) => m['clientMessageId']),
      [a.clientMessageId, b.clientMessageId, c.clientMessageId],
    );
    const acks = await Promise.all([a.ack, b.ack, c.ack]);
    assert.deepEqual(
      acks.map((x) => x.messageId),
      ['1', '2', '3'],
    );
    assert.equal(client.pendingMessages().length, 0);
  });

  test('a message without ack is resent after the timeout with the same id, then marked failed', async () => {
    const { client, clock, deliveries } = setup();
    FakeSocket.last.acceptListener();
    const m = client.sendMessage('halo');
    clock.advance(4999);
    assert.equal(FakeSocket.last.messages('message:send').length, 1);
    clock.advance(1);
    assert.equal(FakeSocket.last.messages('message:send').length, 2);
    clock.advance(5000);
    const sent = FakeSocket.last.messages('message:send');
    assert.equal(sent.length, 3);
    assert.ok(sent.every((f) => f['clientMessageId'] === m.clientMessageId));
    clock.advance(5000);
    await assert.rejects(m.ack, (e: unknown) => e instanceof DeliveryError && e.reason === 'timeout');
    assert.equal(deliveries.at(-1)?.status, 'failed');
    assert.deepEqual(client.pendingMessages(), [
      { clientMessageId: m.clientMessageId, payload: { text: 'halo' }, status: 'failed' },
    ]);
    // Retry: same id, and an ack settles it.
    const again = client.retry(m.clientMessageId);
    assert.equal(again?.clientMessageId, m.clientMessageId);
    assert.equal(FakeSocket.last.messages('message:send').at(-1)?.['clientMessageId'], m.clientMessageId);
    FakeSocket.last.deliver('message:ack', ack(m.clientMessageId, '9', true));
    const result = await again!.ack;
    assert.deepEqual([result.messageId, result.duplicate, result.text], ['9', true, 'teks']);
    assert.equal(deliveries.at(-1)?.status, 'sent');
  });

  test('after a reconnect, unacknowledged messages are resent with the same ids, in order', async () => {
    const { client, clock } = setup();
    FakeSocket.last.acceptListener();
    const a = client.sendMessage('pertama');
    const b = client.sendMessage('kedua');
    const first = FakeSocket.last;
    assert.equal(first.messages('message:send').length, 1);
    first.serverClose(1006);
    const c = client.sendMessage('ketiga');
    clock.advance(clock.nextDelay()!);
    const second = FakeSocket.last;
    assert.notEqual(first, second);
    second.acceptListener();
    second.deliver('message:ack', ack(a.clientMessageId, '5', true));
    second.deliver('message:ack', ack(b.clientMessageId, '6'));
    second.deliver('message:ack', ack(c.clientMessageId, '7'));
    assert.deepEqual(
      second.messages('message:send').map((f) => [f['clientMessageId'], f['text']]),
      [
        [a.clientMessageId, 'pertama'],
        [b.clientMessageId, 'kedua'],
        [c.clientMessageId, 'ketiga'],
      ],
    );
    assert.equal((await a.ack).duplicate, true);
    assert.equal((await c.ack).messageId, '7');
  });

  test('rate limited: the same message is resent after retryAfterMs, and nothing overtakes it', async () => {
    const { client, clock } = setup();
    FakeSocket.last.acceptListener();
    const a = client.sendMessage('a');
    const b = client.sendMessage('b');
    FakeSocket.last.deliver('error:rate_limited', { retryAfterMs: 3000, clientMessageId: a.clientMessageId });
    clock.advance(2999);
    assert.deepEqual(
      FakeSocket.last.messages('message:send').map((f) => f['text']),
      ['a'],
    );
    clock.advance(1);
    assert.deepEqual(
      FakeSocket.last.messages('message:send').map((f) => f['text']),
      ['a', 'a'],
    );
    FakeSocket.last.deliver('message:ack', ack(a.clientMessageId, '1'));
    FakeSocket.last.deliver('message:ack', ack(b.clientMessageId, '2'));
    assert.deepEqual(
      FakeSocket.last.messages('message:send').map((f) => f['text']),
      ['a', 'a', 'b'],
    );
    await b.ack;
  });

  test('storage unavailable: resent after a growing pause, failing after maxAttempts', async () => {
    const { client, clock } = setup({ maxAttempts: 3 });
    FakeSocket.last.acceptListener();
    const m = client.sendMessage('x');
    FakeSocket.last.deliver('error:unavailable', { message: 'db down', clientMessageId: m.clientMessageId });
    clock.advance(1000);
    assert.equal(FakeSocket.last.messages('message:send').length, 2);
    FakeSocket.last.deliver('error:unavailable', { message: 'db down', clientMessageId: m.clientMessageId });
    clock.advance(1999);
    assert.equal(FakeSocket.last.messages('message:send').length, 2);
    clock.advance(1);
    assert.equal(FakeSocket.last.messages('message:send').length, 3);
    FakeSocket.last.deliver('error:unavailable', { message: 'db down', clientMessageId: m.clientMessageId });
    await assert.rejects(m.ack, DeliveryError);
  });

  test('a message the server calls invalid fails at once and the next one goes out', async () => {
    const { client } = setup();
    FakeSocket.last.acceptListener();
    const bad = client.sendMessage('<b></b>');
    const good = client.sendMessage('oke');
    FakeSocket.last.deliver('error:invalid_payload', { message: 'text kosong', clientMessageId: bad.clientMessageId });
    await assert.rejects(bad.ack, (e: unknown) => e instanceof DeliveryError && e.reason === 'invalid');
    assert.equal(FakeSocket.last.messages('message:send').at(-1)?.['clientMessageId'], good.clientMessageId);
  });

  test('empty and oversized messages fail locally, without reaching the socket', async () => {
    const { client } = setup();
    FakeSocket.last.acceptListener();
    const empty = client.sendMessage('   ');
    const huge = client.sendMessage('x'.repeat(MAX_FRAME_BYTES));
    await assert.rejects(empty.ack, (e: unknown) => e instanceof DeliveryError && e.reason === 'invalid');
    await assert.rejects(huge.ack, (e: unknown) => e instanceof DeliveryError && e.reason === 'too_large');
    assert.equal(FakeSocket.last.sent.length, 0);
  });

  test('messages kept from an earlier run are resent with their own ids', async () => {
    const { client } = setup({
      pending: [
        { clientMessageId: 'kept-1', payload: { text: 'sebelum reload' }, status: 'sending' },
        { clientMessageId: 'kept-2', payload: { text: 'gagal tadi' }, status: 'failed' },
      ],
    });
    FakeSocket.last.acceptListener();
    assert.deepEqual(FakeSocket.last.messages('message:send'), [{ text: 'sebelum reload', clientMessageId: 'kept-1' }]);
    FakeSocket.last.deliver('message:ack', ack('kept-1', '3', true));
    await flush();
    assert.deepEqual(client.pendingMessages(), [
      { clientMessageId: 'kept-2', payload: { text: 'gagal tadi' }, status: 'failed' },
    ]);
  });

  test('a late ack for a message already marked failed still settles it as sent', () => {
    const { client, clock, deliveries } = setup({ maxAttempts: 1 });
    FakeSocket.last.acceptListener();
    const m = client.sendMessage('lambat');
    clock.advance(5000);
    assert.equal(deliveries.at(-1)?.status, 'failed');
    FakeSocket.last.deliver('message:ack', ack(m.clientMessageId, '4'));
    assert.equal(deliveries.at(-1)?.status, 'sent');
    assert.equal(client.pendingMessages().length, 0);
  });

  test('close() rejects what is still pending with reason "closed"', async () => {
    const { client } = setup();
    const m = client.sendMessage('tidak sempat');
    client.close();
    await assert.rejects(m.ack, (e: unknown) => e instanceof DeliveryError && e.reason === 'closed');
    assert.equal(client.state, 'closed');
  });

  test('broadcaster replies use the same outbox: message:reply with sessionId and clientMessageId', async () => {
    FakeSocket.reset();
    const client = connectBroadcaster({
      baseUrl: 'http://chat.test',
      token: 'admin',
      WebSocket: FakeSocket,
      timers: new FakeClock(),
      network: new FakeNetwork(),
    });
    FakeSocket.last.acceptBroadcaster();
    const r1 = client.reply(SESSION_A, 'Halo Rina!');
    const r2 = client.reply(SESSION_B, 'Halo Budi!');
    FakeSocket.last.deliver('message:ack', ack(r1.clientMessageId, '10'));
    FakeSocket.last.deliver('message:ack', ack(r2.clientMessageId, '11'));
    assert.deepEqual(FakeSocket.last.messages('message:reply'), [
      { sessionId: SESSION_A, text: 'Halo Rina!', clientMessageId: r1.clientMessageId },
      { sessionId: SESSION_B, text: 'Halo Budi!', clientMessageId: r2.clientMessageId },
    ]);
    assert.equal((await r2.ack).messageId, '11');
    client.close();
  });

  test('a reply into an ended session fails as session_ended, is not resent, and the event reaches the app', async () => {
    FakeSocket.reset();
    const clock = new FakeClock();
    const client = connectBroadcaster({
      baseUrl: 'http://chat.test',
      token: 'admin',
      WebSocket: FakeSocket,
      timers: clock,
      network: new FakeNetwork(),
      ackTimeoutMs: 1000,
    });
    FakeSocket.last.acceptBroadcaster();
    const ended: unknown[] = [];
    client.on('error:session_ended', (e) => ended.push(e));
    const r = client.reply(SESSION_A, 'Halo?');
    const next = client.reply(SESSION_B, 'Halo Budi!');
    const event = { sessionId: SESSION_A, newSessionId: SESSION_B, clientMessageId: r.clientMessageId };
    FakeSocket.last.deliver('error:session_ended', event);
    await assert.rejects(r.ack, (e: unknown) => e instanceof DeliveryError && e.reason === 'session_ended');
    assert.deepEqual(ended, [event]);
    clock.advance(5000);
    const sent = FakeSocket.last.messages('message:reply').map((m) => m['clientMessageId']);
    assert.equal(sent.filter((id) => id === r.clientMessageId).length, 1, 'never resent');
    assert.ok(sent.includes(next.clientMessageId), 'the next reply goes out');
    client.close();
  });
});
