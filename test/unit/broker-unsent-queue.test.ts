/** The bounded queue of publications Redis did not take: order, bound, stop at the first failure. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { UnsentQueue, type UnsentItem } from '../../src/broker/redis/unsent-queue.js';

const item = (n: number): UnsentItem => ({ channel: 'c', payload: String(n) });

describe('UnsentQueue', () => {
  test('drains in order and counts what it published again', async () => {
    const queue = new UnsentQueue(10);
    for (let i = 1; i <= 3; i++) queue.push(item(i));
    const sent: string[] = [];
    await queue.drain(async ({ payload }) => sent.push(payload));
    assert.deepEqual(sent, ['1', '2', '3']);
    assert.equal(queue.size, 0);
    assert.equal(queue.republished, 3);
  });

  test('beyond its capacity the oldest are dropped and counted', async () => {
    const queue = new UnsentQueue(2);
    for (let i = 1; i <= 5; i++) queue.push(item(i));
    assert.equal(queue.size, 2);
    assert.equal(queue.dropped, 3);
    const sent: string[] = [];
    await queue.drain(async ({ payload }) => sent.push(payload));
    assert.deepEqual(sent, ['4', '5']);
  });

  test('a failure stops the drain, is rethrown, and keeps the failed item first for the next one', async () => {
    const queue = new UnsentQueue(10);
    for (let i = 1; i <= 3; i++) queue.push(item(i));
    const sent: string[] = [];
    await assert.rejects(
      queue.drain(async ({ payload }) => {
        if (payload === '2') throw new Error('Redis down');
        sent.push(payload);
      }),
      /Redis down/,
    );
    assert.deepEqual(sent, ['1']);
    await queue.drain(async ({ payload }) => sent.push(payload));
    assert.deepEqual(sent, ['1', '2', '3']);
  });

  test('a second drain while one runs does nothing; shouldStop ends a drain early', async () => {
    const queue = new UnsentQueue(10);
    for (let i = 1; i <= 3; i++) queue.push(item(i));
    const sent: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const first = queue.drain(async ({ payload }) => {
      await gate;
      sent.push(payload);
    });
    await queue.drain(async () => assert.fail('must not run concurrently'));
    release();
    await first;
    assert.deepEqual(sent, ['1', '2', '3']);
    queue.push(item(4));
    await queue.drain(
      async () => assert.fail('stopped'),
      () => true,
    );
    assert.equal(queue.size, 1);
  });

  test('an item dropped for capacity while it was being published is not removed twice', async () => {
    const queue = new UnsentQueue(2);
    queue.push(item(1));
    queue.push(item(2));
    const sent: string[] = [];
    await queue.drain(async ({ payload }) => {
      if (payload === '1') queue.push(item(3)); // drops '1' (the oldest) meanwhile
      sent.push(payload);
    });
    assert.deepEqual(sent, ['1', '2', '3']);
    assert.equal(queue.dropped, 1);
  });

  test('clear() drops what waits and counts it', async () => {
    const queue = new UnsentQueue(10);
    queue.push(item(1));
    queue.push(item(2));
    queue.clear();
    assert.equal(queue.size, 0);
    assert.equal(queue.dropped, 2);
    await queue.drain(async () => assert.fail('nothing left to publish'));
  });

  test('capacity must be positive', () => {
    assert.throws(() => new UnsentQueue(0), RangeError);
  });
});
