/**
 * Login brute force (issue 19, item 1): wrong passwords sent all at once must
 * be counted before any password is checked, on one instance and across two
 * instances sharing Redis; a successful login gives back only its own attempt
 * and never clears the failures counted before it.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { json } from '../helpers/clients.js';
import { matrix, type TestServer } from '../helpers/server.js';
import { withInstances, withServer } from '../helpers/with-server.js';

const FAILURE_LIMIT = 3;
const CONCURRENT_GUESSES = 30;
const env = { LIVECHAT_LOGIN_FAILURE_LIMIT: String(FAILURE_LIMIT) };

const login = (server: TestServer, password: string) =>
  json(`${server.baseUrl}/livechat/admin/login`, { body: { username: server.admin.username, password } });

/** Sends every guess at once, spread over the servers; returns how many got each status. */
async function guessAtOnce(servers: TestServer[]): Promise<Map<number, number>> {
  const answers = await Promise.all(
    Array.from({ length: CONCURRENT_GUESSES }, (_, i) => login(servers[i % servers.length]!, `salah-${i}`)),
  );
  const statuses = new Map<number, number>();
  for (const { status } of answers) statuses.set(status, (statuses.get(status) ?? 0) + 1);
  return statuses;
}

function assertOnlyLimitChecked(statuses: Map<number, number>): void {
  assert.deepEqual([...statuses.keys()].sort(), [401, 429], `only 401 and 429, got ${JSON.stringify([...statuses])}`);
  assert.equal(statuses.get(401), FAILURE_LIMIT, 'exactly the limit of passwords were checked');
}

for (const { dialect, broker } of matrix()) {
  describe(`login brute force on ${dialect} with the ${broker} broker`, () => {
    describe('guesses sent at once', () => {
      const server = withServer({ dialect, broker, env });
      test('only the limit of passwords is checked; then even the right one waits', async () => {
        assertOnlyLimitChecked(await guessAtOnce([server]));
        const right = await login(server, server.admin.password);
        assert.equal(right.status, 429);
        assert.equal(right.body.error, 'rate_limited');
        assert.ok(Number(right.headers.get('retry-after')) > 0);
      });
    });

    describe('a successful login', () => {
      const server = withServer({ dialect, broker, env });
      test('gives back its own attempt only and keeps the failures before it', async () => {
        for (let i = 0; i < FAILURE_LIMIT - 1; i++) assert.equal((await login(server, 'salah')).status, 401);
        // Logins that succeed do not use up the limit...
        for (let i = 0; i < FAILURE_LIMIT + 1; i++) {
          assert.equal((await login(server, server.admin.password)).status, 200);
        }
        // ...and do not wipe the failures counted before them.
        assert.equal((await login(server, 'salah')).status, 401);
        assert.equal((await login(server, 'salah')).status, 429);
        assert.equal((await login(server, server.admin.password)).status, 429);
      });
    });
  });
}

describe('login brute force across two instances sharing Redis', () => {
  const servers = withInstances(2, { env });
  test('guesses spread over both instances are counted once, atomically', async () => {
    assertOnlyLimitChecked(await guessAtOnce(servers));
    assert.equal((await login(servers[1]!, servers[1]!.admin.password)).status, 429);
  });
});
