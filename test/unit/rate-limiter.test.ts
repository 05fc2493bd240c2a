/** windowParts (how a spread limit is cut into fixed windows) and the memory limiter built from it. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { MAX_SLICES, memoryRateLimiter, windowParts } from '../../src/broker/rate-limiter.js';

const base = { keyPrefix: 'k', durationSeconds: 60 };

describe('windowParts', () => {
  test('a fixed window is one part, unchanged', () => {
    assert.deepEqual(windowParts({ ...base, points: 60 }), { steady: { ...base, points: 60 } });
  });

  test('spread: slices of the window, the rest as a burst over all of it', () => {
    const cases: [number, ReturnType<typeof windowParts>][] = [
      [60, { steady: { keyPrefix: 'k', points: 10, durationSeconds: 10 } }],
      [12, { steady: { keyPrefix: 'k', points: 2, durationSeconds: 10 } }],
      [3, { steady: { keyPrefix: 'k', points: 1, durationSeconds: 20 } }],
      [1, { steady: { keyPrefix: 'k', points: 1, durationSeconds: 60 } }],
      [
        7,
        {
          steady: { keyPrefix: 'k', points: 1, durationSeconds: 10 },
          burst: { keyPrefix: 'k:burst', points: 1, durationSeconds: 60 },
        },
      ],
    ];
    for (const [points, parts] of cases) {
      assert.deepEqual(windowParts({ ...base, points, spread: true }), parts, `${points} per minute`);
    }
  });

  test('slices divide the window into whole seconds', () => {
    assert.deepEqual(windowParts({ keyPrefix: 'k', points: 10, durationSeconds: 8, spread: true }).steady, {
      keyPrefix: 'k',
      points: 2,
      durationSeconds: 2,
    });
  });

  test('the parts add up to the points, and the worst span stays well under a fixed window', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10_000 }), fc.integer({ min: 1, max: 86_400 }), (points, duration) => {
        const { steady, burst } = windowParts({ keyPrefix: 'k', points, durationSeconds: duration, spread: true });
        const slices = duration / steady.durationSeconds;
        assert.ok(Number.isInteger(slices) && slices >= 1 && slices <= MAX_SLICES);
        assert.ok(Number.isInteger(steady.durationSeconds));
        const rest = burst?.points ?? 0;
        assert.equal(steady.points * slices + rest, points);
        assert.ok(rest < slices);
        if (burst) assert.equal(burst.durationSeconds, duration);
        // Any span of `duration` meets slices + 1 steady windows and two burst windows.
        const worst = steady.points * (slices + 1) + 2 * rest;
        if (slices > 1) assert.ok(worst < 2 * points, `${points}/${duration}s: ${worst}`);
      }),
    );
  });
});

describe('memoryRateLimiter', () => {
  test('spread: a slice, then the burst part, then refused; refund gives back an allowed point', async () => {
    const limiter = memoryRateLimiter({ ...base, points: 7, spread: true });
    assert.deepEqual(await limiter.consume('ip'), { allowed: true, remaining: 0 });
    await limiter.refund('ip');
    assert.deepEqual(await limiter.consume('ip'), { allowed: true, remaining: 0 }, 'the slice point came back');
    assert.equal((await limiter.consume('ip')).allowed, true, 'the burst part');
    const refused = await limiter.consume('ip');
    assert.ok(!refused.allowed && refused.retryAfterMs > 0 && refused.retryAfterMs <= 10_000);
    assert.equal((await limiter.consume('other-ip')).allowed, true, 'keys are counted apart');
  });
});
