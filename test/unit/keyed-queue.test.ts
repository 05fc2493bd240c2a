/** KeyedQueue: one task at a time per key, in arrival order; keys independent; failures do not block. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { KeyedQueue } from '../../src/keyed-queue.js';

/** A promise with its resolve function outside. */
function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

test("one key's tasks run one at a time, in arrival order", async () => {
  const queue = new KeyedQueue();
  const log: string[] = [];
  const first = deferred();
  const a = queue.run('s1', async () => {
    log.push('a start');
    await first.promise;
    log.push('a end');
    return 'a';
  });
  const b = queue.run('s1', async () => {
    log.push('b start');
    return 'b';
  });
  await turn();
  assert.deepEqual(log, ['a start'], 'b waits for a');
  first.resolve();
  assert.deepEqual(await Promise.all([a, b]), ['a', 'b']);
  assert.deepEqual(log, ['a start', 'a end', 'b start']);
});

test('different keys run side by side', async () => {
  const queue = new KeyedQueue();
  const blocker = deferred();
  const log: string[] = [];
  const a = queue.run('s1', async () => {
    await blocker.promise;
    log.push('s1');
  });
  const b = queue.run('s2', async () => {
    log.push('s2');
  });
  await b;
  assert.deepEqual(log, ['s2'], 's2 finished while s1 still waits');
  blocker.resolve();
  await a;
  assert.deepEqual(log, ['s2', 's1']);
});

test('a failing task rejects its own promise only; the next of the key still runs', async () => {
  const queue = new KeyedQueue();
  const failing = queue.run('s1', async () => {
    throw new Error('boom');
  });
  const next = queue.run('s1', async () => 'next');
  await assert.rejects(failing, /boom/);
  assert.equal(await next, 'next');
});

test('a task that throws before returning its promise becomes a rejection', async () => {
  const queue = new KeyedQueue();
  const thrown = queue.run('s1', () => {
    throw new Error('sync boom');
  });
  await assert.rejects(thrown, /sync boom/);
  assert.equal(await queue.run('s1', async () => 'after'), 'after');
});

test('keys are forgotten once their last task settled', async () => {
  const queue = new KeyedQueue();
  const blocker = deferred();
  const a = queue.run('s1', () => blocker.promise);
  const b = queue.run('s1', async () => undefined);
  const c = queue.run('s2', async () => undefined);
  assert.equal(queue.size, 2);
  await c;
  await turn();
  assert.equal(queue.size, 1, 's2 is forgotten, s1 still busy');
  blocker.resolve();
  await Promise.all([a, b]);
  await turn();
  assert.equal(queue.size, 0);
});
