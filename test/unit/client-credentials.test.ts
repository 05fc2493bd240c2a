import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Credentials, jwtExpiry, tokenOf } from '../../src/client/credentials.js';

/** An unsigned JWT with these claims (the client only reads `exp`). */
function jwt(claims: object): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'HS256', typ: 'JWT' })}.${part(claims)}.signature`;
}

describe('client credentials', () => {
  test("reads a JWT's exp in milliseconds; nothing from other tokens", () => {
    assert.equal(jwtExpiry(jwt({ sub: 's', exp: 1_700_000_000 })), 1_700_000_000_000);
    assert.equal(jwtExpiry(jwt({ sub: 's' })), undefined);
    assert.equal(jwtExpiry('token-1'), undefined);
    assert.equal(jwtExpiry('a.!!!.c'), undefined);
  });

  test('a given expiry wins over the JWT; without one the JWT tells', () => {
    const token = jwt({ exp: 1_700_000_000 });
    const fromJwt = new Credentials(token);
    assert.equal(fromJwt.expiredAt(1_699_999_999_999), false);
    assert.equal(fromJwt.expiredAt(1_700_000_000_000), true);
    const given = new Credentials(token, '2023-11-14T22:13:30.000Z'); // 1_700_000_010_000
    assert.equal(given.expiredAt(1_700_000_005_000), false);
    assert.equal(given.expiredAt(1_700_000_010_000), true);
    assert.equal(new Credentials(token, new Date(5)).expiredAt(5), true);
    assert.equal(new Credentials(token, 5).expiredAt(4), false);
  });

  test('a token without a known expiry never counts as expired', () => {
    const credentials = new Credentials('token-1', 'not a date');
    assert.equal(credentials.expiredAt(Number.MAX_SAFE_INTEGER), false);
  });

  test('set replaces token and expiry together', () => {
    const credentials = new Credentials('token-1', 10);
    credentials.set('token-2');
    assert.equal(credentials.token, 'token-2');
    assert.equal(credentials.expiredAt(Number.MAX_SAFE_INTEGER), false);
  });

  test('takes the token out of what refreshToken returns, or nothing', () => {
    assert.deepEqual(tokenOf('t'), { token: 't', expiresAt: undefined });
    assert.deepEqual(tokenOf({ token: 't', expiresAt: 'x' }), { token: 't', expiresAt: 'x' });
    assert.deepEqual(tokenOf({ sessionToken: 's', sessionId: 'id' }), { token: 's', expiresAt: undefined });
    assert.deepEqual(tokenOf({ token: 't', sessionToken: 's' }), { token: 't', expiresAt: undefined });
    for (const empty of [null, undefined, '', {}, { token: '' }, { expiresAt: 'x' }]) {
      assert.equal(tokenOf(empty), undefined, JSON.stringify(empty));
    }
  });
});
