/**
 * Peers that misbehave at the TCP level: slow consumers that stop reading
 * (dropped, the server's memory bounded, and nothing lost once they come back
 * by replay), and half-open peers that vanish without a FIN — many at once,
 * and a real black hole behind a fault proxy — reaped within the heartbeat
 * window while healthy peers stay, their sessions going offline and their
 * connection slots freed.
 */
import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import WebSocket from 'ws';
import { FaultProxy } from '../helpers/fault-proxy.js';
import { TestSocket, adminUrl, createSession, json, listenerUrl, loginAdmin } from '../helpers/clients.js';
import { Deployment, type Instance } from '../helpers/instances.js';
import { withServer } from '../helpers/with-server.js';
import { report } from './lib/report.js';
import { reliabilityScale } from './lib/scale.js';
import { sleep } from '../helpers/wait.js';

const scale = reliabilityScale();

/** A metric's value from the Prometheus text (sum over its label sets). */
async function metric(baseUrl: string, name: string): Promise<number> {
  const text = String((await json(`${baseUrl}/metrics`)).body);
  let sum = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith(`${name}{`) || line.startsWith(`${name} `))
      sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

/** Resident memory of a process (Linux). */
async function rss(pid: number | undefined): Promise<number> {
  const { readFile } = await import('node:fs/promises');
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
}

describe('slow consumers (a real server process)', () => {
  let deployment: Deployment;
  let instance: Instance;

  before(async () => {
    deployment = await Deployment.create({
      withoutRedis: true,
      env: {
        LIVECHAT_MAX_BUFFERED_BYTES: String(256 * 1024),
        // Only the send-buffer guard acts here (a client that stops reading also stops answering pings).
        LIVECHAT_HEARTBEAT_INTERVAL_MS: '60000',
        LIVECHAT_ADMIN_RATE_LIMIT_MESSAGES: '1000000',
        LIVECHAT_RATE_LIMIT_MESSAGES: '1000000',
      },
    });
    instance = await deployment.start();
  });
  after(async () => {
    await deployment?.stop();
  });

  test(
    'clients that stop reading are dropped, memory stays bounded, and replay gives them everything once',
    { timeout: scale.testTimeoutMs },
    (t) =>
      deployment.withLogs(async () => {
        const adminToken = await loginAdmin({ baseUrl: instance.baseUrl, admin: deployment.admin });
        // The pump counts acks itself (it also receives every message:new, which it ignores).
        const pump = new WebSocket(adminUrl(instance, adminToken));
        let acks = 0;
        pump.on('message', (raw) => {
          if (raw.toString().startsWith('{"event":"message:ack"')) acks += 1;
        });
        await new Promise((resolve) => pump.once('open', resolve));
        // Stalled: listeners of their own sessions, and one broadcaster dashboard.
        const stalled: { session: { sessionId: string; sessionToken: string }; socket: TestSocket; anchor: string }[] =
          [];
        for (let i = 0; i < scale.slowConsumers; i++) {
          const session = await createSession(instance, `Lambat ${i}`);
          const socket = await TestSocket.open(listenerUrl(instance, session.sessionToken));
          await socket.next('connection:success');
          socket.send('message:send', { text: 'halo' });
          const anchor = String((await socket.next('message:ack'))['messageId']);
          (socket.ws as unknown as { _socket: Socket })._socket.pause();
          stalled.push({ session, socket, anchor });
        }
        const stalledAdmin = await TestSocket.open(adminUrl(instance, adminToken));
        await stalledAdmin.next('connection:success');
        (stalledAdmin.ws as unknown as { _socket: Socket })._socket.pause();
        const healthy = await TestSocket.open(listenerUrl(instance, stalled[0]!.session.sessionToken));
        await healthy.next('connection:success');

        const baseline = await rss(instance.pid);
        let peak = baseline;
        const text = '🎵'.repeat(1000); // 4 KB of UTF-8: the stalled buffers fill sooner
        let replies = 0;
        const deadline = Date.now() + 60_000;
        const expectedDrops = stalled.length + 1;
        while (
          (await metric(instance.baseUrl, 'livechat_slow_consumer_drops_total')) < expectedDrops &&
          Date.now() < deadline
        ) {
          for (let burst = 0; burst < 40; burst++) {
            const target = stalled[(replies + burst) % stalled.length]!;
            pump.send(JSON.stringify({ event: 'message:reply', data: { sessionId: target.session.sessionId, text } }));
          }
          replies += 40;
          const waitUntil = Date.now() + 10_000;
          while (acks < replies && Date.now() < waitUntil) await sleep(2);
          assert.equal(acks, replies, 'every reply acknowledged');
          peak = Math.max(peak, await rss(instance.pid));
        }
        const drops = await metric(instance.baseUrl, 'livechat_slow_consumer_drops_total');
        assert.equal(drops, expectedDrops, `every stalled client was dropped (after ${replies} replies)`);
        const growth = peak - baseline;
        assert.ok(growth < 128 * 1024 * 1024, `memory bounded: grew ${Math.round(growth / 1024 / 1024)} MiB`);
        assert.equal(healthy.ws.readyState, WebSocket.OPEN, 'a tab that kept reading stays');
        for (const s of stalled) s.socket.ws.terminate();
        stalledAdmin.ws.terminate();

        // They come back with their resume point: every reply arrives once, by replay.
        const storedPerSession = Math.ceil(replies / stalled.length);
        let received = 0;
        let duplicated = 0;
        let lost = 0;
        for (const { session, anchor } of stalled) {
          const again = await TestSocket.open(listenerUrl(instance, session.sessionToken, anchor));
          await again.next('connection:success');
          const expected = (
            await deployment.query<{ n: string }>(
              "select count(*)::text as n from messages where session_id = $1 and direction = 'broadcaster'",
              [session.sessionId],
            )
          )[0]!.n;
          const want = Number(expected);
          const until = Date.now() + 30_000;
          while (
            again.all('message:receive').length < want &&
            again.ws.readyState === WebSocket.OPEN &&
            Date.now() < until
          )
            await sleep(20);
          const ids = again.all('message:receive').map((m) => String(m['messageId']));
          received += new Set(ids).size;
          duplicated += ids.length - new Set(ids).size;
          lost += want - new Set(ids).size;
          assert.equal(again.ws.readyState, WebSocket.OPEN, 'the replaying connection is not dropped itself');
          await again.close();
        }
        assert.equal(lost, 0, 'nothing lost');
        assert.equal(duplicated, 0);
        await healthy.close();
        pump.close();
        report(
          t,
          'slow consumers (stopped reading)',
          `${expectedDrops} dropped at 256 KiB unsent; memory +${Math.round(growth / 1024 / 1024)} MiB; all replies back by replay`,
          {
            sent: replies,
            acknowledged: replies,
            stored: replies,
            replayed: received,
            duplicated,
            lost,
            perSession: storedPerSession,
          },
        );
      }),
  );
});

describe('half-open peers', () => {
  let adminToken: string;

  const server = withServer({ env: { LIVECHAT_HEARTBEAT_INTERVAL_MS: '500' } });
  before(async () => {
    adminToken = await loginAdmin(server);
  });

  /** A connected peer whose socket can later be frozen: it then reads nothing and answers no ping. */
  async function peer(token: string): Promise<{ ws: WebSocket; freeze(): void }> {
    const ws = new WebSocket(listenerUrl(server, token));
    ws.on('error', () => undefined);
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused with HTTP ${res.statusCode}`)));
    });
    return { ws, freeze: () => (ws as unknown as { _socket: Socket })._socket.pause() };
  }

  test(
    'many peers that vanish are reaped within the heartbeat window; healthy ones stay; slots and presence freed',
    { timeout: scale.testTimeoutMs },
    async (t) => {
      const admin = await TestSocket.open(adminUrl(server, adminToken));
      await admin.next('connection:success');
      const sessions = await Promise.all(
        Array.from({ length: Math.ceil(scale.halfOpenPeers / 5) }, () => createSession(server)),
      );
      const peers = await Promise.all(
        Array.from({ length: scale.halfOpenPeers }, (_, i) => peer(sessions[i % sessions.length]!.sessionToken)),
      );
      const healthySessions = await Promise.all(Array.from({ length: 10 }, () => createSession(server)));
      const healthy = await Promise.all(
        healthySessions.map((s) => TestSocket.open(listenerUrl(server, s.sessionToken))),
      );
      const open = () =>
        server.server.metrics.connectionsOpen
          .get()
          .then((m) => m.values.find((v) => v.labels['kind'] === 'listener')?.value ?? 0);
      assert.equal(await open(), peers.length + healthy.length);

      // Now they vanish: no FIN, no reading, no pong — the server only has its heartbeat to notice.
      for (const p of peers) p.freeze();
      const started = Date.now();
      while ((await open()) > healthy.length && Date.now() - started < 10_000) await sleep(50);
      const reapedAfter = Date.now() - started;
      assert.equal(await open(), healthy.length, 'every half-open peer reaped');
      assert.ok(reapedAfter < 2 * 500 + 1000, `within two heartbeat intervals (${reapedAfter} ms)`);
      for (const socket of healthy) assert.equal(socket.ws.readyState, WebSocket.OPEN, 'healthy peers stay');

      // Presence: every half-open session went offline; their tab slots are free again.
      const offline = new Set<string>();
      const until = Date.now() + 5000;
      while (offline.size < sessions.length && Date.now() < until) {
        for (const p of admin.all('presence:update')) if (p['online'] === false) offline.add(String(p['sessionId']));
        await sleep(20);
      }
      assert.equal(offline.size, sessions.length, 'each half-open session reported offline');
      const tabs = await Promise.all(
        Array.from({ length: 5 }, () => TestSocket.open(listenerUrl(server, sessions[0]!.sessionToken))),
      );
      for (const tab of [...tabs, ...healthy]) await tab.close();
      for (const p of peers) p.ws.terminate();
      await admin.close();
      report(
        t,
        'half-open peers (connected, then silent: no FIN, no pong)',
        `all reaped after ${reapedAfter} ms (heartbeat 500 ms); healthy peers kept; presence and slots freed`,
        {
          peers: peers.length,
          reaped: peers.length,
          healthyKept: healthy.length,
          offlineReported: offline.size,
        },
      );
    },
  );

  test('a peer behind a network partition (black hole) is reaped; the client side never saw a close', async (t) => {
    const proxy = await FaultProxy.start({ host: '127.0.0.1', port: server.port });
    try {
      const session = await createSession(server);
      const socket = await TestSocket.open(
        listenerUrl({ wsUrl: `ws://127.0.0.1:${proxy.port}` }, session.sessionToken),
      );
      await socket.next('connection:success');
      const reaps = async () =>
        (await server.server.metrics.heartbeatReapsTotal.get()).values.reduce((n, v) => n + v.value, 0);
      const open = () =>
        server.server.metrics.connectionsOpen
          .get()
          .then((m) => m.values.find((v) => v.labels['kind'] === 'listener')?.value ?? 0);
      await sleep(200); // connections of the test before finish closing
      const openBefore = await open();
      const before = await reaps();
      proxy.pause();
      const started = Date.now();
      while ((await open()) >= openBefore && Date.now() - started < 5000) await sleep(50);
      const waited = Date.now() - started;
      assert.equal(await open(), openBefore - 1, 'the partitioned peer is gone');
      assert.ok((await reaps()) > before, 'reaped by the heartbeat');
      assert.ok(waited < 2000, `within the heartbeat window (${waited} ms)`);
      assert.equal(
        socket.ws.readyState,
        WebSocket.OPEN,
        'the client behind the partition still believes it is connected',
      );
      socket.ws.terminate();
      report(t, 'peer behind a network partition', `reaped after ${waited} ms (heartbeat 500 ms)`, {
        peers: 1,
        reaped: 1,
      });
    } finally {
      await proxy.close();
    }
  });
});
