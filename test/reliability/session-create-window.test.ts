/**
 * Session creation per IP (issue 19, item 9): a fixed window lets about twice
 * its points through around its end (the last points of one window, then all
 * of the next). The session-creation limiter spreads its points over slices of
 * the minute instead, in memory and in Redis, so no span of the window's
 * length lets much more than its points through, and a burst takes a slice.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { Redis } from 'ioredis';
import { memoryRateLimiters, type RateLimiter, type RateLimiterFactory } from '../../src/broker/rate-limiter.js';
import { redisRateLimiters } from '../../src/broker/redis/redis-rate-limiter.js';
import { json } from '../helpers/clients.js';
import { connectRedis, dropRedisPrefix } from '../helpers/redis.js';
import { matrix, testRedisUrl } from '../helpers/server.js';
import { withServer } from '../helpers/with-server.js';
import { sleep } from '../helpers/wait.js';

const POINTS = 3;
const DURATION_SECONDS = 3;
/** Before and after the window's end: wide enough for a loaded machine's timers, within one slice (1 s). */
const MARGIN_MS = 400;

/** Takes points until one is refused (at most `POINTS + 1` tries); returns how many were allowed. */
async function takeAll(limiter: RateLimiter, key: string): Promise<number> {
  let allowed = 0;
  for (let i = 0; i <= POINTS; i++) {
    if (!(await limiter.consume(key)).allowed) break;
    allowed += 1;
  }
  return allowed;
}

/** One point at the window's start, then everything just before and just after its end. */
async function boundaryAttack(limiter: RateLimiter, key: string): Promise<number> {
  const start = Date.now();
  assert.equal((await limiter.consume(key)).allowed, true);
  const until = (ms: number) => sleep(Math.max(0, start + ms - Date.now()));
  await until(DURATION_SECONDS * 1000 - MARGIN_MS);
  const before = await takeAll(limiter, key);
  await until(DURATION_SECONDS * 1000 + MARGIN_MS);
  return before + (await takeAll(limiter, key));
}

function stores(): { name: string; factory: () => RateLimiterFactory }[] {
  let redis: Redis | undefined;
  const prefix = `test:${randomBytes(4).toString('hex')}:`;
  before(async () => {
    redis = await connectRedis();
  });
  after(async () => {
    redis?.disconnect();
    await dropRedisPrefix(testRedisUrl, prefix);
  });
  return [
    { name: 'memory', factory: () => memoryRateLimiters },
    { name: 'Redis', factory: () => redisRateLimiters(redis!, prefix) },
  ];
}

describe('spread rate limits', () => {
  for (const { name, factory } of stores()) {
    test(`${name}: 0.8 s around the window's end lets at most its points through`, async () => {
      const options = { keyPrefix: 'window', points: POINTS, durationSeconds: DURATION_SECONDS };
      const spread = factory().create({ ...options, spread: true });
      const [fixed, smooth] = await Promise.all([
        boundaryAttack(factory().create(options), 'fixed'),
        boundaryAttack(spread, 'spread'),
      ]);
      assert.equal(fixed, 2 * POINTS - 1, 'a fixed window lets nearly twice through (the attack works)');
      assert.ok(smooth <= POINTS, `spread: ${smooth} within 0.8 s, at most ${POINTS}`);
    });
  }
});

for (const { dialect, broker } of matrix()) {
  describe(`session creation per IP on ${dialect} with the ${broker} broker`, () => {
    const server = withServer({ dialect, broker, env: { LIVECHAT_SESSION_CREATE_LIMIT_PER_MINUTE: '12' } });
    test('a burst at once takes a sixth of the minute, not all of it', async () => {
      const answers = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          json(`${server.baseUrl}/livechat/session`, { body: { name: `Pendengar ${i}` } }),
        ),
      );
      const created = answers.filter((a) => a.status === 201).length;
      assert.equal(created, 2, 'twelve per minute: two per ten seconds');
      const refused = answers.filter((a) => a.status === 429);
      assert.equal(refused.length, 18);
      for (const { body, headers } of refused) {
        assert.equal(body.error, 'rate_limited');
        const wait = Number(headers.get('retry-after'));
        assert.ok(wait > 0 && wait <= 10, `Retry-After ${wait} s is within the slice`);
      }
    });
  });
}
