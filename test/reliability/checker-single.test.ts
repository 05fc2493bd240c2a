/**
 * The fault checker on one instance (PostgreSQL behind a fault proxy, the
 * in-memory broker): listeners and broadcasters with outboxes send while
 * random faults hit — connections killed, the database cut off or
 * partitioned for a moment, the server restarted — then the clients'
 * records are compared with the database. Seeded: the seed is printed, and
 * LIVECHAT_RELIABILITY_SEED replays the same fault schedule.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { FaultProxy } from '../helpers/fault-proxy.js';
import { createTestDatabase, type TestDatabase } from '../helpers/databases.js';
import { createSession, loginAdmin } from '../helpers/clients.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { createCast } from './lib/cast.js';
import { check, readRows, summary } from './lib/checker.js';
import { report } from './lib/report.js';
import { faultSchedule, prng, reliabilityScale, reliabilitySeed } from './lib/scale.js';
import { sleep } from '../helpers/wait.js';

const scale = reliabilityScale();

describe('checker: one instance, PostgreSQL behind a fault proxy', () => {
  let database: TestDatabase;
  let proxy: FaultProxy;
  let server: TestServer;

  before(async () => {
    database = await createTestDatabase('postgres');
    proxy = await FaultProxy.forUrl(database.url);
    server = await startTestServer({
      databaseUrl: proxy.url(database.url),
      env: {
        LIVECHAT_RATE_LIMIT_MESSAGES: '100000',
        LIVECHAT_ADMIN_RATE_LIMIT_MESSAGES: '100000',
        LIVECHAT_MAX_CONNECTIONS_PER_SESSION: '20',
        LIVECHAT_SHUTDOWN_TIMEOUT_MS: '3000',
      },
    });
  });
  after(async () => {
    proxy?.restore();
    await server?.stop();
    await proxy?.close();
    await database?.drop();
  });

  test(
    'every acknowledged message stored once, in order; every reply delivered once',
    { timeout: scale.testTimeoutMs },
    async (t) => {
      const seed = reliabilitySeed();
      t.diagnostic(`seed ${seed} (LIVECHAT_RELIABILITY_SEED=${seed} replays this fault schedule)`);
      const rng = prng(seed);
      const url = () => server.wsUrl;
      const storedAt = new Map<string, number>();
      const adminToken = await loginAdmin(server);
      const { sent, listeners, broadcasters, clients } = await createCast({
        seed,
        rng,
        url,
        storedAt,
        adminToken,
        createSession: (i) => createSession(server, `Pendengar ${i}`),
      });
      for (const client of listeners) client.paceMs = scale.checkerFaultWindowMs / scale.checkerMessages;
      for (const client of broadcasters) client.paceMs = scale.checkerFaultWindowMs / scale.checkerReplies;
      // Broadcasters answer what listeners wrote: they start once every listener has a stored message.
      for (const listener of listeners) listener.start();
      const firstAcks = Date.now() + 20_000;
      while (listeners.some((l) => l.acks.size === 0) && Date.now() < firstAcks) await sleep(20);
      for (const broadcaster of broadcasters) broadcaster.start();

      // Faults, one after another, until the window closes.
      const faults: Record<string, number> = {};
      const deadline = Date.now() + scale.checkerFaultWindowMs;
      const kinds = [
        'kill-listener',
        'kill-listener',
        'kill-broadcaster',
        'db-cut',
        'db-partition',
        'restart',
      ] as const;
      for (const kind of faultSchedule(rng, kinds, () => Date.now() >= deadline)) {
        await sleep(rng.int(100, 500));
        faults[kind] = (faults[kind] ?? 0) + 1;
        switch (kind) {
          case 'kill-listener':
            listeners[rng.int(0, listeners.length - 1)]!.kill();
            break;
          case 'kill-broadcaster':
            broadcasters[rng.int(0, broadcasters.length - 1)]!.kill();
            break;
          case 'db-cut':
            proxy.cut();
            await sleep(rng.int(200, 1000));
            proxy.restore();
            break;
          case 'db-partition':
            proxy.pause();
            await sleep(rng.int(200, 1000));
            proxy.resume();
            break;
          case 'restart':
            await server.restart();
            break;
        }
      }
      proxy.restore();

      // Quiet: every outbox drains, then the last deliveries arrive.
      const drained = Promise.all(clients.map((c) => c.drain()));
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([drained, new Promise((resolve) => (timer = setTimeout(resolve, 60_000)))]);
      clearTimeout(timer);
      const pending = clients.reduce((n, c) => n + c.pending, 0);
      t.diagnostic(`drained after ${Date.now() - deadline} ms`);
      await sleep(1000);
      const rows = await readRows(database.url);
      for (const client of clients) await client.stop();

      const result = check(sent, listeners, broadcasters, rows);
      report(
        t,
        'checker, one instance (PostgreSQL, memory broker)',
        `seed ${seed}; faults ${JSON.stringify(faults)}`,
        summary(result),
      );
      assert.equal(pending, 0, 'every outbox drained');
      assert.deepEqual(result.violations, []);
      assert.equal(result.lost, 0);
      assert.equal(result.duplicated, 0);
      assert.equal(result.unacknowledged, 0);
      assert.equal(result.sent, result.acknowledged);
      assert.equal(result.stored, result.sent);
      assert.equal(result.replies.lost, 0);
      assert.equal(result.replies.duplicated, 0);
      assert.equal(Object.keys(faults).length, 5, 'every kind of fault was injected');
    },
  );
});
