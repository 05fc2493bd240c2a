/** The test toolkit's waiting helpers: waitFor polls until true or fails naming what it awaited; deferred settles from outside. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { deferred, waitFor } from '../helpers/wait.js';

describe('waitFor', () => {
  test('resolves once the predicate holds, sync or async', async () => {
    let checks = 0;
    await waitFor(() => ++checks === 3, { message: 'the third check', intervalMs: 1 });
    assert.equal(checks, 3);
    let asyncChecks = 0;
    await waitFor(async () => ++asyncChecks === 2, { message: 'the second check', intervalMs: 1 });
    assert.equal(asyncChecks, 2);
  });

  test('fails after timeoutMs, naming the bound and what was awaited', async () => {
    const started = Date.now();
    await assert.rejects(
      waitFor(() => false, { message: 'the moon', timeoutMs: 50, intervalMs: 5 }),
      {
        message: 'timed out after 50 ms waiting for the moon',
      },
    );
    assert.ok(Date.now() - started >= 50);
  });

  test('passes on an error of the predicate', async () => {
    await assert.rejects(
      waitFor(
        () => {
          throw new Error('broken check');
        },
        { message: 'anything' },
      ),
      { message: 'broken check' },
    );
  });
});

describe('deferred', () => {
  test('resolves and rejects from outside', async () => {
    const ok = deferred<string>();
    ok.resolve('ya');
    assert.equal(await ok.promise, 'ya');
    const failed = deferred();
    failed.reject(new Error('tidak'));
    await assert.rejects(failed.promise, { message: 'tidak' });
  });
});
