/**
 * The reply path's expiry check reads a session's expiry from the database at
 * most once per instance, and not at all for a session whose listener
 * connected here (its token carries the expiry).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Store } from '../../src/db/types.js';
import { SessionExpiries } from '../../src/ws/session-expiries.js';

function fakeStore(expiries: Record<string, number>) {
  const reads: string[] = [];
  const store = {
    sessions: {
      get: async (id: string) => {
        reads.push(id);
        const at = expiries[id];
        return at === undefined ? undefined : { id, expiresAt: new Date(at) };
      },
    },
  } as unknown as Store;
  return { store, reads };
}

test('a remembered expiry is answered without a read, and wins over a read in flight', async () => {
  const { store, reads } = fakeStore({ a: 1000, b: 2000 });
  const expiries = new SessionExpiries(store);
  expiries.remember('a', 5000);
  assert.equal(expiries.expiresAt('a'), 5000);
  assert.deepEqual(reads, []);

  const inFlight = expiries.expiresAt('b');
  expiries.remember('b', 7000);
  assert.equal(await inFlight, 2000);
  assert.equal(expiries.expiresAt('b'), 7000);
  assert.deepEqual(reads, ['b']);
});

test('an expiry not remembered is read once, then kept; an unknown session is read each time', async () => {
  const { store, reads } = fakeStore({ a: 1000 });
  const expiries = new SessionExpiries(store);
  assert.equal(await expiries.expiresAt('a'), 1000);
  assert.equal(expiries.expiresAt('a'), 1000);
  assert.equal(await expiries.expiresAt('x'), undefined);
  assert.equal(await expiries.expiresAt('x'), undefined);
  assert.deepEqual(reads, ['a', 'x', 'x']);
});
