/**
 * Small WebSocket-side parts: frame parsing (binary, JSON, prototype keys,
 * unknown events, field errors with the clientMessageId echoed), the abuse
 * counter, the typing throttle, inbound backpressure and the spread heartbeat.
 */
import assert from 'node:assert/strict';
import { describe, mock, test } from 'node:test';
import { listenerClientEvents, broadcasterClientEvents } from '../../src/protocol/events.js';
import type { Connection } from '../../src/ws/connection.js';
import { parseFrame } from '../../src/ws/frames.js';
import { heartbeatSlices, startHeartbeat } from '../../src/ws/heartbeat.js';
import { InboundFlow } from '../../src/ws/inbound-flow.js';
import { TypingThrottle, WindowCounter } from '../../src/ws/throttles.js';

const parse = (text: string, events: Parameters<typeof parseFrame>[2] = listenerClientEvents) =>
  parseFrame(Buffer.from(text), false, events);

describe('parseFrame', () => {
  test('accepts a valid frame and strips unknown fields', () => {
    const frame = parse('{"event":"message:send","data":{"text":"halo","clientMessageId":"a","extra":1}}');
    assert.deepEqual(frame, { ok: true, event: 'message:send', data: { text: 'halo', clientMessageId: 'a' } });
  });

  test('refuses binary, non-JSON, non-objects and envelopes without data', () => {
    assert.equal(parseFrame(Buffer.from('{}'), true, listenerClientEvents).ok, false);
    for (const text of [
      '',
      'halo',
      '[]',
      '"x"',
      '1',
      'null',
      '{"event":"message:send"}',
      '{"event":"","data":{}}',
      '{"event":"x","data":[]}',
    ]) {
      assert.equal(parse(text).ok, false, text);
    }
  });

  test('refuses __proto__ and constructor.prototype keys anywhere', () => {
    for (const text of [
      '{"event":"message:send","data":{"text":"a","__proto__":{"isAdmin":true}}}',
      '{"__proto__":{"x":1},"event":"message:send","data":{"text":"a"}}',
      '{"event":"message:send","data":{"text":"a","constructor":{"prototype":{"x":1}}}}',
    ]) {
      const frame = parse(text);
      assert.equal(frame.ok, false, text);
    }
    assert.equal(({} as Record<string, unknown>)['isAdmin'], undefined, 'Object.prototype untouched');
  });

  test('events of the other endpoint are unknown here', () => {
    const frame = parse('{"event":"message:reply","data":{"sessionId":"x","text":"a"}}');
    assert.equal(frame.ok, false);
    assert.match(!frame.ok ? frame.message : '', /message:reply/);
    assert.equal(parse('{"event":"message:send","data":{"text":"a"}}', broadcasterClientEvents).ok, false);
    assert.equal(parse('{"event":"toString","data":{}}').ok, false);
  });

  test('field errors name the field and echo a usable clientMessageId', () => {
    const frame = parse('{"event":"message:send","data":{"text":5,"clientMessageId":"c-9"}}');
    assert.equal(frame.ok, false);
    if (!frame.ok) {
      assert.match(frame.message, /text/);
      assert.equal(frame.clientMessageId, 'c-9');
    }
    const tooLong = parse(`{"event":"message:send","data":{"text":"a","clientMessageId":"${'x'.repeat(65)}"}}`);
    assert.equal(tooLong.ok, false);
    if (!tooLong.ok) assert.equal(tooLong.clientMessageId, undefined);
  });

  test('deeply nested JSON is refused, not a crash', () => {
    const deep = '{"event":"message:send","data":{"text":"a","x":' + '['.repeat(5000) + ']'.repeat(5000) + '}}';
    assert.equal(parse(deep).ok, true, 'unknown nested fields are dropped');
    const frame = parse('['.repeat(100_000));
    assert.equal(frame.ok, false);
  });
});

describe('WindowCounter', () => {
  test('passes the threshold only on the count after it, per window', () => {
    const counter = new WindowCounter(1000, 10);
    for (let i = 0; i < 10; i++) assert.equal(counter.add(0), false);
    assert.equal(counter.add(500), true);
    const fresh = new WindowCounter(1000, 10);
    for (let i = 0; i < 10; i++) fresh.add(0);
    assert.equal(fresh.add(1000), false, 'a new window starts from zero');
  });
});

describe('TypingThrottle', () => {
  const throttled = () => {
    mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 0 });
    const forwarded: [number, boolean][] = [];
    const throttle = new TypingThrottle(1000, (isTyping) => forwarded.push([Date.now(), isTyping]));
    const at = (ms: number) => mock.timers.tick(ms - Date.now());
    return { throttle, forwarded, at };
  };

  test('forwards changes, repeats true at most once per interval, a repeated false never', (t) => {
    t.after(() => mock.timers.reset());
    const { throttle, forwarded, at } = throttled();
    throttle.offer(true);
    at(100);
    throttle.offer(true);
    at(1000);
    throttle.offer(true);
    at(2100);
    throttle.offer(false);
    at(3200);
    throttle.offer(false);
    at(4300);
    throttle.offer(true);
    at(6000);
    assert.deepEqual(forwarded, [
      [0, true],
      [1000, true],
      [2100, false],
      [4300, true],
    ]);
  });

  test('alternating true/false forwards once per interval, and the last state at its end', (t) => {
    t.after(() => mock.timers.reset());
    const { throttle, forwarded, at } = throttled();
    for (let ms = 0; ms < 2500; ms += 10) {
      at(ms);
      throttle.offer(ms % 20 === 0);
    }
    at(2490);
    throttle.offer(false);
    at(3000);
    at(5000);
    assert.deepEqual(forwarded, [
      [0, true],
      [1000, false],
      [2000, true],
      [3000, false],
    ]);
  });

  test('after a sent message (which clears the typing line), true is forwarded again within the interval', (t) => {
    t.after(() => mock.timers.reset());
    const { throttle, forwarded, at } = throttled();
    throttle.offer(true);
    at(300);
    throttle.messageSent();
    throttle.offer(true);
    at(1000);
    at(2000);
    assert.deepEqual(forwarded, [
      [0, true],
      [1000, true],
    ]);
  });

  test('stop() drops the waiting state', (t) => {
    t.after(() => mock.timers.reset());
    const { throttle, forwarded, at } = throttled();
    throttle.offer(true);
    at(10);
    throttle.offer(false);
    throttle.stop();
    at(5000);
    assert.deepEqual(forwarded, [[0, true]]);
  });
});

describe('startHeartbeat (spread over slices)', () => {
  interface FakeConnection {
    id: number;
    alive: boolean;
    /** Answers pings (sets `alive` again) unless silent. */
    silent: boolean;
    pings: number;
    terminated: boolean;
    socket: { readyState: number; OPEN: 1; CLOSED: 3; ping(): void; terminate(): void };
  }

  /**
   * A heartbeat over fake connections with mocked timers: `advance(n)` runs n
   * ticks, `touches[i]` is how many connections tick i pinged or terminated.
   */
  function harness(intervalMs: number, count: number) {
    const touches: number[] = [];
    const reaped: number[] = [];
    let nextId = 0;
    const create = (): FakeConnection => {
      const connection: FakeConnection = {
        id: nextId++,
        alive: true,
        silent: false,
        pings: 0,
        terminated: false,
        socket: {
          readyState: 1,
          OPEN: 1,
          CLOSED: 3,
          ping() {
            connection.pings++;
            touches[touches.length - 1]!++;
            if (!connection.silent) connection.alive = true; // the pong
          },
          terminate() {
            connection.terminated = true;
            touches[touches.length - 1]!++;
            connection.socket.readyState = 3;
          },
        },
      };
      return connection;
    };
    const h = {
      connections: Array.from({ length: count }, create),
      create,
      touches,
      reaped,
      /** The ids each tick told onPinged about (ticks that pinged nobody add nothing). */
      pingedPerTick: [] as number[][],
      advance(ticks: number) {
        for (let i = 0; i < ticks; i++) {
          touches.push(0);
          mock.timers.tick(intervalMs / heartbeatSlices(intervalMs));
        }
      },
      stop: () => undefined as void,
    };
    mock.timers.enable({ apis: ['setInterval'] });
    const stop = startHeartbeat(
      intervalMs,
      () => h.connections as unknown as Connection[],
      (c) => reaped.push((c as unknown as FakeConnection).id),
      (pinged) => h.pingedPerTick.push((pinged as unknown as FakeConnection[]).map((c) => c.id)),
    );
    h.stop = () => {
      stop();
      mock.timers.reset();
    };
    return h;
  }

  test('slices: one per 50 ms tick, at least one', () => {
    assert.equal(heartbeatSlices(30_000), 600);
    assert.equal(heartbeatSlices(1_500), 30);
    assert.equal(heartbeatSlices(100), 2);
    assert.equal(heartbeatSlices(75), 1);
  });

  test('each connection is pinged exactly once per interval, and no tick handles more than its share', () => {
    const h = harness(1500, 300);
    try {
      for (let interval = 1; interval <= 3; interval++) {
        h.advance(30);
        for (const c of h.connections)
          assert.equal(c.pings, interval, `connection ${c.id} after ${interval} intervals`);
      }
      assert.equal(h.touches.length, 90);
      assert.deepEqual(new Set(h.touches), new Set([10]), 'every tick handles 10 of the 300, no more, no fewer');
      assert.equal(h.connections.filter((c) => c.terminated).length, 0, 'peers that answer are kept');
    } finally {
      h.stop();
    }
  });

  test('onPinged hears once per tick about the connections that tick pinged, and only those', () => {
    const h = harness(1500, 60);
    try {
      h.connections[3]!.socket.readyState = 3; // closed: skipped, not reported
      h.connections[40]!.silent = true;
      h.advance(30);
      assert.equal(h.pingedPerTick.length, 30, 'one call per tick');
      assert.deepEqual(
        h.pingedPerTick.flat(),
        h.connections.map((c) => c.id).filter((id) => id !== 3),
        'each pinged connection once, in round order',
      );
      h.pingedPerTick.length = 0;
      h.advance(30);
      assert.ok(!h.pingedPerTick.flat().includes(40), 'a reaped connection is not reported');
      assert.equal(h.connections[40]!.terminated, true);
    } finally {
      h.stop();
    }
  });

  test('a silent connection is reaped at its second check, the others are kept', () => {
    const h = harness(1500, 300);
    try {
      const silent = h.connections[137]!;
      silent.silent = true;
      h.advance(30);
      assert.equal(silent.pings, 1, 'first check: pinged');
      assert.equal(silent.terminated, false);
      h.advance(30);
      assert.equal(silent.terminated, true, 'second check without a pong: terminated');
      assert.deepEqual(h.reaped, [137], 'onReap called once, for it only');
      assert.equal(silent.pings, 1, 'not pinged again');
      h.advance(30);
      assert.deepEqual(h.reaped, [137], 'a closed connection is not reaped twice');
      assert.equal(h.connections.filter((c) => c.terminated).length, 1);
      assert.ok(Math.max(...h.touches) <= 10);
    } finally {
      h.stop();
    }
  });

  test('connections that open mid-round wait for the next round; closed ones are skipped', () => {
    const h = harness(1500, 30);
    try {
      h.advance(15);
      const late = h.create();
      h.connections = [...h.connections, late];
      const closed = h.connections[29]!;
      closed.socket.readyState = 3; // closed before its check
      h.advance(15);
      assert.equal(late.pings, 0, 'not in the current round');
      assert.equal(closed.pings, 0, 'closed: skipped');
      h.advance(30);
      assert.equal(late.pings, 1, 'checked in the next round');
      assert.equal(closed.pings, 0);
      assert.deepEqual(h.reaped, []);
    } finally {
      h.stop();
    }
  });

  test('a connection moved up the round by closures gets half an interval to answer before it is reaped', () => {
    const h = harness(1500, 30);
    try {
      const last = h.connections[29]!;
      last.silent = true;
      h.advance(30); // round 1: `last` is pinged by the last tick
      assert.equal(last.pings, 1);
      // The 29 before it closed and 29 others opened: round 2 checks it at its first tick.
      h.connections = [last, ...Array.from({ length: 29 }, h.create)];
      h.advance(1);
      assert.equal(last.terminated, false, 'pinged one tick ago: not reaped yet');
      h.advance(29);
      assert.equal(last.terminated, false);
      h.advance(1); // round 3, first tick: its ping is an interval old
      assert.equal(last.terminated, true);
      assert.deepEqual(h.reaped, [29]);
    } finally {
      h.stop();
    }
  });
});

describe('InboundFlow', () => {
  test('pauses the socket at the high mark and resumes it once drained to the low mark', () => {
    const calls: string[] = [];
    const flow = new InboundFlow({ pause: () => calls.push('pause'), resume: () => calls.push('resume') }, 4, 2);
    for (let i = 0; i < 6; i++) flow.started();
    assert.deepEqual(calls, ['pause'], 'paused once, at the fourth frame in flight');
    flow.settled();
    flow.settled();
    flow.settled();
    assert.deepEqual(calls, ['pause'], 'three in flight: still paused');
    flow.settled();
    assert.deepEqual(calls, ['pause', 'resume']);
    flow.settled();
    flow.started();
    assert.deepEqual(calls, ['pause', 'resume'], 'below the high mark: not paused again');
  });
});
