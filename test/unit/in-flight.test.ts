/** InFlight: counts pending promises; idle() waits for all of them, including those tracked while waiting. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InFlight } from '../../src/in-flight.js';
import { deferred } from '../helpers/wait.js';

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

test('idle() resolves at once when nothing is tracked', async () => {
  const inFlight = new InFlight();
  assert.equal(inFlight.size, 0);
  let idle = false;
  void inFlight.idle().then(() => (idle = true));
  await turn();
  assert.equal(idle, true);
});

test('track() hands the promise back and counts it until it settles, resolved or rejected', async () => {
  const inFlight = new InFlight();
  const a = deferred<string>();
  const b = deferred<string>();
  assert.equal(inFlight.track(a.promise), a.promise);
  void inFlight.track(b.promise).catch(() => undefined);
  assert.equal(inFlight.size, 2);
  a.resolve('a');
  await turn();
  assert.equal(inFlight.size, 1);
  b.reject(new Error('b failed'));
  await turn();
  assert.equal(inFlight.size, 0);
});

test('idle() waits for every tracked promise, also those tracked while it waits', async () => {
  const inFlight = new InFlight();
  const first = deferred<string>();
  const second = deferred<string>();
  inFlight.track(first.promise);
  let idle = false;
  void inFlight.idle().then(() => (idle = true));
  inFlight.track(second.promise);
  first.resolve('first');
  await turn();
  assert.equal(idle, false, 'the second is still pending');
  second.resolve('second');
  await turn();
  assert.equal(idle, true);
});

test('a rejection it tracks is not reported as unhandled by tracking alone', async () => {
  const inFlight = new InFlight();
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  process.on('unhandledRejection', onUnhandled);
  try {
    const failing = deferred<string>();
    const tracked = inFlight.track(failing.promise);
    failing.reject(new Error('refused'));
    await inFlight.idle();
    await assert.rejects(tracked, /refused/);
    await turn();
    assert.deepEqual(unhandled, []);
  } finally {
    process.off('unhandledRejection', onUnhandled);
  }
});
