/** The live show's pure helpers: CSV cells, search words and FTS5 queries, the start of the station's day. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fts5Query } from '../../src/db/message-search.js';
import { csvCell, csvRow } from '../../src/show/csv.js';
import { searchWords } from '../../src/show/search-words.js';
import { startOfDay } from '../../src/show/start-of-day.js';

test('CSV cells are quoted, quotes doubled, formula starts neutralised', () => {
  assert.equal(csvCell('Aku <3 lagu ini'), '"Aku <3 lagu ini"');
  assert.equal(csvCell('kata "kunci", dua\nbaris'), '"kata ""kunci"", dua\nbaris"');
  for (const start of ['=', '+', '-', '@', '\t', '\r']) {
    assert.equal(csvCell(`${start}1+1`), `"'${start}1+1"`, JSON.stringify(start));
  }
  assert.equal(csvCell('a=1'), '"a=1"');
  assert.equal(csvRow(['1', 'x']), '"1","x"\r\n');
});

test('search words are runs of letters and digits; everything else only separates', () => {
  assert.deepEqual(searchWords('  Lagu "kenangan" OR (Dewa*19) '), ['Lagu', 'kenangan', 'OR', 'Dewa', '19']);
  assert.deepEqual(searchWords('"*:()^-'), []);
  assert.deepEqual(searchWords('kata-kata café'), ['kata', 'kata', 'café']);
  assert.equal(searchWords('a b c d e f g h i j k l').length, 10);
});

test('FTS5 queries quote every word, so operators are searched as text', () => {
  assert.equal(fts5Query(['lagu', 'OR', 'NEAR']), '"lagu" "OR" "NEAR"');
  assert.equal(fts5Query(['a"b']), '"a""b"');
});

test('the day starts at midnight in the station time zone', () => {
  // 2026-12-04 02:00 in Jakarta (UTC+7) is 2026-12-03 19:00 UTC; that day began at 17:00 UTC.
  assert.equal(startOfDay(new Date('2026-12-03T19:00:00Z'), 'Asia/Jakarta').toISOString(), '2026-12-03T17:00:00.000Z');
  assert.equal(startOfDay(new Date('2026-12-04T16:59:59Z'), 'Asia/Jakarta').toISOString(), '2026-12-03T17:00:00.000Z');
  assert.equal(startOfDay(new Date('2026-12-04T10:30:00Z'), 'UTC').toISOString(), '2026-12-04T00:00:00.000Z');
});
