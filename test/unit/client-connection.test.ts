import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  connectBroadcaster,
  connectListener,
  startListener,
  type ListenerClientOptions,
  type StateChange,
} from '../../src/client/index.js';
import { ack, FakeClock, FakeNetwork, FakeSocket, flush, SESSION_A, SESSION_B } from './client-fakes.js';

function setup(extra: Partial<ListenerClientOptions> = {}) {
  FakeSocket.reset();
  const clock = new FakeClock();
  const network = new FakeNetwork();
  const states: StateChange[] = [];
  const client = connectListener({
    baseUrl: 'https://radio.example/chat',
    token: 'token-1',
    WebSocket: FakeSocket,
    timers: clock,
    network,
    random: () => 0.999999,
    backoff: { baseMs: 500, maxMs: 30_000 },
    goingAwayDelayMs: 1000,
    policyDelayMs: 60_000,
    autoConnect: false,
    ...extra,
  });
  client.on('state', (s) => states.push(s));
  client.connect();
  return { clock, network, client, states };
}

function receive(socket: FakeSocket, messageId: string, text = `pesan ${messageId}`) {
  socket.deliver('message:receive', { messageId, from: 'Penyiar Budi', text, createdAt: new Date().toISOString() });
}

describe('connection and close codes', () => {
  test('connects to the listener endpoint with the token; open only after connection:success', () => {
    const { client, states } = setup();
    const socket = FakeSocket.last;
    assert.equal(new URL(socket.url).origin + new URL(socket.url).pathname, 'wss://radio.example/chat/livechat/ws');
    assert.equal(socket.query.get('token'), 'token-1');
    assert.equal(socket.query.has('lastMessageId'), false);
    assert.equal(client.state, 'connecting');
    socket.open();
    assert.equal(client.state, 'connecting');
    socket.acceptListener();
    assert.equal(client.state, 'open');
    assert.equal(client.sessionInfo?.sessionId, SESSION_A);
    assert.deepEqual(
      states.map((s) => s.state),
      ['connecting', 'open'],
    );
  });

  test('1001 (server going away): reconnects soon, even after a run of failures', () => {
    const { clock, states } = setup();
    for (let i = 0; i < 6; i++) {
      FakeSocket.last.serverClose(1006);
      clock.advance(states.at(-1)!.retryInMs!);
    }
    assert.equal(states.at(-1)!.state, 'connecting', 'never connected yet: still "connecting"');
    FakeSocket.last.acceptListener();
    FakeSocket.last.serverClose(1001);
    const s = states.at(-1)!;
    assert.equal(s.state, 'reconnecting');
    assert.equal(s.closeCode, 1001);
    assert.ok(s.retryInMs! <= 1000, `retry in ${s.retryInMs} ms`);
    const before = FakeSocket.instances.length;
    clock.advance(1000);
    assert.equal(FakeSocket.instances.length, before + 1);
    // And if the restarted server is not up yet, backoff starts from the first window.
    FakeSocket.last.serverClose(1006);
    assert.ok(states.at(-1)!.retryInMs! <= 500);
  });

  test('1008 (policy, rate-limit abuse): backs off long', () => {
    const { clock, states } = setup();
    FakeSocket.last.acceptListener();
    FakeSocket.last.serverClose(1008);
    const s = states.at(-1)!;
    assert.equal(s.closeCode, 1008);
    assert.ok(s.retryInMs! >= 30_000 && s.retryInMs! <= 60_000, `retry in ${s.retryInMs} ms`);
    const before = FakeSocket.instances.length;
    clock.advance(29_999);
    assert.equal(FakeSocket.instances.length, before);
    clock.advance(s.retryInMs! - 29_999);
    assert.equal(FakeSocket.instances.length, before + 1);
  });

  test('HTTP 429 on the upgrade (too many connections) also backs off long', () => {
    const { states } = setup();
    FakeSocket.last.refuse(429);
    assert.ok(states.at(-1)!.retryInMs! >= 30_000);
  });

  test('4401: asks refreshToken for a fresh token, then reconnects with it', async () => {
    let calls = 0;
    const { client, states } = setup({
      refreshToken: async () => {
        calls++;
        return { token: 'token-2', expiresAt: new Date(Date.now() + 3_600_000).toISOString() };
      },
    });
    FakeSocket.last.acceptListener();
    const m = client.sendMessage('belum sempat di-ack');
    FakeSocket.last.deliver('error:invalid_token', { message: 'token kedaluwarsa' });
    FakeSocket.last.serverClose(4401);
    assert.equal(states.at(-1)!.reason, 'token');
    await flush();
    assert.equal(calls, 1);
    const socket = FakeSocket.last;
    assert.equal(socket.query.get('token'), 'token-2');
    socket.acceptListener();
    assert.equal(client.state, 'open');
    assert.equal(socket.messages('message:send')[0]?.['clientMessageId'], m.clientMessageId);
  });

  test('startListener renews an expired session linked to it (previousSessionToken)', async () => {
    FakeSocket.reset();
    const bodies: Record<string, unknown>[] = [];
    const fetch = async (_url: string, init?: { body?: string }) => {
      bodies.push(JSON.parse(init?.body ?? '{}') as Record<string, unknown>);
      const n = bodies.length;
      const body = {
        sessionId: n === 1 ? SESSION_A : SESSION_B,
        sessionToken: `token-${n}`,
        expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
      };
      return { ok: true, status: 201, json: async () => body } as unknown as Response;
    };
    const { client } = await startListener({
      baseUrl: 'http://chat.test',
      name: 'Sari',
      fetch,
      WebSocket: FakeSocket,
      timers: new FakeClock(),
      network: new FakeNetwork(),
    });
    FakeSocket.last.acceptListener();
    FakeSocket.last.serverClose(4401);
    await flush();
    assert.deepEqual(bodies[1], { name: 'Sari', previousSessionToken: 'token-1' });
    assert.equal(FakeSocket.last.query.get('token'), 'token-2');
    client.close();
  });

  test('4401 without a way to renew the token: state "expired", no reconnect', () => {
    const { client, clock } = setup();
    FakeSocket.last.acceptListener();
    FakeSocket.last.serverClose(4401);
    assert.equal(client.state, 'expired');
    const before = FakeSocket.instances.length;
    clock.advance(600_000);
    assert.equal(FakeSocket.instances.length, before);
  });

  test('refreshToken returning null gives up with state "expired"', async () => {
    const { client } = setup({ refreshToken: async () => null });
    FakeSocket.last.acceptListener();
    FakeSocket.last.serverClose(4401);
    await flush();
    assert.equal(client.state, 'expired');
  });

  test('an HTTP 401 answer to the upgrade is treated like 4401', async () => {
    let calls = 0;
    setup({ refreshToken: async () => (calls++, 'token-3') });
    FakeSocket.last.refuse(401);
    await flush();
    assert.equal(calls, 1);
    assert.equal(FakeSocket.last.query.get('token'), 'token-3');
  });

  test('a fresh token that is refused again does not make the client spin', async () => {
    let calls = 0;
    const { clock } = setup({ refreshToken: async () => (calls++, `token-${calls + 1}`) });
    FakeSocket.last.refuse(401);
    await flush();
    FakeSocket.last.refuse(401);
    await flush();
    assert.equal(calls, 1, 'second refusal waits for the backoff before asking again');
    clock.advance(clock.nextDelay()!);
    await flush();
    assert.equal(calls, 2);
  });

  test('a token known to have expired is renewed before connecting', async () => {
    const clock = new FakeClock();
    FakeSocket.reset();
    let calls = 0;
    connectListener({
      baseUrl: 'http://chat.test',
      token: 'old',
      expiresAt: clock.now() - 1,
      WebSocket: FakeSocket,
      timers: clock,
      network: new FakeNetwork(),
      refreshToken: async () => (calls++, 'new'),
    });
    await flush();
    assert.equal(calls, 1);
    assert.equal(FakeSocket.instances.length, 1);
    assert.equal(FakeSocket.last.query.get('token'), 'new');
  });

  test('HTTP 403 (origin refused / wrong kind of token) stops for good', () => {
    const { client, clock, states } = setup();
    FakeSocket.last.refuse(403);
    assert.equal(client.state, 'closed');
    assert.equal(states.at(-1)!.reason, 'forbidden');
    clock.advance(600_000);
    assert.equal(FakeSocket.instances.length, 1);
  });

  test('no connection:success within the handshake timeout: drop and retry', () => {
    const { clock, states } = setup({ handshakeTimeoutMs: 3000 });
    FakeSocket.last.open();
    clock.advance(3000);
    assert.equal(FakeSocket.instances[0]!.closedWith, 1000);
    assert.equal(states.at(-1)!.state, 'reconnecting');
    assert.equal(states.at(-1)!.reason, 'handshake');
    clock.advance(states.at(-1)!.retryInMs!);
    assert.equal(FakeSocket.instances.length, 2);
  });

  test('close() stops reconnecting and closes the socket with 1000', () => {
    const { client, clock, network } = setup();
    FakeSocket.last.acceptListener();
    client.close();
    assert.equal(FakeSocket.last.closedWith, 1000);
    assert.equal(client.state, 'closed');
    clock.advance(600_000);
    network.goOffline();
    network.goOnline();
    assert.equal(FakeSocket.instances.length, 1);
    assert.equal(network.subscribers, 0);
  });

  test('frames that do not match the schemas are reported, not delivered', () => {
    const { client } = setup();
    const errors: unknown[] = [];
    const received: unknown[] = [];
    client.on('protocol:error', (e) => errors.push(e));
    client.on('message:receive', (m) => received.push(m));
    FakeSocket.last.acceptListener();
    FakeSocket.last.deliverRaw('not json');
    FakeSocket.last.deliver('message:receive', { messageId: 'abc', from: 'x', text: 'y', createdAt: 'kemarin' });
    FakeSocket.last.deliver('message:new', { hello: 1 });
    assert.equal(errors.length, 3);
    assert.equal(received.length, 0);
    assert.equal(client.state, 'open');
  });
});

describe('browser online / offline events', () => {
  test('offline closes the socket and waits; online reconnects at once', () => {
    const { client, clock, network, states } = setup();
    FakeSocket.last.acceptListener();
    network.goOffline();
    assert.equal(client.state, 'offline');
    assert.equal(FakeSocket.last.closedWith, 1000);
    clock.advance(600_000);
    assert.equal(FakeSocket.instances.length, 1, 'no attempts while offline');
    network.goOnline();
    assert.equal(FakeSocket.instances.length, 2);
    assert.equal(states.at(-1)!.state, 'reconnecting');
    FakeSocket.last.acceptListener();
    assert.equal(client.state, 'open');
  });

  test('a connection lost while offline waits for online instead of scheduling retries', () => {
    const { client, clock, network } = setup();
    FakeSocket.last.acceptListener();
    network.online = false; // navigator.onLine went false without an event yet
    FakeSocket.last.serverClose(1006);
    assert.equal(client.state, 'offline');
    clock.advance(600_000);
    assert.equal(FakeSocket.instances.length, 1);
    network.goOnline();
    assert.equal(FakeSocket.instances.length, 2);
  });

  test('starting while offline waits for the online event', () => {
    FakeSocket.reset();
    const network = new FakeNetwork();
    network.online = false;
    const client = connectListener({
      baseUrl: 'http://chat.test',
      token: 't',
      WebSocket: FakeSocket,
      timers: new FakeClock(),
      network,
    });
    assert.equal(client.state, 'offline');
    assert.equal(FakeSocket.instances.length, 0);
    network.goOnline();
    assert.equal(FakeSocket.instances.length, 1);
    client.close();
  });
});

describe('resume and dedup', () => {
  test('message:receive is delivered once per messageId, and the resume passes lastMessageId', () => {
    const { client, clock } = setup();
    const seen: string[] = [];
    client.on('message:receive', (m) => seen.push(m.messageId));
    FakeSocket.last.acceptListener();
    receive(FakeSocket.last, '10');
    receive(FakeSocket.last, '11');
    receive(FakeSocket.last, '10');
    FakeSocket.last.serverClose(1006);
    clock.advance(clock.nextDelay()!);
    const socket = FakeSocket.last;
    assert.equal(socket.query.get('lastMessageId'), '11');
    socket.acceptListener();
    // A replay overlapping what already arrived.
    receive(socket, '11');
    receive(socket, '12');
    receive(socket, '12');
    assert.deepEqual(seen, ['10', '11', '12']);
    assert.equal(client.lastMessageId, '12');
  });

  test('knownMessageIds and lastMessageId from a previous page load suppress replays of them', () => {
    const { client } = setup({ lastMessageId: '7', knownMessageIds: ['5', '6', '7'] });
    const seen: string[] = [];
    client.on('message:receive', (m) => seen.push(m.messageId));
    assert.equal(FakeSocket.last.query.get('lastMessageId'), '7');
    FakeSocket.last.acceptListener();
    for (const id of ['5', '6', '7', '8']) receive(FakeSocket.last, id);
    assert.deepEqual(seen, ['8']);
  });

  test("a refreshed token for a new session drops the old session's lastMessageId", async () => {
    const { clock } = setup({
      refreshToken: async () => ({
        sessionToken: 'new-session-token',
        sessionId: SESSION_B,
        expiresAt: new Date(Date.now() + 1e6).toISOString(),
      }),
    });
    FakeSocket.last.acceptListener(SESSION_A);
    receive(FakeSocket.last, '40');
    FakeSocket.last.serverClose(4401);
    await flush();
    clock.advance(0);
    assert.equal(FakeSocket.last.query.get('token'), 'new-session-token');
    assert.equal(FakeSocket.last.query.has('lastMessageId'), false);
  });

  test('broadcasters get message:new once per messageId and presence is tracked', () => {
    FakeSocket.reset();
    const client = connectBroadcaster({
      baseUrl: 'http://chat.test',
      token: 'admin',
      WebSocket: FakeSocket,
      timers: new FakeClock(),
      network: new FakeNetwork(),
    });
    assert.equal(new URL(FakeSocket.last.url).pathname, '/livechat/admin/ws');
    const got: string[] = [];
    client.on('message:new', (m) => got.push(m.messageId));
    FakeSocket.last.acceptBroadcaster();
    const msg = {
      messageId: '3',
      sessionId: SESSION_A,
      direction: 'listener',
      from: 'Rina',
      text: 'Halo',
      createdAt: new Date().toISOString(),
    };
    FakeSocket.last.deliver('message:new', msg);
    FakeSocket.last.deliver('message:new', msg);
    FakeSocket.last.deliver('presence:update', { sessionId: SESSION_A, online: true });
    assert.deepEqual(got, ['3']);
    assert.equal(client.presence.get(SESSION_A), true);
    assert.equal(client.accountInfo?.name, 'Penyiar Budi');
    FakeSocket.last.deliver('message:ack', ack(undefined, '4'));
    client.close();
  });
});
