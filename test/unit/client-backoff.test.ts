import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { Backoff, backoffCeiling, backoffDelay, connectListener, type StateChange } from '../../src/client/index.js';
import { FakeClock, FakeNetwork, FakeSocket } from './client-fakes.js';

describe('backoff schedule', () => {
  test('by default the first window is 0.5 s and the cap 8 s', () => {
    assert.deepEqual(
      Array.from({ length: 7 }, (_, attempt) => backoffCeiling(attempt)),
      [500, 1000, 2000, 4000, 8000, 8000, 8000],
    );
  });

  test('the window doubles from baseMs and stops at maxMs', () => {
    const opts = { baseMs: 500, maxMs: 30_000 };
    assert.deepEqual(
      [0, 1, 2, 3, 4, 5, 6, 7, 20, 5000].map((n) => backoffCeiling(n, opts)),
      [500, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000, 30000],
    );
  });

  test('every delay lies in [0, min(maxMs, baseMs * 2^attempt)] (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 100_000 }),
        fc.integer({ min: 1, max: 10_000 }),
        fc.integer({ min: 1, max: 600_000 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (attempt, baseMs, maxMs, r) => {
          const delay = backoffDelay(attempt, { baseMs, maxMs, random: () => r });
          assert.ok(Number.isFinite(delay));
          assert.ok(delay >= 0, `delay ${delay} < 0`);
          assert.ok(delay <= Math.min(maxMs, baseMs * 2 ** attempt), `delay ${delay} over the window`);
        },
      ),
    );
  });

  test('delays are jittered over the whole window (full jitter), not clustered', () => {
    const delays = Array.from({ length: 2000 }, () => backoffDelay(4, { baseMs: 500, maxMs: 30_000 }));
    const window = 8000;
    assert.ok(new Set(delays).size > 500, 'delays should vary');
    assert.ok(Math.min(...delays) < window * 0.05, 'some delays near 0');
    assert.ok(Math.max(...delays) > window * 0.95, 'some delays near the top of the window');
    const mean = delays.reduce((a, b) => a + b, 0) / delays.length;
    assert.ok(Math.abs(mean - window / 2) < window * 0.06, `mean ${mean} should be near ${window / 2}`);
  });

  test('Backoff advances per call and starts over on reset', () => {
    const b = new Backoff({ baseMs: 100, maxMs: 1000, random: () => 0.999999 });
    assert.deepEqual([b.next(), b.next(), b.next(), b.next(), b.next(), b.next()], [100, 200, 400, 800, 1000, 1000]);
    assert.equal(b.attempts, 6);
    b.reset();
    assert.equal(b.next(), 100);
  });
});

describe('client reconnect schedule', () => {
  function setup() {
    FakeSocket.reset();
    const clock = new FakeClock();
    const states: StateChange[] = [];
    const client = connectListener({
      baseUrl: 'http://chat.test',
      token: 'token-1',
      WebSocket: FakeSocket,
      timers: clock,
      network: new FakeNetwork(),
      random: () => 0.999999,
      backoff: { baseMs: 500, maxMs: 8000 },
      stableAfterMs: 5000,
    });
    client.on('state', (s) => states.push(s));
    return { clock, client, states };
  }

  test('failed attempts wait longer and longer, bounded by the cap', () => {
    const { clock, states } = setup();
    const waits: number[] = [];
    for (let i = 0; i < 8; i++) {
      FakeSocket.last.serverClose(1006);
      const scheduled = states.at(-1);
      assert.equal(scheduled?.state, 'reconnecting');
      waits.push(scheduled!.retryInMs!);
      assert.equal(clock.nextDelay(), scheduled!.retryInMs);
      clock.advance(scheduled!.retryInMs!);
    }
    assert.deepEqual(waits, [500, 1000, 2000, 4000, 8000, 8000, 8000, 8000]);
    assert.equal(FakeSocket.instances.length, 9);
  });

  test('the schedule starts over only after a connection stayed up stableAfterMs', () => {
    const { clock, states } = setup();
    for (let i = 0; i < 3; i++) {
      FakeSocket.last.serverClose(1006);
      clock.advance(states.at(-1)!.retryInMs!);
    }
    // Connected, but dropped again before counting as stable: keeps growing.
    FakeSocket.last.acceptListener();
    clock.advance(1000);
    FakeSocket.last.serverClose(1006);
    assert.equal(states.at(-1)!.retryInMs, 4000);
    clock.advance(4000);
    // Connected and stable: back to the first window.
    FakeSocket.last.acceptListener();
    clock.advance(5000);
    FakeSocket.last.serverClose(1011);
    assert.equal(states.at(-1)!.retryInMs, 500);
    assert.equal(states.at(-1)!.closeCode, 1011);
  });
});
