/** KeyedQueue: one task at a time per key, in arrival order; keys independent; failures do not block. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { KeyedQueue } from '../../src/keyed-queue.js';
import { deferred } from '../helpers/wait.js';

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

test('a key keeps its slot between tasks; slots unused for a whole sweep generation are swept', async () => {
  const queue = new KeyedQueue();
  for (let i = 0; i < 1024; i++) await queue.run(`a${i}`, async () => undefined);
  await turn();
  assert.equal(queue.slotCount, 1024, 'settled keys keep their slots');
  assert.equal(queue.size, 0);
  // The first new key past 1,024 slots sweeps, but every slot was used since the last sweep (none yet).
  await queue.run('b0', async () => undefined);
  assert.equal(queue.slotCount, 1025);
  const blocker = deferred();
  const busy = queue.run('a1', () => blocker.promise);
  for (let i = 1; i < 1023; i++) await queue.run(`b${i}`, async () => undefined);
  assert.equal(queue.slotCount, 2047);
  await queue.run('b1023', async () => undefined);
  await turn();
  // 2,048 slots: the next new key sweeps the a-keys not used since the first sweep, except the busy a1.
  await queue.run('c', async () => undefined);
  assert.equal(queue.slotCount, 2048 - 1023 + 1);
  assert.equal(queue.size, 1, 'a1 is still busy');
  const after = queue.run('a1', async () => 'after a1');
  blocker.resolve();
  await busy;
  assert.equal(await after, 'after a1', 'a busy key still runs its tasks in order after a sweep');
});
