/** Listener names and cities (contract v1.1 A) and the cache of broadcaster names no listener may take. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { checkName, nameKey, normalizeName } from '../../src/text/names.js';
import { ReservedNames } from '../../src/text/reserved-names.js';
import { deferred } from '../helpers/wait.js';

describe('normalizeName', () => {
  const cases: Array<[name: string, input: string, expected: string]> = [
    ['plain', 'Budi', 'Budi'],
    ['bidi override', '\u202EA raiyneP', 'A raiyneP'],
    ['every bidi control', '\u202AA\u202B\u202C\u202D\u2066B\u2067\u2068\u2069\u200EC\u200F\u061C', 'ABC'],
    ['zero-width and invisible', 'Bu\u200Bd\u200Ci\u2060\u2061\u2062\u2063\u2064\uFEFF\u00AD', 'Budi'],
    ['line breaks become one space', 'Budi\nSantoso\r\n\u2028dari\u2029Medan\u0085!', 'Budi Santoso dari Medan !'],
    ['whitespace runs collapse', '  Budi \t\u00A0 Santoso  ', 'Budi Santoso'],
    ['NFC', 'Rene\u0301', 'Ren\u00E9'],
    ['NFC after removal', 'Rene\u200B\u0301', 'Ren\u00E9'],
    ['markup', '<b>Budi</b>', 'Budi'],
    ['no markup re-assembled from invisible characters', '<\u200Bscript>x</script>Budi', 'Budi'],
    ['emoji joiners stay', 'Ayah 👨\u200D👩\u200D👧', 'Ayah 👨\u200D👩\u200D👧'],
  ];
  for (const [name, input, expected] of cases) test(name, () => assert.equal(normalizeName(input), expected));

  test('is idempotent', () => {
    for (const [, input] of cases) assert.equal(normalizeName(normalizeName(input)), normalizeName(input));
  });
});

describe('checkName', () => {
  test('a name of only invisible characters is empty', () => {
    assert.deepEqual(checkName('\u200B', 50), { ok: false, reason: 'empty' });
    assert.deepEqual(checkName(' \u202E\n ', 50), { ok: false, reason: 'empty' });
  });
  test('a listener name needs a letter, digit or symbol', () => {
    assert.deepEqual(checkName('...', 50, { requireVisible: true }), { ok: false, reason: 'invisible' });
    assert.deepEqual(checkName('\u0301', 50, { requireVisible: true }), { ok: false, reason: 'invisible' });
    assert.deepEqual(checkName('🎵', 50, { requireVisible: true }), { ok: true, value: '🎵' });
    assert.deepEqual(checkName('7', 50, { requireVisible: true }), { ok: true, value: '7' });
    assert.deepEqual(checkName('...', 50), { ok: true, value: '...' }, 'a city may be punctuation');
  });
  test('empty allowed when asked, length in code points after normalising', () => {
    assert.deepEqual(checkName(' \u200B ', 50, { allowEmpty: true }), { ok: true, value: '' });
    assert.equal(checkName('🎵'.repeat(50), 50).ok, true);
    assert.deepEqual(checkName('a'.repeat(51), 50), { ok: false, reason: 'too_long' });
    assert.equal(checkName(`${'a'.repeat(50)}\u200B\u200B`, 50).ok, true);
  });
});

describe('nameKey', () => {
  test('is case- and space-insensitive, after normalising', () => {
    const key = nameKey('Penyiar A');
    for (const spelling of [
      'penyiar a',
      ' PENYIAR\tA ',
      'PenyiarA',
      'Penyiar\u200B A',
      '\u202DPenyiar\nA',
      'Ｐｅｎｙｉａｒ Ａ',
    ])
      assert.equal(nameKey(spelling), key, spelling);
    assert.notEqual(nameKey('Penyiar B'), key);
  });
});

describe('ReservedNames', () => {
  test('matches broadcaster names and loads them once per ttl', async () => {
    let loads = 0;
    let names = ['Penyiar A'];
    let now = 0;
    const reserved = new ReservedNames(
      async () => {
        loads++;
        return names;
      },
      { ttlMs: 1000, now: () => now },
    );
    assert.equal(await reserved.has('penyiar  a'), true);
    assert.equal(await reserved.has('Budi'), false);
    assert.equal(loads, 1, 'cached');
    names = ['Penyiar A', 'Budi'];
    now = 999;
    assert.equal(await reserved.has('Budi'), false, 'still the cached set');
    now = 1000;
    assert.equal(await reserved.has('Budi'), true, 'reloaded after the ttl');
    assert.equal(loads, 2);
  });

  test('concurrent checks share one load; a failed load is tried again', async () => {
    let loads = 0;
    const gate = deferred<void>();
    let fail = true;
    const reserved = new ReservedNames(async () => {
      loads++;
      await gate.promise;
      if (fail) throw new Error('database down');
      return ['Penyiar A'];
    });
    const checks = [reserved.has('a'), reserved.has('b')];
    gate.resolve();
    for (const check of checks) await assert.rejects(check, /database down/);
    assert.equal(loads, 1);
    fail = false;
    assert.equal(await reserved.has('Penyiar A'), true);
    assert.equal(loads, 2);
  });
});
