/**
 * The SDK against a real server (in this process, SQLite, in-memory broker),
 * in Node with the `ws` package: the cases where the server's behaviour
 * matters — dedup of a resent clientMessageId, resume with lastMessageId,
 * a restart (1001) with messages queued meanwhile, an expired token (4401)
 * and a refused handshake (401).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { WebSocket } from 'ws';
import { TokenService } from '../../src/auth/tokens.js';
import {
  connectBroadcaster,
  connectListener,
  createSession,
  startBroadcaster,
  startListener,
  type BroadcasterClient,
  type BroadcasterServerEvents,
  type ListenerServerEvents,
  type ConnectionState,
  type Message,
  type StateChange,
} from '../../src/client/index.js';
import { startTestServer, TEST_JWT_SECRET, type TestServer } from '../helpers/server.js';

let server: TestServer;
let broadcaster: BroadcasterClient;
const clients: { close(): void }[] = [];
const options = () => ({ baseUrl: server.baseUrl, WebSocket, network: false as const });

function track<T extends { close(): void }>(client: T): T {
  clients.push(client);
  return client;
}

/** Resolves with the first event matching `predicate`. */
function next<T>(
  subscribe: (listener: (data: T) => void) => () => void,
  predicate: (data: T) => boolean = () => true,
  timeoutMs = 10_000,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error('timed out waiting for an event'));
    }, timeoutMs);
    const off = subscribe((data) => {
      if (!predicate(data)) return;
      clearTimeout(timer);
      off();
      resolve(data);
    });
  });
}

interface StateSource {
  readonly state: ConnectionState;
  on(event: 'state', listener: (change: StateChange) => void): () => void;
}

function reachState(client: StateSource, state: ConnectionState, timeoutMs = 10_000): Promise<unknown> {
  if (client.state === state) return Promise.resolve();
  return next<StateChange>(
    (l) => client.on('state', l),
    (s) => s.state === state,
    timeoutMs,
  );
}

async function history(sessionId: string): Promise<Message[]> {
  return broadcaster.getAllMessages(sessionId);
}

describe('SDK against a real server', () => {
  before(async () => {
    server = await startTestServer();
    ({ client: broadcaster } = await startBroadcaster({
      ...options(),
      username: server.admin.username,
      password: server.admin.password,
    }));
    track(broadcaster);
    await reachState(broadcaster, 'open');
  });

  after(async () => {
    for (const c of clients) c.close();
    await server?.stop();
  });

  test('listener and broadcaster talk: send, ack, message:new, reply, message:receive, presence, typing', async () => {
    const online = next<BroadcasterServerEvents['presence:update']>(
      (l) => broadcaster.on('presence:update', l),
      (p) => p.online,
    );
    const { client: listener, credentials } = await startListener({ ...options(), name: 'Sari', city: 'Medan' });
    track(listener);
    await reachState(listener, 'open');
    assert.equal(listener.sessionInfo?.sessionId, credentials.sessionId);
    assert.equal((await online).sessionId, credentials.sessionId);
    assert.equal(broadcaster.presence.get(credentials.sessionId), true);

    const incoming = next<Message>(
      (l) => broadcaster.on('message:new', l),
      (m) => m.sessionId === credentials.sessionId,
    );
    const sent = listener.sendMessage('Halo dari Medan');
    const ack = await sent.ack;
    assert.equal(ack.duplicate, false);
    const message = await incoming;
    assert.deepEqual(
      [message.messageId, message.text, message.from, message.direction],
      [ack.messageId, 'Halo dari Medan', 'Sari', 'listener'],
    );

    const typing = next<BroadcasterServerEvents['user:typing']>((l) => broadcaster.on('user:typing', l));
    listener.typing().input();
    assert.deepEqual(await typing, { sessionId: credentials.sessionId, isTyping: true });
    const typingBack = next<ListenerServerEvents['user:typing']>((l) => listener.on('user:typing', l));
    broadcaster.typing(credentials.sessionId).input();
    assert.deepEqual(await typingBack, { from: server.admin.name, isTyping: true });

    const received = next<ListenerServerEvents['message:receive']>((l) => listener.on('message:receive', l));
    const replyAck = await broadcaster.reply(credentials.sessionId, 'Halo Sari!').ack;
    const reply = await received;
    assert.deepEqual([reply.messageId, reply.text, reply.from], [replyAck.messageId, 'Halo Sari!', server.admin.name]);
    assert.equal(listener.lastMessageId, reply.messageId);

    const sessions = await broadcaster.listSessions();
    assert.equal(sessions.find((s) => s.sessionId === credentials.sessionId)?.online, true);
  });

  test('a resend with the same clientMessageId is acknowledged as a duplicate and stored once', async () => {
    const { client: listener, credentials } = await startListener({ ...options(), name: 'Dedi' });
    track(listener);
    const first = await listener.send('message:send', { text: 'sekali saja', clientMessageId: 'dedi-1' }).ack;
    const again = await listener.send('message:send', { text: 'sekali saja', clientMessageId: 'dedi-1' }).ack;
    assert.equal(first.duplicate, false);
    assert.equal(again.duplicate, true);
    assert.equal(again.messageId, first.messageId);
    assert.deepEqual(
      (await history(credentials.sessionId)).map((m) => m.text),
      ['sekali saja'],
    );
  });

  test('resume: lastMessageId replays only what came after, and message:receive is deduplicated', async () => {
    const credentials = await createSession({ baseUrl: server.baseUrl, name: 'Tono' });
    const ids: string[] = [];
    for (const text of ['satu', 'dua', 'tiga'])
      ids.push((await broadcaster.reply(credentials.sessionId, text).ack).messageId);

    const got: string[] = [];
    const listener = track(
      connectListener({
        ...options(),
        token: credentials.sessionToken,
        lastMessageId: ids[0],
        knownMessageIds: [ids[1]!],
        autoConnect: false,
      }),
    );
    listener.on('message:receive', (m) => got.push(m.text));
    listener.connect();
    await reachState(listener, 'open');
    const live = next<ListenerServerEvents['message:receive']>((l) => listener.on('message:receive', l));
    await broadcaster.reply(credentials.sessionId, 'empat').ack;
    await live;
    // "dua" was known already, "satu" is before lastMessageId: only "tiga" is replayed.
    assert.deepEqual(got, ['tiga', 'empat']);
    assert.equal(listener.lastMessageId, (await history(credentials.sessionId)).at(-1)?.messageId);
  });

  test('a server restart (1001): both reconnect soon, and messages queued meanwhile are stored once, in order', async () => {
    const { client: listener, credentials } = await startListener({
      ...options(),
      name: 'Wati',
      backoff: { baseMs: 100, maxMs: 1000 },
    });
    track(listener);
    await reachState(listener, 'open');
    const closes: number[] = [];
    listener.on('state', (s) => s.closeCode !== undefined && closes.push(s.closeCode));

    await server.server.stop();
    await reachState(listener, 'reconnecting');
    assert.equal(closes[0], 1001);
    const queued = ['satu', 'dua', 'tiga'].map((text) => listener.sendMessage(`antre ${text}`));
    const reply = broadcaster.reply(credentials.sessionId, 'balasan antre');
    await server.restart();

    const acks = await Promise.all(queued.map((m) => m.ack));
    await reply.ack;
    assert.ok(acks.every((a) => !a.duplicate));
    const stored = await history(credentials.sessionId);
    assert.deepEqual(
      stored.filter((m) => m.direction === 'listener').map((m) => m.text),
      ['antre satu', 'antre dua', 'antre tiga'],
    );
    assert.equal(stored.length, 4);
    assert.equal(listener.state, 'open');
    assert.equal(broadcaster.state, 'open');
  });

  test('4401: the token expires while connected; the SDK obtains a fresh one through the callback and reconnects', async () => {
    const credentials = await createSession({ baseUrl: server.baseUrl, name: 'Ayu', city: 'Solo' });
    const tokens = new TokenService(TEST_JWT_SECRET);
    const claims = { sessionId: credentials.sessionId, name: 'Ayu', city: 'Solo' };
    const short = await tokens.signListener(claims, 2);
    let refreshed = 0;
    const listener = track(
      connectListener({
        ...options(),
        token: short.token,
        autoConnect: false,
        refreshToken: async () => {
          refreshed++;
          return (await tokens.signListener(claims, 3600)).token;
        },
      }),
    );
    const invalid = next<ListenerServerEvents['error:invalid_token']>(
      (l) => listener.on('error:invalid_token', l),
      () => true,
      5000,
    );
    const expired = next<StateChange>(
      (l) => listener.on('state', l),
      (s) => s.closeCode === 4401,
      5000,
    );
    listener.connect();
    await reachState(listener, 'open');
    await invalid;
    assert.equal((await expired).reason, 'token');
    await reachState(listener, 'open');
    assert.equal(refreshed, 1);
    assert.equal((await listener.sendMessage('masih di sini').ack).duplicate, false);
  });

  test('a refused handshake (HTTP 401) asks for a fresh token instead of retrying the bad one', async () => {
    const credentials = await createSession({ baseUrl: server.baseUrl, name: 'Rudi' });
    let refreshed = 0;
    const listener = track(
      connectListener({
        ...options(),
        token: 'not-a-token',
        refreshToken: async () => (refreshed++, credentials.sessionToken),
      }),
    );
    await reachState(listener, 'open');
    assert.equal(refreshed, 1);
    assert.equal(listener.sessionInfo?.sessionId, credentials.sessionId);
  });

  test('without a way to renew, a refused token ends in state "expired"; a session token on the admin endpoint too', async () => {
    const listener = track(connectListener({ ...options(), token: 'not-a-token' }));
    await reachState(listener, 'expired');
    const credentials = await createSession({ baseUrl: server.baseUrl, name: 'Salah Pintu' });
    const wrong = track(connectBroadcaster({ ...options(), token: credentials.sessionToken }));
    const end = await next<StateChange>(
      (l) => wrong.on('state', l),
      (s) => s.state === 'expired' || s.state === 'closed',
    );
    assert.ok(end, 'stopped instead of retrying forever');
  });
});
