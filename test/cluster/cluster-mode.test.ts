/**
 * Cluster mode: `livechat start --workers 2` runs two worker processes on one
 * port through Node's cluster module, each a full instance on the Redis bus.
 * Connections land on different workers and still talk; a worker killed with
 * SIGKILL is replaced; SIGTERM stops everything with exit 0. Without REDIS_URL
 * more than one worker is refused with one line naming LIVECHAT_WORKERS. The
 * Redis broker timings the instances here rely on come from the environment.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { loadConfig } from '../../src/config.js';
import { TestSocket, adminUrl, createSession, listenerUrl, loginAdmin } from '../helpers/clients.js';
import { Deployment, runCommand, type Instance, type LogEntry } from '../helpers/instances.js';
import { freePort } from '../helpers/ports.js';
import { waitFor } from '../helpers/wait.js';
import { TEST_JWT_SECRET } from '../helpers/server.js';

/** pid of the worker that logged the connection with this connectionId. */
async function workerOf(cluster: Instance, connectionId: unknown): Promise<number> {
  let entry: LogEntry | undefined;
  await waitFor(
    () =>
      (entry = cluster.entries().find((e) => e.msg === 'connected' && e['connectionId'] === connectionId)) !==
      undefined,
    { message: `the "connected" log line of ${String(connectionId)}`, timeoutMs: 5000 },
  );
  return Number(entry!.pid);
}

const listeningPids = (cluster: Instance): number[] =>
  cluster
    .entries()
    .filter((e) => e.msg === 'live chat listening')
    .map((e) => Number(e.pid));

describe('cluster mode: livechat start --workers 2', () => {
  let deployment: Deployment;
  let cluster: Instance;
  const sockets: TestSocket[] = [];

  async function open(url: string): Promise<{ socket: TestSocket; pid: number }> {
    const socket = await TestSocket.open(url);
    sockets.push(socket);
    const hello = await socket.next('connection:success');
    return { socket, pid: await workerOf(cluster, hello['connectionId']) };
  }

  before(async () => {
    deployment = await Deployment.create();
    cluster = await deployment.start({
      name: 'cluster',
      args: ['start', '--workers', '2'],
      port: await freePort(),
      listeningLines: 2,
    });
  });

  after(async () => {
    await Promise.all(sockets.map((socket) => socket.close()));
    await deployment?.stop();
  });

  test('two workers on one port, each its own instance on the Redis bus', () => {
    const pids = listeningPids(cluster);
    assert.equal(pids.length, 2);
    assert.equal(new Set(pids).size, 2, 'two worker processes');
    assert.ok(!pids.includes(cluster.pid!), 'the workers are not the primary');
    assert.ok(
      cluster.entries().every((e) => e.msg !== 'live chat listening' || e['port'] === cluster.port),
      'all on the same port',
    );
    assert.equal(cluster.brokerInstanceIds().length, 2, 'each worker has its own broker instance id');
    assert.ok(cluster.entries().some((e) => e.msg === 'starting cluster workers' && e['workers'] === 2));
  });

  test('connections land on different workers and still talk', () =>
    deployment.withLogs(async () => {
      const token = await loginAdmin({ baseUrl: cluster.baseUrl, admin: deployment.admin });
      const session = await createSession(cluster, 'Ayu');
      const listener = await open(listenerUrl(cluster, session.sessionToken));
      // The cluster hands connections out round-robin: a few tries reach the other worker.
      let broadcaster: { socket: TestSocket; pid: number } | undefined;
      for (let attempt = 0; attempt < 10 && !broadcaster; attempt++) {
        const candidate = await open(adminUrl(cluster, token));
        if (candidate.pid !== listener.pid) broadcaster = candidate;
        else await candidate.socket.close();
      }
      assert.ok(broadcaster, 'a broadcaster connection reached the other worker');
      assert.notEqual(broadcaster.pid, listener.pid);

      const other = await createSession(cluster, 'Bayu');
      const otherListener = await open(listenerUrl(cluster, other.sessionToken));
      await waitFor(() => broadcaster.socket.all('presence:update').some((p) => p['sessionId'] === other.sessionId), {
        message: 'presence across workers',
        timeoutMs: 5000,
      });

      listener.socket.send('message:send', { text: 'lintas worker', clientMessageId: 'w-1' });
      const ack = await listener.socket.next('message:ack');
      const message = await broadcaster.socket.next('message:new');
      assert.equal(message['messageId'], ack['messageId']);
      broadcaster.socket.send('message:reply', {
        sessionId: session.sessionId,
        text: 'diterima',
        clientMessageId: 'w-r1',
      });
      assert.equal((await listener.socket.next('message:receive'))['text'], 'diterima');
      listener.socket.send('user:typing', { isTyping: true });
      assert.deepEqual(await broadcaster.socket.next('user:typing'), { sessionId: session.sessionId, isTyping: true });
      await Promise.all([listener.socket.close(), broadcaster.socket.close(), otherListener.socket.close()]);
    }));

  test('a worker killed with SIGKILL is replaced and the service goes on', () =>
    deployment.withLogs(async () => {
      const [victim] = listeningPids(cluster);
      process.kill(victim!, 'SIGKILL');
      await cluster.waitForLog((e) => e.msg === 'worker died; starting a new one' && e['signal'] === 'SIGKILL', 5000);
      await waitFor(() => listeningPids(cluster).length === 3, {
        message: 'a replacement worker to listen',
        timeoutMs: 15_000,
      });
      const replacement = listeningPids(cluster)[2]!;
      assert.ok(![...listeningPids(cluster).slice(0, 2)].includes(replacement));
      await cluster.ready();

      const token = await loginAdmin({ baseUrl: cluster.baseUrl, admin: deployment.admin });
      const session = await createSession(cluster, 'Citra');
      const listener = await open(listenerUrl(cluster, session.sessionToken));
      const broadcaster = await open(adminUrl(cluster, token));
      listener.socket.send('message:send', { text: 'masih jalan', clientMessageId: 'k-1' });
      const ack = await listener.socket.next('message:ack');
      assert.equal((await broadcaster.socket.next('message:new'))['messageId'], ack['messageId']);
      assert.ok(cluster.running, 'the primary is still running');
      await Promise.all([listener.socket.close(), broadcaster.socket.close()]);
    }));

  test('SIGTERM to the primary stops the workers and exits 0', async () => {
    const exit = await cluster.kill('SIGTERM');
    assert.deepEqual(exit, { code: 0, signal: null }, cluster.tail(20));
    assert.ok(cluster.entries().some((e) => e.msg === 'stopping workers'));
    assert.equal(cluster.entries().filter((e) => e.msg === 'stopped').length, 2, 'both live workers stopped cleanly');
  });
});

describe('cluster mode without Redis', () => {
  test('more than one worker without REDIS_URL exits 1 with one line naming LIVECHAT_WORKERS', async () => {
    const env = { LIVECHAT_JWT_SECRET: TEST_JWT_SECRET, DATABASE_URL: 'sqlite::memory:', PORT: '0', HOST: '127.0.0.1' };
    const [flag, variable] = await Promise.all([
      runCommand(['start', '--workers', '2'], env),
      runCommand(['start'], { ...env, LIVECHAT_WORKERS: '3' }),
    ]);
    for (const result of [flag, variable]) {
      assert.equal(result.code, 1, result.stderr);
      const lines = result.stderr.trim().split('\n');
      assert.equal(lines.length, 1, `one line: ${result.stderr}`);
      assert.match(lines[0]!, /^livechat: configuration error: LIVECHAT_WORKERS: .*REDIS_URL/);
      assert.doesNotMatch(result.stdout, /listening/);
    }
  });

  test('the Redis broker timings come from the environment; inconsistent ones are refused by name', () => {
    const base = { LIVECHAT_JWT_SECRET: TEST_JWT_SECRET, DATABASE_URL: 'sqlite::memory:' };
    assert.deepEqual(loadConfig(base).redisTimings, {
      registryTtlMs: 15_000,
      registryRefreshIntervalMs: 5000,
      sweepIntervalMs: 5000,
      probeIntervalMs: 5000,
    });
    assert.deepEqual(
      loadConfig({
        ...base,
        LIVECHAT_REDIS_REGISTRY_TTL_MS: '1500',
        LIVECHAT_REDIS_REGISTRY_REFRESH_MS: '400',
        LIVECHAT_REDIS_SWEEP_INTERVAL_MS: '300',
        LIVECHAT_REDIS_PROBE_INTERVAL_MS: '400',
      }).redisTimings,
      { registryTtlMs: 1500, registryRefreshIntervalMs: 400, sweepIntervalMs: 300, probeIntervalMs: 400 },
    );
    assert.throws(
      () => loadConfig({ ...base, LIVECHAT_REDIS_REGISTRY_TTL_MS: '1000', LIVECHAT_REDIS_REGISTRY_REFRESH_MS: '1000' }),
      /^ConfigError: LIVECHAT_REDIS_REGISTRY_REFRESH_MS: must be shorter/,
    );
    assert.throws(
      () => loadConfig({ ...base, LIVECHAT_REDIS_REGISTRY_TTL_MS: '28000' }),
      /LIVECHAT_REDIS_REGISTRY_TTL_MS: plus LIVECHAT_REDIS_SWEEP_INTERVAL_MS must stay within 30000/,
    );
    assert.throws(
      () => loadConfig({ ...base, LIVECHAT_REDIS_PROBE_INTERVAL_MS: 'soon' }),
      /LIVECHAT_REDIS_PROBE_INTERVAL_MS/,
    );
  });
});
