/**
 * The whole flow through a real load balancer: nginx running the repository's
 * deploy/nginx/livechat.conf in front of two instances (LIVECHAT_TRUST_PROXY=
 * loopback). Listener and broadcaster land on different instances and talk;
 * the service sees the listener's address from X-Forwarded-For; an idle chat
 * outlives nginx's read timeout thanks to the heartbeat; when the listener's
 * instance is killed, its reconnection through nginx lands on the other one.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import WebSocket from 'ws';
import { TestSocket, adminUrl, createSession, json, listenerUrl, loginAdmin } from '../helpers/clients.js';
import { Deployment, type Instance } from '../helpers/instances.js';
import { sleep, waitFor } from '../helpers/wait.js';
import { NGINX_CONF, renderConfig, startNginx, type RunningNginx } from './nginx.js';
import { readFileSync } from 'node:fs';

/** The listener connects from this loopback address; nginx connects to the instances from 127.0.0.1. */
const LISTENER_ADDRESS = '127.0.0.2';
/** Read timeout of the rendered copy, shorter than the repository's so that the idle test stays short. */
const TEST_READ_TIMEOUT_S = 3;

/** A WebSocket from a chosen local address, recording frames (TestSocket cannot bind an address). */
class BoundSocket {
  readonly frames: { event: string; data: Record<string, unknown> }[] = [];
  readonly closed: Promise<number>;
  private constructor(readonly ws: WebSocket) {
    ws.on('message', (raw) => this.frames.push(JSON.parse(raw.toString())));
    this.closed = new Promise((resolve) => ws.on('close', (code) => resolve(code)));
  }

  static open(url: string, localAddress: string): Promise<BoundSocket> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { localAddress });
      const socket = new BoundSocket(ws);
      ws.once('open', () => resolve(socket));
      ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused with HTTP ${res.statusCode}`)));
      ws.once('error', reject);
    });
  }

  async next(event: string, after = 0, timeoutMs = 5000): Promise<Record<string, unknown>> {
    let found: Record<string, unknown> | undefined;
    await waitFor(() => (found = this.frames.slice(after).find((f) => f.event === event)?.data) !== undefined, {
      message: `${event} through nginx; got ${JSON.stringify(this.frames.map((f) => f.event))}`,
      timeoutMs,
    });
    return found!;
  }

  send(event: string, data: unknown): void {
    this.ws.send(JSON.stringify({ event, data }));
  }

  async close(): Promise<void> {
    if (this.ws.readyState !== WebSocket.CLOSED) this.ws.close();
    await this.closed;
  }
}

/** Which instance logged the connection with this connectionId (waiting for its log line), and the IP it saw. */
async function whereConnected(
  instances: Instance[],
  connectionId: unknown,
): Promise<{ instance: Instance; ip: unknown }> {
  let found: { instance: Instance; ip: unknown } | undefined;
  await waitFor(
    () => {
      for (const instance of instances) {
        const entry = instance.entries().find((e) => e.msg === 'connected' && e['connectionId'] === connectionId);
        if (entry) found = { instance, ip: entry['ip'] };
      }
      return found !== undefined;
    },
    { message: `the "connected" log line of ${String(connectionId)}`, timeoutMs: 5000 },
  );
  return found!;
}

describe('two instances behind nginx', () => {
  let deployment: Deployment;
  let instances: Instance[];
  let nginx: RunningNginx;
  const sockets: { close(): Promise<void> }[] = [];

  before(async () => {
    deployment = await Deployment.create({
      env: { LIVECHAT_TRUST_PROXY: 'loopback', LIVECHAT_HEARTBEAT_INTERVAL_MS: '1500' },
    });
    instances = await deployment.startMany(2);
    nginx = await startNginx({
      upstreamPorts: instances.map((i) => i.port),
      override: { proxy_read_timeout: `${TEST_READ_TIMEOUT_S}s`, proxy_send_timeout: `${TEST_READ_TIMEOUT_S}s` },
    });
  });

  after(async () => {
    await Promise.all(sockets.map((socket) => socket.close()));
    await nginx?.stop();
    await deployment?.stop();
  });

  const withLogs = <T>(body: () => Promise<T>) =>
    deployment.withLogs(async () => {
      try {
        return await body();
      } catch (error) {
        if (error instanceof Error)
          error.message += `\n\nnginx error.log:\n${nginx.logs().error.split('\n').slice(-30).join('\n')}`;
        throw error;
      }
    });

  test('the configuration passes WebSocket upgrades, X-Forwarded-For, and outwaits the heartbeat', () => {
    const conf = readFileSync(NGINX_CONF, 'utf8');
    assert.match(conf, /proxy_http_version 1\.1;/);
    assert.match(conf, /proxy_set_header Upgrade \$http_upgrade;/);
    assert.match(conf, /proxy_set_header Connection \$\w+;/);
    assert.match(conf, /proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;/);
    assert.match(conf, /proxy_buffering off;/);
    const wsLocation = /location ~ \^\/livechat\/\(admin\/\)\?ws\$ \{([\s\S]*?)\n {4}\}/.exec(conf)?.[1] ?? '';
    const readTimeout = /proxy_read_timeout (\d+)s;/.exec(wsLocation)?.[1];
    assert.ok(readTimeout, 'the WebSocket location sets proxy_read_timeout');
    assert.ok(Number(readTimeout) * 1000 >= 2 * 30_000, 'at least two default heartbeat intervals (30 s)');
    // The rendered copy keeps everything but addresses and the overridden timeouts.
    const rendered = renderConfig(conf, { upstreamPorts: [1, 2], port: 3, override: { proxy_read_timeout: '3s' } });
    assert.match(rendered, /server 127\.0\.0\.1:1 max_fails=1 fail_timeout=5s;\s+server 127\.0\.0\.1:2 max_fails/);
    assert.match(rendered, /listen 127\.0\.0\.1:3;/);
  });

  test('a conversation through nginx, parties on different instances, client IP from X-Forwarded-For', () =>
    withLogs(async () => {
      const token = await loginAdmin({ baseUrl: nginx.baseUrl, admin: deployment.admin });
      const session = await createSession(nginx, 'Lintang', 'Malang');

      const listener = await BoundSocket.open(listenerUrl(nginx, session.sessionToken), LISTENER_ADDRESS);
      sockets.push(listener);
      const hello = await listener.next('connection:success');
      const broadcaster = await TestSocket.open(adminUrl(nginx, token));
      sockets.push(broadcaster);
      const greeting = await broadcaster.next('connection:success');

      const listenerAt = await whereConnected(instances, hello['connectionId']);
      const broadcasterAt = await whereConnected(instances, greeting['connectionId']);
      assert.notEqual(
        listenerAt.instance.name,
        broadcasterAt.instance.name,
        'least_conn spread them over both instances',
      );
      assert.equal(listenerAt.ip, LISTENER_ADDRESS, 'the instance saw the listener address from X-Forwarded-For');
      assert.equal(broadcasterAt.ip, '127.0.0.1');

      listener.send('message:send', { text: 'Salam dari Malang', clientMessageId: 'n-1' });
      const ack = await listener.next('message:ack');
      const message = await broadcaster.next('message:new');
      assert.equal(message['messageId'], ack['messageId']);
      assert.equal(message['text'], 'Salam dari Malang');

      broadcaster.send('message:reply', {
        sessionId: session.sessionId,
        text: 'Salam balik!',
        clientMessageId: 'n-r1',
      });
      await broadcaster.next('message:ack');
      assert.equal((await listener.next('message:receive'))['text'], 'Salam balik!');

      listener.send('user:typing', { isTyping: true });
      assert.deepEqual(await broadcaster.next('user:typing'), { sessionId: session.sessionId, isTyping: true });
      broadcaster.send('user:typing', { sessionId: session.sessionId, isTyping: true });
      assert.deepEqual(await listener.next('user:typing'), { from: 'Penyiar A', isTyping: true });

      // REST through nginx too.
      const sessions = await json(`${nginx.baseUrl}/livechat/admin/sessions`, { token });
      const listed = (sessions.body.sessions as { sessionId: string; online: boolean; city: string }[]).find(
        (s) => s.sessionId === session.sessionId,
      );
      assert.equal(listed?.online, true);
      const history = await json(`${nginx.baseUrl}/livechat/admin/sessions/${session.sessionId}/messages`, { token });
      assert.deepEqual(
        (history.body.messages as { text: string }[]).map((m) => m.text),
        ['Salam dari Malang', 'Salam balik!'],
      );
      assert.match(nginx.logs().access, /GET \/livechat\/admin\/sessions HTTP\/1\.1" 200/);
    }));

  test('an idle chat outlives the proxy read timeout: the heartbeat keeps it open', () =>
    withLogs(async () => {
      const token = await loginAdmin({ baseUrl: nginx.baseUrl, admin: deployment.admin });
      const session = await createSession(nginx, 'Sepi');
      const listener = await TestSocket.open(listenerUrl(nginx, session.sessionToken));
      sockets.push(listener);
      await listener.next('connection:success');
      const broadcaster = await TestSocket.open(adminUrl(nginx, token));
      sockets.push(broadcaster);
      await broadcaster.next('connection:success');

      await sleep(TEST_READ_TIMEOUT_S * 1000 + 1500);
      assert.equal(listener.ws.readyState, WebSocket.OPEN, 'still open after the read timeout');
      listener.send('message:send', { text: 'masih di sini', clientMessageId: 'idle-1' });
      const ack = await listener.next('message:ack');
      assert.equal(
        (await broadcaster.next('message:new'))['messageId'],
        ack['messageId'],
        'and still delivering both ways',
      );
      await Promise.all([listener.close(), broadcaster.close()]);
    }));

  test('a listener whose instance is killed reconnects through nginx to the other one and resends', () =>
    withLogs(async () => {
      const token = await loginAdmin({ baseUrl: nginx.baseUrl, admin: deployment.admin });
      const session = await createSession(nginx, 'Pindah');
      const listener = await TestSocket.open(listenerUrl(nginx, session.sessionToken));
      sockets.push(listener);
      const first = await listener.next('connection:success');
      const victim = (await whereConnected(instances, first['connectionId'])).instance;
      const survivor = instances.find((i) => i !== victim)!;
      const broadcaster = await TestSocket.open(adminUrl(nginx, token));
      sockets.push(broadcaster);
      const greeting = await broadcaster.next('connection:success');
      assert.equal((await whereConnected(instances, greeting['connectionId'])).instance.name, survivor.name);

      listener.send('message:send', { text: 'sebelum pindah', clientMessageId: 'mv-1' });
      const before = await listener.next('message:ack');
      await victim.kill('SIGKILL');
      const closed = await listener.closed;
      assert.notEqual(closed.code, 1000, 'the connection broke');

      // The client reconnects to the same public address and resends with the same id.
      const again = await TestSocket.open(listenerUrl(nginx, session.sessionToken, undefined));
      sockets.push(again);
      const second = await again.next('connection:success');
      assert.equal(
        (await whereConnected(instances, second['connectionId'])).instance.name,
        survivor.name,
        'nginx sent it to the survivor',
      );
      again.send('message:send', { text: 'sebelum pindah', clientMessageId: 'mv-1' });
      const dup = await again.next('message:ack');
      assert.equal(dup['messageId'], before['messageId']);
      assert.equal(dup['duplicate'], true);
      again.send('message:send', { text: 'sesudah pindah', clientMessageId: 'mv-2' });
      const afterAck = await again.next('message:ack');
      await waitFor(() => broadcaster.all('message:new').some((m) => m['messageId'] === afterAck['messageId']), {
        message: 'the new message at the broadcaster',
        timeoutMs: 5000,
      });
      const rows = await deployment.query<{ n: string }>('SELECT count(*) AS n FROM messages WHERE session_id = $1', [
        session.sessionId,
      ]);
      assert.equal(Number(rows[0]!.n), 2);
    }));
});
