import assert from 'node:assert/strict';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import { SignJWT, type JWTPayload } from 'jose';
import {
  MAX_TOKEN_LENGTH,
  TOKEN_AUDIENCE,
  TOKEN_ISSUER,
  TokenService,
  type TokenResult,
} from '../../src/auth/tokens.js';

const SECRET = 'test-secret-0123456789-abcdefghijklmnopqrstuvwxyz';
const OTHER_SECRET = 'another-secret-0123456789-abcdefghijklmnopqrstuv';
const key = new TextEncoder().encode(SECRET);
const tokens = new TokenService(SECRET);
const sessionId = randomUUID();
const listener = { sessionId, name: 'Budi', city: 'Bandung' };
const broadcaster = { adminId: '42', name: 'Mbak Rina' };

const b64url = (value: string | Buffer) => Buffer.from(value).toString('base64url');
const now = () => Math.floor(Date.now() / 1000);

/** A correct listener payload, to be bent by individual tests. */
function listenerPayload(overrides: JWTPayload = {}): JWTPayload {
  return {
    kind: 'listener',
    name: 'Budi',
    city: 'Bandung',
    sub: sessionId,
    iss: TOKEN_ISSUER,
    aud: TOKEN_AUDIENCE.listener,
    iat: now(),
    exp: now() + 600,
    ...overrides,
  };
}

/** Signs any payload with HS256 and the test secret, bypassing TokenService's checks. */
function signRaw(payload: JWTPayload, secret: Uint8Array = key): Promise<string> {
  return new SignJWT(payload).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).sign(secret);
}

function assertFailure(result: TokenResult, reason: string) {
  assert.equal(result.ok, false, `expected failure "${reason}", got ${JSON.stringify(result)}`);
  if (!result.ok) assert.equal(result.reason, reason);
}

function segments(token: string): [string, string, string] {
  const parts = token.split('.');
  assert.equal(parts.length, 3);
  return parts as [string, string, string];
}

describe('TokenService', () => {
  test('refuses a secret shorter than 32 bytes', () => {
    assert.throws(() => new TokenService('short'), RangeError);
    assert.throws(() => new TokenService('x'.repeat(31)), RangeError);
    assert.doesNotThrow(() => new TokenService('x'.repeat(32)));
  });

  describe('valid tokens', () => {
    test('listener token round-trips its claims', async () => {
      const before = Date.now();
      const signed = await tokens.signListener(listener, 7200);
      const result = await tokens.verify(signed.token, 'listener');
      assert.ok(result.ok, JSON.stringify(result));
      assert.equal(result.claims.kind, 'listener');
      assert.equal(result.claims.sessionId, sessionId);
      assert.equal(result.claims.name, 'Budi');
      assert.equal(result.claims.city, 'Bandung');
      assert.ok(result.claims.expiresAt instanceof Date);
      assert.equal(result.claims.expiresAt.getTime(), signed.expiresAt.getTime());
      const ttlMs = signed.expiresAt.getTime() - before;
      assert.ok(ttlMs > 7190_000 && ttlMs <= 7200_000, `ttl ${ttlMs}`);
    });

    test('listener token with an empty city and unicode name', async () => {
      const signed = await tokens.signListener({ sessionId, name: 'Sri 🎵 Wahyuni', city: '' }, 60);
      const result = await tokens.verify(signed.token, 'listener');
      assert.ok(result.ok);
      assert.equal(result.claims.name, 'Sri 🎵 Wahyuni');
      assert.equal(result.claims.city, '');
    });

    test('broadcaster token round-trips its claims', async () => {
      const signed = await tokens.signBroadcaster(broadcaster, 3600);
      const result = await tokens.verify(signed.token, 'broadcaster');
      assert.ok(result.ok, JSON.stringify(result));
      assert.equal(result.claims.kind, 'broadcaster');
      assert.equal(result.claims.adminId, '42');
      assert.equal(result.claims.name, 'Mbak Rina');
      assert.equal(result.claims.expiresAt.getTime(), signed.expiresAt.getTime());
    });

    test('a token signed by another instance with the same secret verifies', async () => {
      const signed = await new TokenService(SECRET).signListener(listener, 60);
      assert.ok((await tokens.verify(signed.token, 'listener')).ok);
    });

    test('the header pins HS256 and the payload carries issuer, audience and kind', async () => {
      const { token } = await tokens.signListener(listener, 60);
      const [header, payload] = segments(token);
      assert.equal(JSON.parse(Buffer.from(header, 'base64url').toString()).alg, 'HS256');
      const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
      assert.equal(claims.iss, TOKEN_ISSUER);
      assert.equal(claims.aud, TOKEN_AUDIENCE.listener);
      assert.equal(claims.kind, 'listener');
      assert.equal(claims.sub, sessionId);
      assert.equal(typeof claims.exp, 'number');
    });
  });

  describe('signing refuses claims that would not verify', () => {
    test('malformed sessionId, empty or long name, long city, bad adminId, bad ttl', async () => {
      await assert.rejects(tokens.signListener({ ...listener, sessionId: 'not-a-uuid' }, 60));
      await assert.rejects(tokens.signListener({ ...listener, name: '' }, 60));
      await assert.rejects(tokens.signListener({ ...listener, name: 'a'.repeat(51) }, 60));
      await assert.rejects(tokens.signListener({ ...listener, city: 'a'.repeat(51) }, 60));
      await assert.rejects(tokens.signBroadcaster({ ...broadcaster, adminId: '' }, 60));
      await assert.rejects(tokens.signBroadcaster({ ...broadcaster, adminId: 'a b' }, 60));
      await assert.rejects(tokens.signListener(listener, 0), RangeError);
      await assert.rejects(tokens.signListener(listener, -5), RangeError);
      await assert.rejects(tokens.signListener(listener, 1.5), RangeError);
    });
  });

  describe('expiry', () => {
    test('expired beyond the tolerance', async () => {
      let clock = Date.now();
      const service = new TokenService(SECRET, { now: () => clock });
      const { token } = await service.signListener(listener, 60);
      clock += 60_000 + 6_000;
      assertFailure(await service.verify(token, 'listener'), 'expired');
    });

    test('within the small clock tolerance still valid, not more', async () => {
      let clock = Date.now();
      const service = new TokenService(SECRET, { now: () => clock });
      const { token } = await service.signBroadcaster(broadcaster, 60);
      clock += 60_000 + 3_000;
      assert.ok((await service.verify(token, 'broadcaster')).ok);
      clock += 3_000;
      assertFailure(await service.verify(token, 'broadcaster'), 'expired');
    });

    test('a hand-made expired token', async () => {
      const token = await signRaw(listenerPayload({ iat: now() - 3600, exp: now() - 60 }));
      assertFailure(await tokens.verify(token, 'listener'), 'expired');
    });

    test('an expired token signed with another secret is invalid, not expired', async () => {
      const token = await signRaw(
        listenerPayload({ iat: now() - 3600, exp: now() - 60 }),
        new TextEncoder().encode(OTHER_SECRET),
      );
      assertFailure(await tokens.verify(token, 'listener'), 'invalid');
    });

    test('missing exp', async () => {
      const payload = listenerPayload();
      delete payload.exp;
      assertFailure(await tokens.verify(await signRaw(payload), 'listener'), 'invalid');
    });

    test('non-numeric exp', async () => {
      const token = await signRaw(listenerPayload({ exp: 'tomorrow' as unknown as number }));
      const result = await tokens.verify(token, 'listener');
      assert.equal(result.ok, false);
    });
  });

  describe('wrong kind', () => {
    test('broadcaster token on the listener side', async () => {
      const { token } = await tokens.signBroadcaster(broadcaster, 60);
      assertFailure(await tokens.verify(token, 'listener'), 'wrong_kind');
    });

    test('listener token on the broadcaster side', async () => {
      const { token } = await tokens.signListener(listener, 60);
      assertFailure(await tokens.verify(token, 'broadcaster'), 'wrong_kind');
    });

    test('an expired token of the other kind is expired', async () => {
      const token = await signRaw(listenerPayload({ iat: now() - 3600, exp: now() - 60 }));
      assertFailure(await tokens.verify(token, 'broadcaster'), 'expired');
    });

    test('kind claim and audience that disagree are invalid', async () => {
      const asBroadcaster = await signRaw(listenerPayload({ kind: 'broadcaster', sub: '42', name: 'X' }));
      assertFailure(await tokens.verify(asBroadcaster, 'broadcaster'), 'invalid');
      assertFailure(await tokens.verify(asBroadcaster, 'listener'), 'invalid');
      const noKind = listenerPayload();
      delete noKind['kind'];
      assertFailure(await tokens.verify(await signRaw(noKind), 'listener'), 'invalid');
    });
  });

  describe('forged and tampered tokens', () => {
    test('signed with another secret', async () => {
      const { token } = await new TokenService(OTHER_SECRET).signListener(listener, 60);
      assertFailure(await tokens.verify(token, 'listener'), 'invalid');
    });

    for (const alg of ['none', 'None', 'NONE', 'nOnE']) {
      test(`unsigned token with alg "${alg}"`, async () => {
        const header = b64url(JSON.stringify({ alg, typ: 'JWT' }));
        const payload = b64url(JSON.stringify(listenerPayload()));
        for (const token of [`${header}.${payload}.`, `${header}.${payload}`]) {
          const result = await tokens.verify(token, 'listener');
          assert.equal(result.ok, false, token);
          assert.ok(result.ok === false && ['invalid', 'malformed'].includes(result.reason));
        }
        // With the valid token's signature glued on, still refused.
        const valid = segments((await tokens.signListener(listener, 60)).token);
        assertFailure(await tokens.verify(`${header}.${payload}.${valid[2]}`, 'listener'), 'invalid');
      });
    }

    test('payload changed, old signature kept', async () => {
      const { token } = await tokens.signListener(listener, 60);
      const [header, , signature] = segments(token);
      const forged = b64url(JSON.stringify(listenerPayload({ name: 'Penyusup', exp: now() + 365 * 86400 })));
      assertFailure(await tokens.verify(`${header}.${forged}.${signature}`, 'listener'), 'invalid');
    });

    test('listener payload re-labelled as broadcaster, old signature kept', async () => {
      const { token } = await tokens.signListener(listener, 60);
      const [header, , signature] = segments(token);
      const forged = b64url(
        JSON.stringify(listenerPayload({ kind: 'broadcaster', aud: TOKEN_AUDIENCE.broadcaster, sub: '1', name: 'X' })),
      );
      assertFailure(await tokens.verify(`${header}.${forged}.${signature}`, 'broadcaster'), 'invalid');
    });

    test('header changed, old signature kept', async () => {
      const { token } = await tokens.signListener(listener, 60);
      const [, payload, signature] = segments(token);
      const header = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT', kid: 'x' }));
      assertFailure(await tokens.verify(`${header}.${payload}.${signature}`, 'listener'), 'invalid');
    });

    test('one signature character flipped', async () => {
      const { token } = await tokens.signListener(listener, 60);
      const [header, payload, signature] = segments(token);
      const flipped = (signature[0] === 'A' ? 'B' : 'A') + signature.slice(1);
      assertFailure(await tokens.verify(`${header}.${payload}.${flipped}`, 'listener'), 'invalid');
    });

    test('RS256 token (real RSA signature)', async () => {
      const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
      const token = await new SignJWT(listenerPayload()).setProtectedHeader({ alg: 'RS256' }).sign(privateKey);
      assertFailure(await tokens.verify(token, 'listener'), 'invalid');
    });

    test('RS256 header over an HMAC made with the shared secret (key confusion)', async () => {
      const { token } = await tokens.signListener(listener, 60);
      const [, payload, signature] = segments(token);
      const header = b64url(JSON.stringify({ alg: 'RS256', typ: 'JWT' }));
      assertFailure(await tokens.verify(`${header}.${payload}.${signature}`, 'listener'), 'invalid');
    });

    test('HS512 token with the right secret', async () => {
      const token = await new SignJWT(listenerPayload()).setProtectedHeader({ alg: 'HS512' }).sign(key);
      assertFailure(await tokens.verify(token, 'listener'), 'invalid');
    });
  });

  describe('claims', () => {
    test('wrong issuer', async () => {
      assertFailure(
        await tokens.verify(await signRaw(listenerPayload({ iss: 'someone-else' })), 'listener'),
        'invalid',
      );
    });

    test('missing issuer', async () => {
      const payload = listenerPayload();
      delete payload.iss;
      assertFailure(await tokens.verify(await signRaw(payload), 'listener'), 'invalid');
    });

    test('wrong audience', async () => {
      assertFailure(await tokens.verify(await signRaw(listenerPayload({ aud: 'other-app' })), 'listener'), 'invalid');
    });

    test('missing audience', async () => {
      const payload = listenerPayload();
      delete payload.aud;
      assertFailure(await tokens.verify(await signRaw(payload), 'listener'), 'invalid');
    });

    test('both audiences at once', async () => {
      const token = await signRaw(listenerPayload({ aud: [TOKEN_AUDIENCE.listener, TOKEN_AUDIENCE.broadcaster] }));
      assertFailure(await tokens.verify(token, 'listener'), 'invalid');
      assertFailure(await tokens.verify(token, 'broadcaster'), 'invalid');
    });

    test('correctly signed but malformed sessionId', async () => {
      assertFailure(await tokens.verify(await signRaw(listenerPayload({ sub: 'not-a-uuid' })), 'listener'), 'invalid');
    });

    test('correctly signed but missing or over-long name', async () => {
      const payload = listenerPayload();
      delete payload['name'];
      assertFailure(await tokens.verify(await signRaw(payload), 'listener'), 'invalid');
      assertFailure(
        await tokens.verify(await signRaw(listenerPayload({ name: 'a'.repeat(51) })), 'listener'),
        'invalid',
      );
      assertFailure(await tokens.verify(await signRaw(listenerPayload({ city: 7 })), 'listener'), 'invalid');
    });
  });

  describe('garbage', () => {
    const garbage: Array<[string, string | undefined | null, string]> = [
      ['undefined', undefined, 'missing'],
      ['null', null, 'missing'],
      ['empty', '', 'missing'],
      ['one word', 'garbage', 'malformed'],
      ['two parts', 'abc.def', 'malformed'],
      ['four parts', 'a.b.c.d', 'malformed'],
      ['not base64url', 'a$b.c%d.e^f', 'malformed'],
      ['dots only', '..', 'malformed'],
      ['spaces', 'Bearer abc.def.ghi', 'malformed'],
      ['valid base64, not JSON', `${b64url('not json')}.${b64url('{}')}.abc`, 'malformed'],
    ];
    for (const [name, token, reason] of garbage) {
      test(name, async () => {
        assertFailure(await tokens.verify(token, 'listener'), reason);
      });
    }

    test('JSON header, payload that is not JSON, valid HMAC', async () => {
      const { createHmac } = await import('node:crypto');
      const input = `${b64url(JSON.stringify({ alg: 'HS256' }))}.${b64url('not json')}`;
      const signature = createHmac('sha256', SECRET).update(input).digest('base64url');
      const result = await tokens.verify(`${input}.${signature}`, 'listener');
      assertFailure(result, 'malformed');
    });

    test('over-long token is refused before parsing', async () => {
      const { token } = await tokens.signListener(listener, 60);
      const [header, payload, signature] = segments(token);
      const long = `${header}.${payload}${'A'.repeat(MAX_TOKEN_LENGTH)}.${signature}`;
      assertFailure(await tokens.verify(long, 'listener'), 'malformed');
      // A correctly signed token that is merely too long is refused too.
      const bigButValid = await signRaw(listenerPayload({ pad: 'x'.repeat(MAX_TOKEN_LENGTH) }));
      assertFailure(await tokens.verify(bigButValid, 'listener'), 'malformed');
    });
  });
});
