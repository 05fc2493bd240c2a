import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { connectBroadcaster, connectListener, createTypingIndicator } from '../../src/client/index.js';
import { FakeClock, FakeNetwork, FakeSocket, SESSION_A } from './client-fakes.js';

describe('typing helper', () => {
  test('sends true at once, refreshes at most once per throttle window, false after idle', () => {
    const clock = new FakeClock();
    const signals: boolean[] = [];
    const typing = createTypingIndicator((v) => void signals.push(v), {
      timers: clock,
      throttleMs: 2000,
      idleMs: 4000,
    });
    for (let i = 0; i < 10; i++) {
      typing.input();
      clock.advance(150); // 1.5 s of steady typing
    }
    assert.deepEqual(signals, [true]);
    for (let i = 0; i < 10; i++) {
      typing.input();
      clock.advance(150);
    }
    assert.deepEqual(signals, [true, true], 'one refresh after 2 s');
    // The last keystroke was at 2 850 ms; now it is 3 000 ms.
    clock.advance(3849);
    assert.deepEqual(signals, [true, true]);
    clock.advance(1);
    assert.deepEqual(signals, [true, true, false]);
    assert.equal(typing.isTyping, false);
  });

  test('stop() sends false once, immediately; nothing when not typing', () => {
    const clock = new FakeClock();
    const signals: boolean[] = [];
    const typing = createTypingIndicator((v) => void signals.push(v), { timers: clock });
    typing.stop();
    assert.deepEqual(signals, []);
    typing.input();
    typing.stop();
    typing.stop();
    assert.deepEqual(signals, [true, false]);
    typing.input();
    assert.deepEqual(signals, [true, false, true], 'typing again right after sending signals again');
    typing.dispose();
    clock.advance(60_000);
    assert.deepEqual(signals, [true, false, true]);
  });

  test('the clients send user:typing frames of their own shape', () => {
    FakeSocket.reset();
    const clock = new FakeClock();
    const listener = connectListener({
      baseUrl: 'http://x',
      token: 't',
      WebSocket: FakeSocket,
      timers: clock,
      network: new FakeNetwork(),
    });
    const typing = listener.typing();
    typing.input(); // not connected yet: dropped, not queued
    FakeSocket.last.acceptListener();
    typing.stop();
    typing.input();
    assert.deepEqual(FakeSocket.last.messages('user:typing'), [{ isTyping: true }]);
    listener.close();

    const broadcaster = connectBroadcaster({
      baseUrl: 'http://x',
      token: 't',
      WebSocket: FakeSocket,
      timers: clock,
      network: new FakeNetwork(),
    });
    FakeSocket.last.acceptBroadcaster();
    broadcaster.typing(SESSION_A).input();
    clock.advance(10_000);
    assert.deepEqual(FakeSocket.last.messages('user:typing'), [
      { sessionId: SESSION_A, isTyping: true },
      { sessionId: SESSION_A, isTyping: false },
    ]);
    broadcaster.close();
  });
});
