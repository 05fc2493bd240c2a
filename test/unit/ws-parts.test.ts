/**
 * Small WebSocket-side parts: frame parsing (binary, JSON, prototype keys,
 * unknown events, field errors with the clientMessageId echoed), the abuse
 * counter and the typing throttle.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { listenerClientEvents, broadcasterClientEvents } from '../../src/protocol/events.js';
import { parseFrame } from '../../src/ws/frames.js';
import { RefusalCounter, TypingThrottle } from '../../src/ws/throttles.js';

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

describe('RefusalCounter', () => {
  test('passes the threshold only on the refusal after it, per window', () => {
    const counter = new RefusalCounter(1000, 10);
    for (let i = 0; i < 10; i++) assert.equal(counter.add(0), false);
    assert.equal(counter.add(500), true);
    const fresh = new RefusalCounter(1000, 10);
    for (let i = 0; i < 10; i++) fresh.add(0);
    assert.equal(fresh.add(1000), false, 'a new window starts from zero');
  });
});

describe('TypingThrottle', () => {
  test('forwards changes, repeats true at most once per interval, false only after true', () => {
    const throttle = new TypingThrottle(1000);
    assert.equal(throttle.shouldForward(true, 0), true);
    assert.equal(throttle.shouldForward(true, 100), false);
    assert.equal(throttle.shouldForward(true, 1000), true);
    assert.equal(throttle.shouldForward(false, 1100), true);
    assert.equal(throttle.shouldForward(false, 1200), false);
    assert.equal(throttle.shouldForward(true, 1300), true);
  });
});
