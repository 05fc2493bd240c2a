/** limitLoginAttempt: attempts are reserved before the check; only non-failures get their point back. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import pino from 'pino';
import { memoryRateLimiter } from '../../src/broker/rate-limiter.js';
import { HttpError } from '../../src/errors.js';
import { limitLoginAttempt } from '../../src/http/login-attempts.js';
import { deferred } from '../helpers/wait.js';

const logger = pino({ level: 'silent' });
const who = { username: 'Penyiar', ip: '10.0.0.1' };

function limiters(failures = 2, attempts = 100) {
  return {
    loginFailureLimiter: memoryRateLimiter({ keyPrefix: 'f', points: failures, durationSeconds: 60 }),
    loginIpLimiter: memoryRateLimiter({ keyPrefix: 'ip', points: attempts, durationSeconds: 60 }),
  };
}

const isRateLimited = (error: unknown) => error instanceof HttpError && error.code === 'rate_limited';

describe('limitLoginAttempt', () => {
  test('attempts waiting on a slow check already hold their point', async () => {
    const l = limiters(2);
    const gate = deferred<undefined>();
    const checks: number[] = [];
    const pending = Array.from({ length: 5 }, (_, i) =>
      limitLoginAttempt(l, who, logger, () => {
        checks.push(i);
        return gate.promise;
      }),
    );
    const settled = Promise.allSettled(pending);
    gate.resolve(undefined);
    const results = await settled;
    assert.equal(checks.length, 2, 'only two checks ran');
    assert.equal(results.filter((r) => r.status === 'rejected' && isRateLimited(r.reason)).length, 3);
  });

  test('a success gives back its own point only; failures stay counted', async () => {
    const l = limiters(2);
    assert.equal(await limitLoginAttempt(l, who, logger, async () => undefined), undefined);
    for (let i = 0; i < 3; i++) assert.equal(await limitLoginAttempt(l, who, logger, async () => 'ok'), 'ok');
    assert.equal(await limitLoginAttempt(l, who, logger, async () => undefined), undefined);
    await assert.rejects(
      limitLoginAttempt(l, who, logger, async () => 'ok'),
      isRateLimited,
    );
  });

  test('an error in the check is not a failed login', async () => {
    const l = limiters(1);
    await assert.rejects(
      limitLoginAttempt(l, who, logger, () => Promise.reject(new Error('database down'))),
      /database down/,
    );
    assert.equal(await limitLoginAttempt(l, who, logger, async () => 'ok'), 'ok');
  });

  test('every attempt counts per IP, whatever the username and outcome', async () => {
    const l = limiters(10, 2);
    await limitLoginAttempt(l, { ...who, username: 'a' }, logger, async () => 'ok');
    await limitLoginAttempt(l, { ...who, username: 'b' }, logger, async () => undefined);
    await assert.rejects(
      limitLoginAttempt(l, { ...who, username: 'c' }, logger, async () => 'ok'),
      isRateLimited,
    );
  });

  test('the failure count is per username (any case) and IP', async () => {
    const l = limiters(1);
    await limitLoginAttempt(l, who, logger, async () => undefined);
    await assert.rejects(
      limitLoginAttempt(l, { ...who, username: 'PENYIAR' }, logger, async () => 'ok'),
      isRateLimited,
    );
    assert.equal(await limitLoginAttempt(l, { ...who, ip: '10.0.0.2' }, logger, async () => 'ok'), 'ok');
  });
});
