/**
 * Gap detection on listener connections: a delivery whose previousMessageId
 * is newer than the last message the connection was sent is held back and
 * recovered from the store (replay after the cursor, then release), exactly
 * once and in order; messages a replay already sent are dropped; a recovery
 * runs one at a time per connection. Fake sockets and a fake store.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import pino from 'pino';
import type { Publication } from '../../src/broker/types.js';
import type { StoredMessage } from '../../src/db/types.js';
import { toReceive } from '../../src/chat/chat-service.js';
import { BroadcasterConnection, ListenerConnection, type ConnectionOptions } from '../../src/ws/connection.js';
import type { ListenerPrincipal } from '../../src/ws/handshake.js';
import { ListenerEndpoint, type EndpointDeps } from '../../src/ws/listener-endpoint.js';
import { SessionExpiries } from '../../src/ws/session-expiries.js';
import type { Store } from '../../src/db/types.js';

/** Just enough of a `ws` WebSocket: records what is sent. */
class FakeSocket {
  readonly OPEN = 1;
  readonly CONNECTING = 0;
  readyState = 1;
  bufferedAmount = 0;
  readonly sent: string[] = [];
  send(frame: string): void {
    this.sent.push(frame);
  }
  on(): this {
    return this;
  }
  close(): void {
    this.readyState = 3;
  }
  terminate(): void {
    this.readyState = 3;
  }
  /** messageIds of the message frames sent, in order. */
  messageIds(): string[] {
    return this.sent
      .map((frame) => JSON.parse(frame) as { event: string; data: { messageId?: string } })
      .filter((frame) => frame.event === 'message:receive' || frame.event === 'message:new')
      .map((frame) => frame.data.messageId!);
  }
}

function connection(): { connection: ListenerConnection; socket: FakeSocket };
function connection(kind: 'broadcaster'): { connection: BroadcasterConnection; socket: FakeSocket };
function connection(kind: 'listener' | 'broadcaster' = 'listener') {
  const socket = new FakeSocket();
  const options: ConnectionOptions = {
    id: `c-${Math.random()}`,
    socket: socket as never,
    ip: '127.0.0.1',
    name: 'Budi',
    tokenExpiresAt: new Date(Date.now() + 3_600_000),
    maxBufferedBytes: 1 << 20,
    onSlowConsumer: () => undefined,
  };
  const created = kind === 'listener' ? new ListenerConnection(options, 's1') : new BroadcasterConnection(options, '1');
  return { connection: created, socket };
}

/** A live `message:receive` publication of session s1. */
function reply(messageId: number, previousMessageId?: number): Publication {
  return {
    channel: 'session:s1',
    frame: JSON.stringify({ event: 'message:receive', data: { messageId: String(messageId) } }),
    messageId: String(messageId),
    previousMessageId: previousMessageId === undefined ? undefined : String(previousMessageId),
  };
}

function stored(messageId: number): StoredMessage {
  return {
    messageId: String(messageId),
    sessionId: 's1',
    direction: 'broadcaster',
    from: 'Penyiar',
    text: `balasan ${messageId}`,
    createdAt: new Date(0),
  };
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('Connection: gap check on listener deliveries', () => {
  test('contiguous deliveries are sent and move the cursor', () => {
    const { connection: c, socket } = connection();
    const gaps: Publication[] = [];
    c.onGap = (_c, publication) => gaps.push(publication);
    c.start(5n);
    c.deliver(reply(6, 5));
    c.deliver(reply(9, 6));
    assert.deepEqual(socket.messageIds(), ['6', '9']);
    assert.equal(c.cursor, 9n);
    assert.deepEqual(gaps, []);
  });

  test('a delivery whose previous message was never sent is held and recovery is asked for', () => {
    const { connection: c, socket } = connection();
    const gaps: Publication[] = [];
    c.onGap = (_c, publication) => gaps.push(publication);
    c.start(5n);
    c.deliver(reply(7, 6)); // 6 was lost on the way
    assert.deepEqual(socket.messageIds(), [], 'not sent ahead of the missed one');
    assert.equal(gaps.length, 1);
    assert.equal(gaps[0]!.messageId, '7');
    c.deliver(reply(8, 7)); // arrives during the recovery: held, no second request
    assert.equal(gaps.length, 1);
    assert.deepEqual(socket.messageIds(), []);
    // The recovery replayed 6 and 7 (what the store had when it read).
    c.send('message:receive', toReceive(stored(6)));
    c.send('message:receive', toReceive(stored(7)));
    c.release(7n);
    assert.deepEqual(socket.messageIds(), ['6', '7', '8'], 'each once, in order');
    assert.equal(c.cursor, 8n);
  });

  test('a message a replay already sent is dropped when its publication arrives late', () => {
    const { connection: c, socket } = connection();
    c.onGap = () => assert.fail('no gap');
    c.start(3n);
    c.hold();
    c.send('message:receive', toReceive(stored(4)));
    c.send('message:receive', toReceive(stored(5)));
    c.release(5n);
    c.deliver(reply(5, 4));
    c.deliver(reply(4, 3));
    c.deliver(reply(6, 5));
    assert.deepEqual(socket.messageIds(), ['4', '5', '6']);
  });

  test('no previousMessageId (an older envelope, or none known): sent without a check', () => {
    const { connection: c, socket } = connection();
    c.onGap = () => assert.fail('no gap check without previousMessageId');
    c.start(5n);
    c.deliver(reply(9));
    assert.deepEqual(socket.messageIds(), ['9']);
    assert.equal(c.cursor, 9n);
  });

  test('a previousMessageId at or before the cursor is no gap (the cursor may be a listener message)', () => {
    const { connection: c, socket } = connection();
    c.onGap = () => assert.fail('no gap');
    c.start(0n);
    c.release(12n); // resumed from the listener's own message 12; the last reply was 10
    c.deliver(reply(14, 10));
    assert.deepEqual(socket.messageIds(), ['14']);
  });

  test('without a gap handler or without a cursor, deliveries are sent as they come', () => {
    const unwired = connection();
    unwired.connection.start(5n);
    unwired.connection.deliver(reply(9, 8));
    assert.deepEqual(unwired.socket.messageIds(), ['9']);

    const unknownStart = connection();
    unknownStart.connection.onGap = () => assert.fail('no cursor, no check');
    unknownStart.connection.start(undefined);
    unknownStart.connection.deliver(reply(9, 8));
    assert.deepEqual(unknownStart.socket.messageIds(), ['9']);
  });

  test('broadcaster connections are never checked nor deduplicated (message:new of many sessions)', () => {
    const { connection: c, socket } = connection('broadcaster');
    c.onGap = () => assert.fail('broadcaster connections have no gap check');
    c.release();
    for (const [id, previous] of [
      [11, 2],
      [10, 9],
      [30, 20],
    ] as const) {
      c.deliver({
        ...reply(id, previous),
        frame: JSON.stringify({ event: 'message:new', data: { messageId: `${id}` } }),
      });
    }
    assert.deepEqual(socket.messageIds(), ['11', '10', '30']);
  });

  test('opening without replay: held messages stored just before the start point are still sent', () => {
    const { connection: c, socket } = connection();
    const gaps: Publication[] = [];
    c.onGap = (_c, publication) => gaps.push(publication);
    // Published after connection:success, while the start point (5) was being read.
    c.deliver(reply(5, 4));
    c.deliver(reply(6, 5));
    c.start(5n);
    assert.deepEqual(socket.messageIds(), ['5', '6']);
    assert.deepEqual(gaps, []);
  });

  test('a gap among held deliveries holds that one and the rest again', () => {
    const { connection: c, socket } = connection();
    const gaps: Publication[] = [];
    c.onGap = (_c, publication) => gaps.push(publication);
    c.deliver(reply(6, 5));
    c.deliver(reply(8, 7)); // 7 lost
    c.deliver(reply(9, 8));
    c.start(5n);
    assert.deepEqual(socket.messageIds(), ['6']);
    assert.deepEqual(
      gaps.map((p) => p.messageId),
      ['8'],
    );
    c.send('message:receive', toReceive(stored(7)));
    c.send('message:receive', toReceive(stored(8)));
    c.release(8n);
    assert.deepEqual(socket.messageIds(), ['6', '7', '8', '9']);
  });
});

/** A store holding session s1's broadcaster messages; listAfter can be made to wait. */
class FakeStore {
  readonly messages: number[] = [];
  listAfterCalls: string[] = [];
  latestIdsCalls: string[][] = [];
  /** While set, listAfter waits for it. */
  gate: Promise<void> | undefined;

  readonly store = {
    messages: {
      latestId: async () => (this.messages.length ? String(Math.max(...this.messages)) : undefined),
      latestIds: async (sessionIds: readonly string[]) => {
        this.latestIdsCalls.push([...sessionIds]);
        const newest = this.messages.length ? String(Math.max(...this.messages)) : undefined;
        return new Map(sessionIds.includes('s1') && newest !== undefined ? [['s1', newest]] : []);
      },
      listAfter: async (_sessionId: string, options: { afterMessageId?: string; limit: number }) => {
        this.listAfterCalls.push(options.afterMessageId ?? '');
        if (this.gate) await this.gate;
        const after = BigInt(options.afterMessageId ?? '0');
        return this.messages
          .filter((id) => BigInt(id) > after)
          .sort((x, y) => x - y)
          .slice(0, options.limit)
          .map(stored);
      },
    },
  };
}

function endpoint(store: FakeStore): ListenerEndpoint {
  return new ListenerEndpoint({
    store: store.store,
    logger: pino({ level: 'silent' }),
    expiries: new SessionExpiries(store.store as unknown as Store),
  } as unknown as EndpointDeps);
}

const principal = (lastMessageId?: string): ListenerPrincipal =>
  ({
    kind: 'listener',
    sessionId: 's1',
    name: 'Budi',
    city: 'Bandung',
    expiresAt: new Date(Date.now() + 3_600_000),
    lastMessageId,
    hadMessages: true,
  }) as ListenerPrincipal;

describe('ListenerEndpoint: recovery of a missed publication', () => {
  test("a new session's first connection starts at 0 without reading the store; one with messages reads it", async () => {
    const store = new FakeStore();
    store.messages.push(7);
    let reads = 0;
    const latestId = store.store.messages.latestId;
    store.store.messages.latestId = () => {
      reads++;
      return latestId();
    };
    const listeners = endpoint(store);
    const fresh = connection().connection;
    await listeners.open(fresh, { ...principal(), hadMessages: false });
    assert.equal(fresh.cursor, 0n);
    assert.equal(reads, 0);
    const known = connection().connection;
    await listeners.open(known, principal());
    assert.equal(known.cursor, 7n);
    assert.equal(reads, 1);
  });

  test('a reply whose publication was lost arrives before the next one, each once, without reconnecting', async () => {
    const store = new FakeStore();
    store.messages.push(3);
    const listeners = endpoint(store);
    const { connection: c, socket } = connection();
    await listeners.open(c, principal());
    assert.equal(c.cursor, 3n);

    store.messages.push(4); // stored and acknowledged; its publication is lost
    store.messages.push(5);
    c.deliver(reply(5, 4));
    await tick();
    await tick();
    assert.deepEqual(socket.messageIds(), ['4', '5']);
    assert.deepEqual(store.listAfterCalls, ['3']);
    c.deliver(reply(5, 4)); // a late duplicate
    store.messages.push(6);
    c.deliver(reply(6, 5));
    assert.deepEqual(socket.messageIds(), ['4', '5', '6']);
  });

  test('one recovery at a time: gaps and resubscribes during one are served by one more run', async () => {
    const store = new FakeStore();
    const listeners = endpoint(store);
    const { connection: c, socket } = connection();
    await listeners.open(c, principal());
    assert.equal(c.cursor, 0n);
    await tick(); // the opening is over

    let open!: () => void;
    store.gate = new Promise((resolve) => (open = resolve));
    store.messages.push(1, 2);
    c.deliver(reply(2, 1)); // 1 lost: recovery starts, its read waits
    store.messages.push(3, 4);
    c.deliver(reply(4, 3)); // held behind the running recovery
    const all = listeners.recoverAll([c]); // the subscription came back meanwhile
    await tick();
    assert.deepEqual(store.listAfterCalls, ['0'], 'no second replay in flight');
    assert.deepEqual(socket.messageIds(), []);
    store.gate = undefined;
    open();
    await all;
    assert.deepEqual(socket.messageIds(), ['1', '2', '3', '4'], 'in order, once');
    assert.deepEqual(store.listAfterCalls, ['0', '4'], 'then one more run from where the first ended');
  });

  test('a resume from a lastMessageId past every reply does not swallow the next replies', async () => {
    const store = new FakeStore();
    store.messages.push(2);
    const listeners = endpoint(store);
    const { connection: c, socket } = connection();
    await listeners.open(c, principal('900'));
    assert.equal(c.cursor, 2n);
    store.messages.push(3);
    c.deliver(reply(3, 2));
    assert.deepEqual(socket.messageIds(), ['3']);
  });

  test('a resubscribe during the opening replay waits for it (no replay twice, no live message first)', async () => {
    const store = new FakeStore();
    store.messages.push(1, 2);
    const listeners = endpoint(store);
    const { connection: c, socket } = connection();
    let open!: () => void;
    store.gate = new Promise((resolve) => (open = resolve));
    const opened = listeners.open(c, principal('1'));
    await tick();
    store.messages.push(3);
    c.deliver(reply(3, 2));
    const all = listeners.recoverAll([c]);
    store.gate = undefined;
    open();
    await opened;
    await all;
    assert.deepEqual(socket.messageIds(), ['2', '3']);
    assert.deepEqual(store.listAfterCalls, ['1', '3']);
  });
});

describe('ListenerEndpoint: catch-up with the heartbeat', () => {
  test('one query for a tick of connections; only a connection behind the store is recovered', async () => {
    const store = new FakeStore();
    store.messages.push(3);
    const listeners = endpoint(store);
    const behind = connection();
    const current = connection();
    await listeners.open(behind.connection, principal());
    await tick();
    store.messages.push(4); // stored; its publication never came
    await listeners.open(current.connection, principal());
    await tick();
    assert.equal(behind.connection.cursor, 3n);
    assert.equal(current.connection.cursor, 4n);
    const broadcaster = connection('broadcaster').connection;
    store.listAfterCalls = [];

    await listeners.catchUp([behind.connection, current.connection, broadcaster]);
    await tick();
    await tick();
    assert.deepEqual(store.latestIdsCalls, [['s1', 's1']], 'one query, listener sessions only');
    assert.deepEqual(behind.socket.messageIds(), ['4'], 'the missed reply is recovered');
    assert.deepEqual(current.socket.messageIds(), [], 'an up-to-date connection is left alone');
    assert.deepEqual(store.listAfterCalls, ['3']);

    await listeners.catchUp([behind.connection, current.connection]);
    await tick();
    assert.deepEqual(behind.socket.messageIds(), ['4'], 'nothing twice');
    assert.deepEqual(store.listAfterCalls, ['3']);
  });

  test('a failing query changes nothing; the next tick tries again', async () => {
    const store = new FakeStore();
    const listeners = endpoint(store);
    const { connection: c, socket } = connection();
    await listeners.open(c, principal());
    await tick();
    store.messages.push(1);
    const latestIds = store.store.messages.latestIds;
    store.store.messages.latestIds = async () => {
      throw new Error('database away');
    };
    await listeners.catchUp([c]);
    assert.deepEqual(socket.messageIds(), []);
    store.store.messages.latestIds = latestIds;
    await listeners.catchUp([c]);
    await tick();
    await tick();
    assert.deepEqual(socket.messageIds(), ['1']);
  });
});
