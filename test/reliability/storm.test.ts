/**
 * A reconnect storm: thousands of connections (LIVECHAT_RELIABILITY_SCALE),
 * spread over many 127.0.x.y source addresses, on a real server process that
 * is killed with SIGKILL and started again on the same port. Every client
 * reconnects with jittered backoff; the server stays up, keeps answering
 * /healthz meanwhile, takes every connection back, and still answers a send.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import WebSocket from 'ws';
import { createSession, json, listenerUrl } from '../helpers/clients.js';
import { Deployment, type Instance } from '../helpers/instances.js';
import { report } from './lib/report.js';
import { prng, reliabilityScale, reliabilitySeed } from './lib/scale.js';
import { sleep } from '../helpers/wait.js';

const scale = reliabilityScale();

class StormClient {
  ws: WebSocket | undefined;
  greeted = 0;
  attempts = 0;
  refused = 0;
  private stopped = false;

  constructor(
    private readonly url: string,
    private readonly localAddress: string,
    private readonly jitter: () => number,
  ) {}

  get connected(): boolean {
    return this.ws?.readyState === WebSocket.OPEN && this.greeted > 0;
  }

  connect(delayMs: number): void {
    setTimeout(() => {
      if (this.stopped) return;
      this.attempts += 1;
      const ws = new WebSocket(this.url, { localAddress: this.localAddress, handshakeTimeout: 10_000 });
      let opened = false;
      ws.on('message', (raw) => {
        if (raw.toString().startsWith('{"event":"connection:success"')) this.greeted += 1;
      });
      ws.once('open', () => {
        opened = true;
        this.ws = ws;
      });
      ws.once('unexpected-response', (_req, res) => {
        res.resume();
        ws.terminate();
      });
      ws.on('error', () => undefined);
      ws.once('close', () => {
        if (!opened) this.refused += 1;
        if (this.ws === ws) this.ws = undefined;
        // Jittered backoff, as clients are told to (never all at once).
        this.connect(this.jitter());
      });
    }, delayMs);
  }

  stop(): void {
    this.stopped = true;
    this.ws?.terminate();
  }
}

describe('reconnect storm', () => {
  let deployment: Deployment;
  let instance: Instance;
  const clients: StormClient[] = [];

  before(async () => {
    deployment = await Deployment.create({ withoutRedis: true });
    instance = await deployment.start({ env: { LIVECHAT_HEARTBEAT_INTERVAL_MS: '30000' } });
  });
  after(async () => {
    for (const client of clients) client.stop();
    await deployment?.stop();
  });

  test(
    `${scale.stormConnections} clients reconnect after a crash; the server stays up`,
    { timeout: scale.testTimeoutMs },
    (t) =>
      deployment.withLogs(async () => {
        const seed = reliabilitySeed();
        const rng = prng(seed);
        t.diagnostic(`seed ${seed}`);
        const tabs = 5;
        const sessions: { sessionId: string; sessionToken: string }[] = [];
        for (let i = 0; i < Math.ceil(scale.stormConnections / tabs); i += 20) {
          sessions.push(...(await Promise.all(Array.from({ length: 20 }, () => createSession(instance)))));
        }
        const addresses = 60;
        for (let i = 0; i < scale.stormConnections; i++) {
          const session = sessions[Math.floor(i / tabs)]!;
          const address = `127.0.${2 + (i % addresses)}.${1 + (Math.floor(i / addresses) % 250)}`;
          clients.push(
            new StormClient(listenerUrl(instance, session.sessionToken), address, () =>
              rng.int(100, scale.stormJitterMs),
            ),
          );
        }
        const connected = () => clients.filter((c) => c.connected).length;
        const waitAll = async (what: string, timeoutMs: number) => {
          const deadline = Date.now() + timeoutMs;
          while (connected() < clients.length && Date.now() < deadline) await sleep(100);
          assert.equal(connected(), clients.length, `${what}: every client connected`);
        };

        const started = Date.now();
        for (const client of clients) client.connect(rng.int(0, scale.stormJitterMs));
        await waitAll('first wave', 60_000);
        const firstWaveMs = Date.now() - started;

        // Crash and restart on the same port: every connection drops at once, every client comes back.
        await instance.kill('SIGKILL');
        const crashedAt = Date.now();
        const restart = instance.start();
        const health: number[] = [];
        let healthFailures = 0;
        const poll = (async () => {
          await restart.catch(() => undefined);
          while (connected() < clients.length && Date.now() - crashedAt < 90_000) {
            const t0 = Date.now();
            const response = await fetch(`${instance.baseUrl}/healthz`, { signal: AbortSignal.timeout(5000) }).catch(
              () => undefined,
            );
            if (response?.status === 200) health.push(Date.now() - t0);
            else healthFailures += 1;
            await response?.text();
            await sleep(100);
          }
        })();
        await restart;
        await waitAll('after the crash', 90_000);
        const stormMs = Date.now() - crashedAt;
        await poll;

        // Still serving: a send is acknowledged, and the process is the one that was started.
        const probeSession = await createSession(instance);
        const probe = new WebSocket(listenerUrl(instance, probeSession.sessionToken));
        const acked = await new Promise<boolean>((resolve) => {
          probe.on('message', (raw) => {
            const text = raw.toString();
            if (text.startsWith('{"event":"connection:success"'))
              probe.send(JSON.stringify({ event: 'message:send', data: { text: 'setelah badai' } }));
            if (text.startsWith('{"event":"message:ack"')) resolve(true);
          });
          setTimeout(() => resolve(false), 10_000);
        });
        probe.terminate();
        assert.ok(acked, 'a send after the storm is acknowledged');
        assert.equal((await json(`${instance.baseUrl}/healthz`)).status, 200);
        assert.ok(instance.running, 'the server stayed up');
        const errors = instance.entries({ currentRun: true }).filter((e) => e.level >= 50);
        assert.deepEqual(
          errors.map((e) => e.msg),
          [],
          'no error logged during the storm',
        );
        assert.equal(healthFailures, 0, '/healthz answered throughout');
        const attempts = clients.reduce((n, c) => n + c.attempts, 0);
        const refused = clients.reduce((n, c) => n + c.refused, 0);
        const maxHealth = Math.max(...health);
        report(
          t,
          'reconnect storm after kill -9',
          `${clients.length} connections back ${stormMs} ms after the crash; /healthz max ${maxHealth} ms`,
          {
            connections: clients.length,
            sourceAddresses: addresses,
            firstWaveMs,
            reconnectMs: stormMs,
            attempts,
            refusedWhileDown: refused,
            healthzMaxMs: maxHealth,
            healthzFailures: healthFailures,
          },
        );
      }),
  );
});
