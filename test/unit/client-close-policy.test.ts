import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Backoff } from '../../src/client/backoff.js';
import { closeAction, reconnectDelay } from '../../src/client/close-policy.js';

describe('client close policy', () => {
  test('close codes decide what happens', () => {
    assert.equal(closeAction(4401, undefined), 'renew-token');
    assert.equal(closeAction(1001, undefined), 'going-away');
    assert.equal(closeAction(1008, undefined), 'policy');
    assert.equal(closeAction(1006, undefined), 'backoff');
    assert.equal(closeAction(1011, undefined), 'backoff');
    assert.equal(closeAction(1000, undefined), 'erased', 'the server closes with 1000 only for an erased session');
    assert.equal(closeAction(4403, undefined), 'forbidden', 'a banned session does not reconnect');
  });

  test('the HTTP status of a refused upgrade, where the socket reports it, decides too', () => {
    assert.equal(closeAction(1006, 'Unexpected server response: 401'), 'renew-token');
    assert.equal(closeAction(1006, 'Unexpected server response: 403'), 'forbidden');
    assert.equal(closeAction(1006, 'Unexpected server response: 429'), 'policy');
    assert.equal(closeAction(1006, 'Unexpected server response: 503'), 'backoff');
    assert.equal(closeAction(1006, 'connect ECONNREFUSED 127.0.0.1:4010'), 'backoff');
  });

  test('going-away waits up to its delay and starts the backoff over', () => {
    const backoff = new Backoff({ baseMs: 500, maxMs: 30_000, random: () => 1 });
    backoff.next();
    backoff.next();
    const options = { backoff, random: () => 0.5, goingAwayDelayMs: 1000, policyDelayMs: 60_000 };
    assert.equal(reconnectDelay('going-away', options), 500);
    assert.equal(backoff.attempts, 0);
  });

  test('policy waits between half of its delay and all of it, leaving the backoff alone', () => {
    const backoff = new Backoff({ random: () => 1 });
    const at = (r: number) =>
      reconnectDelay('policy', { backoff, random: () => r, goingAwayDelayMs: 1000, policyDelayMs: 60_000 });
    assert.equal(at(0), 30_000);
    assert.equal(at(0.5), 45_000);
    assert.equal(at(1), 60_000);
    assert.equal(backoff.attempts, 0);
  });

  test('backoff takes the next window of the backoff', () => {
    const backoff = new Backoff({ baseMs: 500, maxMs: 30_000, random: () => 1 });
    const options = { backoff, random: () => 0, goingAwayDelayMs: 1000, policyDelayMs: 60_000 };
    assert.deepEqual(
      [1, 2, 3].map(() => reconnectDelay('backoff', options)),
      [500, 1000, 2000],
    );
  });
});
