import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cleanSongField, songKey } from '../../src/text/song-key.js';

test('the song key ignores case, accents and spaces, and keeps title and artist apart', () => {
  const key = songKey('Kangen', 'Dewa 19');
  assert.equal(songKey('KANGEN', 'dewa19'), key);
  assert.equal(songKey('Kängen', ' Déwa  19 '), key);
  assert.equal(songKey('Ｋａｎｇｅｎ', 'Dewa 19'), key, 'full-width letters fold too');
  assert.notEqual(songKey('Kangen', ''), key);
  assert.notEqual(songKey('Kangen Dewa', '19'), key, 'a word moved from artist to title is another song');
  assert.notEqual(songKey('Kangan', 'Dewa 19'), key);
});

test('titles and artists are cleaned like names and checked by length', () => {
  assert.deepEqual(cleanSongField('  Laskar\nPelangi <b>x</b> ', 100), { ok: true, value: 'Laskar Pelangi x' });
  assert.deepEqual(cleanSongField('<i></i>', 100), { ok: false, reason: 'empty' });
  assert.deepEqual(cleanSongField('', 100, { allowEmpty: true }), { ok: true, value: '' });
  assert.deepEqual(cleanSongField('♪'.repeat(100), 100), { ok: true, value: '♪'.repeat(100) });
  assert.deepEqual(cleanSongField('a'.repeat(101), 100), { ok: false, reason: 'too_long' });
});
