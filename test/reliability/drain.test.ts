/**
 * SIGTERM drain of one of two instances (PostgreSQL, Redis) in the middle of
 * pipelined traffic from a listener and a broadcaster: the instance stops
 * accepting, finishes the writes in flight, closes every socket with 1001 and
 * exits 0. The clients resend what was not acknowledged to the other instance
 * with the same clientMessageIds: every message ends up stored exactly once,
 * and the listener gets every reply exactly once (live, or by replay).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { TestSocket, adminUrl, createSession, listenerUrl, loginAdmin, upgradeStatus } from '../helpers/clients.js';
import { Deployment, type Instance } from '../helpers/instances.js';
import { readRows } from './lib/checker.js';
import { report } from './lib/report.js';
import { sleep } from '../helpers/wait.js';

describe('SIGTERM drain under traffic', () => {
  let deployment: Deployment;
  let a: Instance;
  let b: Instance;

  before(async () => {
    deployment = await Deployment.create({
      env: { LIVECHAT_RATE_LIMIT_MESSAGES: '100000', LIVECHAT_ADMIN_RATE_LIMIT_MESSAGES: '100000' },
    });
    [a, b] = (await deployment.startMany(2)) as [Instance, Instance];
  });
  after(async () => {
    await deployment?.stop();
  });

  test('in-flight writes finish, sockets close with 1001, exit 0; nothing lost or doubled after resending', (t) =>
    deployment.withLogs(async () => {
      const adminToken = await loginAdmin({ baseUrl: a.baseUrl, admin: deployment.admin });
      const session = await createSession(a, 'Dewi');
      const listener = await TestSocket.open(listenerUrl(a, session.sessionToken));
      await listener.next('connection:success');
      const admin = await TestSocket.open(adminUrl(a, adminToken));
      await admin.next('connection:success');
      listener.send('message:send', { text: 'pertama', clientMessageId: 'm-first' });
      const anchor = String((await listener.next('message:ack'))['messageId']);

      const messages = Array.from({ length: 60 }, (_, i) => `m-${i}`);
      // Messages sent after the signal, until the socket closes: the paused socket leaves them unread, or they are refused.
      const late: string[] = [];
      const replies = Array.from({ length: 30 }, (_, i) => `r-${i}`);
      for (let i = 0; i < 60; i++) {
        listener.send('message:send', { text: `pesan ${messages[i]}`, clientMessageId: messages[i] });
        if (i < 30)
          admin.send('message:reply', {
            sessionId: session.sessionId,
            text: `balasan ${replies[i]}`,
            clientMessageId: replies[i],
          });
      }
      await listener.next('message:ack');
      const signalled = Date.now();
      const exit = a.kill('SIGTERM');
      const lateSender = setInterval(() => {
        if (listener.ws.readyState !== listener.ws.OPEN) return;
        const id = `late-${late.length}`;
        late.push(id);
        listener.send('message:send', { text: `pesan ${id}`, clientMessageId: id });
      }, 1);
      const [listenerClosed, adminClosed] = await Promise.all([listener.closed, admin.closed]);
      const closedAfter = Date.now() - signalled;
      clearInterval(lateSender);
      const beforeSignal = [...messages, ...replies];
      messages.push(...late);
      const exitInfo = await exit;
      assert.equal(listenerClosed.code, 1001, 'the listener is told the server is going away');
      assert.equal(adminClosed.code, 1001);
      assert.equal(exitInfo.code, 0, 'exit 0 after draining');
      const refused = [...listener.all('error:unavailable'), ...admin.all('error:unavailable')].map((e) =>
        String(e['clientMessageId']),
      );
      assert.deepEqual(
        refused.filter((id) => !id.startsWith('late-')),
        [],
        'only messages sent after the signal may be refused',
      );
      assert.ok(closedAfter < 3000, `the drain does not wait for a client that keeps sending (${closedAfter} ms)`);
      assert.equal(
        await upgradeStatus(listenerUrl(a, session.sessionToken)).catch(() => 0),
        0,
        'nothing listens any more',
      );

      const ackedBefore = new Set(
        [...listener.all('message:ack'), ...admin.all('message:ack')].map((ack) => String(ack['clientMessageId'])),
      );
      const rowsAfterDrain = (await readRows(deployment.databaseUrl)).filter((r) => r.sessionId === session.sessionId);
      const storedIds = new Set(rowsAfterDrain.map((r) => r.clientMessageId));
      for (const id of ackedBefore) assert.ok(storedIds.has(id), `acknowledged ${id} is stored`);
      const storedUnacked = [...storedIds].filter((id) => id !== null && !ackedBefore.has(id));
      for (const id of beforeSignal)
        assert.ok(ackedBefore.has(id), `${id}, in flight at the signal, was finished and acknowledged`);
      assert.deepEqual(storedUnacked, [], 'nothing stored without its ack reaching the sender');

      // Resend what was not acknowledged, to the other instance.
      const resumed = await TestSocket.open(
        listenerUrl(
          b,
          session.sessionToken,
          (listener.all('message:receive').at(-1)?.['messageId'] as string | undefined) ?? anchor,
        ),
      );
      await resumed.next('connection:success');
      const admin2 = await TestSocket.open(adminUrl(b, adminToken));
      await admin2.next('connection:success');
      let duplicateAcks = 0;
      for (const id of messages.filter((m) => !ackedBefore.has(m))) {
        resumed.send('message:send', { text: `pesan ${id}`, clientMessageId: id });
        const ack = await resumed.next('message:ack');
        assert.equal(ack['clientMessageId'], id);
        if (ack['duplicate'] === true) duplicateAcks += 1;
      }
      for (const id of replies.filter((r) => !ackedBefore.has(r))) {
        admin2.send('message:reply', { sessionId: session.sessionId, text: `balasan ${id}`, clientMessageId: id });
        const ack = await admin2.next('message:ack');
        if (ack['duplicate'] === true) duplicateAcks += 1;
      }
      const rows = (await readRows(deployment.databaseUrl)).filter((r) => r.sessionId === session.sessionId);
      assert.equal(rows.length, 1 + messages.length + replies.length, 'every message stored exactly once');
      assert.equal(new Set(rows.map((r) => r.clientMessageId)).size, rows.length);
      assert.deepEqual(
        rows.filter((r) => r.direction === 'listener').map((r) => r.clientMessageId),
        ['m-first', ...messages],
        'in the order sent',
      );
      // Every reply reached the listener exactly once: before the drain, or by replay / live on B.
      const replyIds = rows.filter((r) => r.direction === 'broadcaster').map((r) => r.id);
      const deadline = Date.now() + 5000;
      const got = () =>
        [...listener.all('message:receive'), ...resumed.all('message:receive')].map((m) => String(m['messageId']));
      while (got().length < replyIds.length && Date.now() < deadline) await sleep(20);
      assert.deepEqual([...got()].sort(), [...replyIds].sort(), 'each reply once');
      await resumed.close();
      await admin2.close();
      await a.start();
      report(
        t,
        'SIGTERM drain of one instance under pipelined traffic',
        `in-flight writes acknowledged, sockets closed with 1001 after ${closedAfter} ms, exit 0; messages sent during the drain left unread or refused (error:unavailable), not stored, and resent to the other instance`,
        {
          sent: 1 + messages.length + replies.length,
          sentDuringDrain: late.length,
          acknowledgedBeforeClose: ackedBefore.size,
          refusedDuringDrain: refused.length,
          storedButUnacknowledged: storedUnacked.length,
          duplicateAcksOnResend: duplicateAcks,
          stored: rows.length,
          duplicated: 0,
          lost: 0,
          repliesReceived: got().length,
        },
      );
    }));
});
