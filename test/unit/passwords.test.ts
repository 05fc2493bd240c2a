import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  DEFAULT_SCRYPT_PARAMS,
  hashPassword,
  needsRehash,
  verifyAgainstDummy,
  verifyPassword,
} from '../../src/auth/passwords.js';

/** Cheap parameters for tests that hash many times; the defaults are tested separately. */
const FAST = { ln: 10, r: 8, p: 1 };

describe('passwords', () => {
  test('round trip with the default parameters', async () => {
    const stored = await hashPassword('rahasia-penyiar-123');
    assert.equal(await verifyPassword('rahasia-penyiar-123', stored), true);
  });

  test('wrong password', async () => {
    const stored = await hashPassword('rahasia-penyiar-123', FAST);
    assert.equal(await verifyPassword('rahasia-penyiar-124', stored), false);
    assert.equal(await verifyPassword('', stored), false);
    assert.equal(await verifyPassword('Rahasia-penyiar-123', stored), false);
    assert.equal(await verifyPassword('rahasia-penyiar-123 ', stored), false);
  });

  test('two hashes of one password differ (random salt), both verify', async () => {
    const a = await hashPassword('sama-saja', FAST);
    const b = await hashPassword('sama-saja', FAST);
    assert.notEqual(a, b);
    assert.notEqual(a.split('$')[3], b.split('$')[3], 'salts differ');
    assert.equal(await verifyPassword('sama-saja', a), true);
    assert.equal(await verifyPassword('sama-saja', b), true);
  });

  test('the stored string carries algorithm, parameters, salt and key', async () => {
    const stored = await hashPassword('x');
    const match = /^\$scrypt\$ln=(\d+),r=(\d+),p=(\d+)\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/.exec(stored);
    assert.ok(match, stored);
    assert.deepEqual(
      { ln: Number(match[1]), r: Number(match[2]), p: Number(match[3]) },
      { ln: DEFAULT_SCRYPT_PARAMS.ln, r: DEFAULT_SCRYPT_PARAMS.r, p: DEFAULT_SCRYPT_PARAMS.p },
    );
    assert.ok(DEFAULT_SCRYPT_PARAMS.ln >= 15, 'N is at least 2^15');
    assert.equal(Buffer.from(match[4]!, 'base64').length, 16, '16-byte salt');
    assert.ok(Buffer.from(match[5]!, 'base64').length >= 32, 'key of at least 32 bytes');
  });

  test('parameters are read back from the stored string (old hashes keep working)', async () => {
    const stored = await hashPassword('lama', FAST);
    assert.match(stored, /^\$scrypt\$ln=10,r=8,p=1\$/);
    assert.equal(await verifyPassword('lama', stored), true);
    // Changing the recorded parameters changes the derived key.
    assert.equal(await verifyPassword('lama', stored.replace('ln=10', 'ln=11')), false);
    assert.equal(await verifyPassword('lama', stored.replace('r=8', 'r=9')), false);
  });

  test('needsRehash tells hashes made with other parameters', async () => {
    assert.equal(needsRehash(await hashPassword('x', FAST)), true);
    assert.equal(needsRehash(await hashPassword('x')), false);
    assert.equal(needsRehash('garbage'), true);
  });

  test('unicode passwords; NFC and NFD spellings match', async () => {
    const stored = await hashPassword('kopi-susu-\u00e9-🎵', FAST);
    assert.equal(await verifyPassword('kopi-susu-\u00e9-🎵', stored), true);
    assert.equal(await verifyPassword('kopi-susu-e\u0301-🎵', stored), true);
    assert.equal(await verifyPassword('kopi-susu-e-🎵', stored), false);
  });

  describe('malformed stored hash gives false, never a throw', () => {
    const good =
      '$scrypt$ln=10,r=8,p=1$c2FsdHNhbHRzYWx0c2FsdA$' + Buffer.alloc(32, 7).toString('base64').replace(/=+$/, '');
    const bad: Array<[string, string]> = [
      ['empty', ''],
      ['garbage', 'not a hash'],
      ['plain text password', 'rahasia'],
      ['bcrypt hash', '$2b$10$abcdefghijklmnopqrstuuJ3lJ0x8n8GZQzOQq3qXr6H1m3pQ0Ka'],
      ['missing key', good.slice(0, good.lastIndexOf('$'))],
      ['empty key', good.slice(0, good.lastIndexOf('$') + 1)],
      ['unknown algorithm', good.replace('$scrypt$', '$argon2id$')],
      ['missing parameter', good.replace(',p=1', '')],
      ['N too large (memory bomb)', good.replace('ln=10', 'ln=30')],
      ['N too small', good.replace('ln=10', 'ln=1')],
      ['r zero', good.replace('r=8', 'r=0')],
      ['p huge', good.replace('p=1', 'p=99')],
      ['salt too short', good.replace('c2FsdHNhbHRzYWx0c2FsdA', 'c2FsdA')],
      ['key too short', good.slice(0, good.lastIndexOf('$') + 1) + 'AAAA'],
      ['not base64', good.replace('c2FsdHNhbHRzYWx0c2FsdA', 'c2Fsd*NhbHRzYWx0c2FsdA')],
      ['padded base64', good + '='],
      ['trailing data', good + '$extra'],
      ['leading space', ' ' + good],
    ];
    for (const [name, stored] of bad) {
      test(name, async () => {
        assert.equal(await verifyPassword('apa saja', stored), false);
      });
    }

    test('parameters beyond the memory or work bound are refused without running scrypt', async () => {
      const tooMuchMemory = good.replace('ln=10', 'ln=19'); // 128 * 2^19 * 8 bytes = 512 MiB
      const tooMuchWork = good.replace('ln=10', 'ln=17').replace('p=1', 'p=16'); // 64x the default work
      for (const stored of [tooMuchMemory, tooMuchWork]) {
        const start = Date.now();
        assert.equal(await verifyPassword('apa saja', stored), false);
        assert.ok(Date.now() - start < 150, `${stored} took ${Date.now() - start} ms`);
      }
    });

    test('non-string stored value', async () => {
      assert.equal(await verifyPassword('x', undefined as unknown as string), false);
      assert.equal(await verifyPassword('x', null as unknown as string), false);
    });

    test('the unbroken sample the table is derived from is well formed', () => {
      // So each row above fails because of its own defect only.
      assert.equal(needsRehash(good, FAST), false);
    });
  });

  test('verifyAgainstDummy resolves false and costs about as much as a real verification', async () => {
    const stored = await hashPassword('rahasia');
    await verifyAgainstDummy('warm-up');
    const time = async (fn: () => Promise<unknown>) => {
      const start = process.hrtime.bigint();
      for (let i = 0; i < 3; i++) await fn();
      return Number(process.hrtime.bigint() - start) / 3;
    };
    const real = await time(() => verifyPassword('salah', stored));
    const dummy = await time(() => verifyAgainstDummy('salah'));
    assert.equal(await verifyAgainstDummy('rahasia'), false);
    const ratio = dummy / real;
    assert.ok(ratio > 0.33 && ratio < 3, `dummy/real time ratio ${ratio.toFixed(2)}`);
  });
});
