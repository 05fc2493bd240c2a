/**
 * Corked sends over a real `ws` server/client pair: the frames of one turn
 * arrive intact and in order in fewer socket writes than frames, every turn
 * is flushed without a further send, a frame after close does nothing, and
 * the slow-consumer check neither mistakes corked bytes for a slow reader
 * nor lets a client that stopped reading grow the server's buffer unbounded.
 */
import assert from 'node:assert/strict';
import type { AddressInfo, Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { setImmediate as nextTurn } from 'node:timers/promises';
import WebSocket, { WebSocketServer } from 'ws';
import { BroadcasterConnection } from '../../src/ws/connection.js';
import { CORK_FLUSH_BYTES, corkedBytes } from '../../src/ws/corked-send.js';
import { waitFor } from '../helpers/wait.js';

interface Pair {
  connection: BroadcasterConnection;
  client: WebSocket;
  /** Frames the client received, in order. */
  received: string[];
  /** Writes that reached the server-side TCP socket's `_write`/`_writev`. */
  writes: () => number;
  slowConsumerDrops: () => number;
  clientClosed: Promise<void>;
}

let server: WebSocketServer;
let port: number;

before(async () => {
  server = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: false });
  await new Promise((resolve) => server.once('listening', resolve));
  port = (server.address() as AddressInfo).port;
});

after(async () => {
  for (const client of server.clients) client.terminate();
  await new Promise((resolve) => server.close(resolve));
});

async function pair(maxBufferedBytes = 1024 * 1024): Promise<Pair> {
  const accepted = new Promise<WebSocket>((resolve) => server.once('connection', resolve));
  const client = new WebSocket(`ws://127.0.0.1:${port}`);
  const received: string[] = [];
  client.on('message', (data) => received.push(String(data)));
  client.on('error', () => undefined);
  const clientClosed = new Promise<void>((resolve) => client.once('close', () => resolve()));
  await new Promise((resolve) => client.once('open', resolve));
  const socket = await accepted;
  socket.on('error', () => undefined);

  const tcp = (socket as unknown as { _socket: Socket & { _write: Socket['_write']; _writev: Socket['_writev'] } })
    ._socket;
  let writes = 0;
  const write = tcp._write.bind(tcp);
  const writev = tcp._writev!.bind(tcp);
  tcp._write = (...args) => {
    writes++;
    write(...args);
  };
  tcp._writev = (...args) => {
    writes++;
    writev(...args);
  };

  let drops = 0;
  const connection = new BroadcasterConnection(
    {
      id: 'c',
      socket,
      ip: '127.0.0.1',
      name: 'test',
      tokenExpiresAt: new Date(Date.now() + 60_000),
      maxBufferedBytes,
      onSlowConsumer: () => drops++,
    },
    '1',
  );
  return { connection, client, received, writes: () => writes, slowConsumerDrops: () => drops, clientClosed };
}

const frame = (i: number, size = 0) => JSON.stringify({ event: 'message:new', data: { i, pad: 'x'.repeat(size) } });

describe('corked sends', () => {
  test('frames sent in one turn arrive intact, in order, in one write', async () => {
    const p = await pair();
    try {
      const frames = Array.from({ length: 50 }, (_, i) => frame(i, i * 10));
      const before = p.writes();
      for (const f of frames) p.connection.sendRaw(f);
      assert.equal(p.writes(), before, 'nothing written before the end of the turn');
      assert.ok(corkedBytes(p.connection.socket) > 0, 'the frames are held back for this turn');
      await waitFor(() => p.received.length === frames.length, {
        message: 'the frames',
        timeoutMs: 5000,
        intervalMs: 5,
      });
      assert.deepEqual(p.received, frames);
      assert.equal(p.writes() - before, 1, '50 frames, one write');
      assert.equal(corkedBytes(p.connection.socket), 0);
    } finally {
      p.client.terminate();
    }
  });

  test('each turn is flushed before it ends, without a further send', async () => {
    const p = await pair();
    try {
      const before = p.writes();
      p.connection.sendRaw(frame(1));
      p.connection.sendRaw(frame(2));
      await new Promise((resolve) => process.nextTick(resolve));
      assert.equal(p.writes() - before, 1, 'written before the turn ends, not after the next I/O');
      await waitFor(() => p.received.length === 2, { message: 'the first turn', timeoutMs: 5000, intervalMs: 5 });
      await nextTurn();
      p.connection.sendRaw(frame(3));
      await waitFor(() => p.received.length === 3, { message: 'the second turn', timeoutMs: 5000, intervalMs: 5 });
      assert.deepEqual(p.received, [frame(1), frame(2), frame(3)]);
      assert.equal(p.writes() - before, 2, 'one write per turn');
    } finally {
      p.client.terminate();
    }
  });

  test('a turn that writes more than the flush threshold flushes early and stays bounded', async () => {
    const p = await pair();
    try {
      const frames = Array.from({ length: 40 }, (_, i) => frame(i, 10 * 1024));
      let mostCorked = 0;
      const before = p.writes();
      for (const f of frames) {
        p.connection.sendRaw(f);
        mostCorked = Math.max(mostCorked, corkedBytes(p.connection.socket));
      }
      assert.ok(mostCorked <= CORK_FLUSH_BYTES, `at most ${CORK_FLUSH_BYTES} bytes corked (saw ${mostCorked})`);
      const writes = p.writes() - before;
      assert.ok(writes >= 5 && writes < frames.length, `~400 KiB in 64 KiB flushes (${writes} writes)`);
      await waitFor(() => p.received.length === frames.length, {
        message: 'the frames',
        timeoutMs: 5000,
        intervalMs: 5,
      });
      assert.deepEqual(p.received, frames);
    } finally {
      p.client.terminate();
    }
  });

  test('a frame sent after close does nothing', async () => {
    const p = await pair();
    p.connection.sendRaw(frame(1));
    p.connection.close(1000, 'bye');
    const writes = p.writes();
    p.connection.sendRaw(frame(2));
    assert.equal(p.writes(), writes);
    await p.clientClosed;
    assert.deepEqual(p.received, [frame(1)], 'the frame before close arrives, the one after never');
    p.connection.sendRaw(frame(3));
    assert.equal(p.slowConsumerDrops(), 0);
  });

  test('corked bytes of a burst to a healthy client are not taken for a slow consumer', async () => {
    // The limit is below what one turn corks: counting corked bytes as unsent would drop this client.
    const p = await pair(32 * 1024);
    try {
      const frames = Array.from({ length: 60 }, (_, i) => frame(i, 1000));
      for (const f of frames) p.connection.sendRaw(f);
      assert.ok(p.connection.socket.bufferedAmount > 32 * 1024, 'the burst is corked beyond the limit');
      await waitFor(() => p.received.length === frames.length, {
        message: 'the burst',
        timeoutMs: 5000,
        intervalMs: 5,
      });
      assert.equal(p.slowConsumerDrops(), 0);
      assert.equal(p.client.readyState, WebSocket.OPEN);
    } finally {
      p.client.terminate();
    }
  });

  test('a client that stopped reading is dropped, the buffer bounded, whether frames come in one turn or many', async () => {
    const limit = 256 * 1024;
    for (const sameTurn of [false, true]) {
      const p = await pair(limit);
      (p.client as unknown as { _socket: Socket })._socket.pause();
      const big = frame(0, 16 * 1024);
      let mostBuffered = 0;
      // The kernel's socket buffers take some MiB first; then the server's own buffer grows.
      for (let i = 0; i < 5000 && p.slowConsumerDrops() === 0; i++) {
        p.connection.sendRaw(big);
        mostBuffered = Math.max(mostBuffered, p.connection.socket.bufferedAmount);
        if (!sameTurn) await nextTurn();
      }
      assert.equal(p.slowConsumerDrops(), 1, `dropped (frames ${sameTurn ? 'in one turn' : 'one per turn'})`);
      assert.ok(
        mostBuffered <= limit + CORK_FLUSH_BYTES + big.length,
        `buffer bounded by the limit plus one turn's corked bytes (saw ${mostBuffered})`,
      );
      await waitFor(() => p.connection.socket.readyState === WebSocket.CLOSED, {
        message: 'the termination',
        timeoutMs: 5000,
        intervalMs: 5,
      });
      p.connection.sendRaw(big);
      assert.equal(p.slowConsumerDrops(), 1, 'nothing more once terminated');
      p.client.terminate();
    }
  });
});
