import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { cleanField, cleanText } from '../../src/text/clean.js';

/** Control characters other than `\n` (Unicode Cc). */
const CONTROL_EXCEPT_NEWLINE = /(?!\n)\p{Cc}/u;

/** What cleaning removes besides markup: controls other than \n, and bidi controls. */
const CONTROLS = /(?!\n)\p{Cc}|[\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/gu;

describe('cleanText', () => {
  const cases: Array<[name: string, input: string, expected: string]> = [
    // Plain text arrives exactly as sent.
    ['contract example', 'Aku <3 lagu ini & "Sheila on 7"', 'Aku <3 lagu ini & "Sheila on 7"'],
    ['entities stay as typed', 'Tom &amp; Jerry &lt;3 &#60;b&#62; &nbsp;', 'Tom &amp; Jerry &lt;3 &#60;b&#62; &nbsp;'],
    ['escaped markup stays as typed', '&lt;script&gt;alert(1)&lt;/script&gt;', '&lt;script&gt;alert(1)&lt;/script&gt;'],
    [
      'indonesian text',
      'Selamat pagi, Mas! Putar "Kangen" Dewa 19 dong, ya?',
      'Selamat pagi, Mas! Putar "Kangen" Dewa 19 dong, ya?',
    ],
    ['emojis', 'Mantap 🎶🔥👍🏽 👨‍👩‍👧 🇮🇩', 'Mantap 🎶🔥👍🏽 👨‍👩‍👧 🇮🇩'],
    [
      'quotes and symbols',
      `it's 100% "oke" — 5 > 3, a=b; {x} [y] \\ / ~`,
      `it's 100% "oke" — 5 > 3, a=b; {x} [y] \\ / ~`,
    ],
    ['invisible non-control characters are kept', 'a\u200bb\u00adc', 'a\u200bb\u00adc'],
    ['bidi controls are removed', '\u202EA raiyneP\u202C \u2066x\u2069\u200E\u200F\u061C', 'A raiyneP x'],
    ['emoji joiners stay', '👨\u200D👩\u200D👧', '👨\u200D👩\u200D👧'],
    // Plain-text uses of < and > that the HTML tokenizer reads as text.
    ['a < b', 'a < b', 'a < b'],
    ['x<3', 'x<3', 'x<3'],
    ['5 > 3', '5 > 3', '5 > 3'],
    ['<3 alone', '<3', '<3'],
    ['<3 twice', '<3 <3', '<3 <3'],
    ['lone < at the end', 'tunggu <', 'tunggu <'],
    ['a <= b', 'a <= b', 'a <= b'],
    ['arrow', 'x <- y -> z', 'x <- y -> z'],
    ['empty brackets', 'a <> b', 'a <> b'],
    ['</ at the end', 'a</', 'a</'],
    // Ambiguous: the tokenizer sees an (unterminated) tag; it is dropped.
    ['unterminated tag is dropped', 'I <love you', 'I'],
    ['unterminated tag after <', 'a<<b', 'a<'],
    ['letter after < closed later', 'I <love you> too', 'I  too'],
    // Markup.
    ['script', '<script>alert(1)</script>', ''],
    ['script with text around', 'halo <script>alert(1)</script> dunia', 'halo  dunia'],
    ['script mixed case', '<ScRiPt>alert(1)</sCrIpT>ok', 'ok'],
    ['unclosed script', 'halo<script>alert(1)', 'halo'],
    ['script with attributes and odd close', '<script type="text/javascript">x()</script  >ok', 'ok'],
    ['style', '<style>body{display:none}</style>halo', 'halo'],
    ['unclosed style', 'halo<style>body{display:none}', 'halo'],
    ['style inside svg', '<svg><style>a{}</style><text>t</text></svg>', 't'],
    ['img onerror', '<img src=x onerror=alert(1)>halo', 'halo'],
    ['bold', '<b>tebal</b> dan <i>miring</i>', 'tebal dan miring'],
    ['attribute with >', '<a href="x>y" title=\'<b>\'>link</a>', 'link'],
    ['self-closing', 'a<br/>b<hr />c', 'abc'],
    ['comment', 'a<!-- rahasia -->b', 'ab'],
    ['unclosed comment', 'a<!-- rahasia', 'a'],
    ['conditional comment', '<!--[if IE]><script>x</script><![endif]-->ok', 'ok'],
    ['doctype', '<!DOCTYPE html>halo', 'halo'],
    ['processing instruction', '<?xml version="1.0"?>halo', 'halo'],
    ['cdata', '<![CDATA[<script>x</script>]]>halo', 'halo'],
    ['bogus end tag', 'a</ b>c', 'ac'],
    ['iframe', '<iframe src="javascript:alert(1)"></iframe>halo', 'halo'],
    ['markup inside raw-text element', '<title><b>judul</b></title>', 'judul'],
    ['plaintext element', '<plaintext><script>alert(1)</script>', ''],
    ['textarea', '<textarea><script>alert(1)</script></textarea>ok', 'ok'],
    // Re-assembly tricks.
    ['split script', '<scr<script>x</script>ipt>alert(1)</script>', 'xipt>alert(1)'],
    ['tag assembled from pieces', '<<b>script>alert(1)<</b>/script>', ''],
    ['nested comment trick', '<<!-- -->script>alert(1)<<!-- -->/script>', ''],
    ['deeply nested trick', '<<<<<b>b>b>b>script>alert(1)', ''],
    ['control character inside tag name', '<scr\u0000ipt>alert(1)</scr\u0000ipt>', ''],
    // Control characters.
    ['newline kept', 'baris satu\nbaris dua', 'baris satu\nbaris dua'],
    ['tab removed', 'a\tb', 'ab'],
    ['CR removed, LF kept', 'a\r\nb', 'a\nb'],
    ['NUL, BEL, ESC removed', 'a\u0000b\u0007c\u001b[31md', 'abc[31md'],
    ['DEL and C1 removed', 'a\u007fb\u0080c\u0085d\u009fe', 'abcde'],
    // Trimming.
    ['trimmed', '   halo   ', 'halo'],
    ['newlines at the ends trimmed', '\n\nhalo\n\n', 'halo'],
    ['unicode spaces trimmed', '\u00a0\u3000halo\u2003', 'halo'],
    ['trim after removing markup', '  <b> </b> halo <i> </i> ', 'halo'],
    ['only markup', '<b></b><!-- x -->', ''],
    ['only whitespace', ' \n \t ', ''],
    ['empty', '', ''],
  ];

  for (const [name, input, expected] of cases) {
    test(`${name}: ${JSON.stringify(input)}`, () => {
      assert.equal(cleanText(input), expected);
    });
  }

  test('nesting deeper than the pass limit still ends without markup', () => {
    // k levels of `<<b>script>`: each pass peels one level.
    const nested = (k: number) => '<'.repeat(k) + 'b>'.repeat(k - 1) + 'script>alert(1)';
    assert.equal(cleanText(nested(3)), '');
    const deep = cleanText(nested(40));
    assert.doesNotMatch(deep, /</);
    assert.equal(cleanText(deep), deep);
  });

  test('a string with no `<`, `>` or control characters other than \\n comes back trimmed only', () => {
    const unit = fc.oneof(
      fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
      fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 }),
      fc.constantFrom(
        '&',
        '&amp;',
        '&lt;',
        '&#60;',
        '&nbsp',
        ';',
        '"',
        "'",
        '=',
        '/',
        '!',
        '?',
        '-',
        ' ',
        '\n',
        '\u00a0',
      ),
    );
    const text = fc
      .array(unit, { maxLength: 40 })
      .map((parts) => parts.join('').replace(/[<>]/g, '').replace(CONTROLS, ''));
    fc.assert(
      fc.property(text, (s) => {
        assert.equal(cleanText(s), s.trim());
      }),
      { numRuns: 500 },
    );
  });

  test('without any `<`, only control characters and surrounding whitespace change', () => {
    const text = fc.string({
      unit: fc.constantFrom('>', '&', 'a', ' ', '\n', '\t', '\r', '\u0000', '\u0085', 'é', '🎵'),
      maxLength: 40,
    });
    fc.assert(
      fc.property(text, (s) => {
        assert.equal(cleanText(s), s.replace(CONTROLS, '').trim());
      }),
      { numRuns: 500 },
    );
  });

  /** Random input made of markup fragments, so that the parser has something to chew on. */
  const markupSoup = fc
    .array(
      fc.oneof(
        fc.constantFrom(
          '<',
          '>',
          '/',
          '!',
          '?',
          '-',
          '=',
          '"',
          "'",
          ' ',
          '\n',
          '\t',
          '\u0000',
          'x',
          '<3',
          'script',
          'SCRIPT',
          'sCrIpT',
          'scr',
          'ipt',
          'style',
          'title',
          'plaintext',
          'svg',
          'b',
          '<script>',
          '</script>',
          '<style>',
          '</style>',
          '<b>',
          '</b>',
          '<!--',
          '-->',
          '<![CDATA[',
          ']]>',
        ),
        fc.string({ unit: 'binary-ascii', maxLength: 3 }),
      ),
      { maxLength: 30 },
    )
    .map((parts) => parts.join(''));

  test('the output never contains `<script`, whatever the input', () => {
    fc.assert(
      fc.property(fc.oneof(markupSoup, fc.string({ unit: 'binary' })), (s) => {
        assert.doesNotMatch(cleanText(s), /<script/i);
      }),
      { numRuns: 2000 },
    );
  });

  test('the output holds nothing an HTML parser would read as markup, and no control characters', () => {
    fc.assert(
      fc.property(markupSoup, (s) => {
        const out = cleanText(s);
        // `<` followed by a letter, `!` or `?` starts a tag, comment or declaration;
        // `</` is only text at the very end.
        assert.doesNotMatch(out, /<[a-z!?]|<\/./is);
        assert.doesNotMatch(out, CONTROL_EXCEPT_NEWLINE);
      }),
      { numRuns: 2000 },
    );
  });

  test('cleaning is idempotent', () => {
    fc.assert(
      fc.property(fc.oneof(markupSoup, fc.string({ unit: 'binary' })), (s) => {
        const once = cleanText(s);
        assert.equal(cleanText(once), once);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('cleanField', () => {
  test('returns the cleaned value', () => {
    assert.deepEqual(cleanField('  <b>Budi</b> ', 50), { ok: true, value: 'Budi' });
  });

  test('empty after cleaning', () => {
    assert.deepEqual(cleanField('', 50), { ok: false, reason: 'empty' });
    assert.deepEqual(cleanField('  \n\t ', 50), { ok: false, reason: 'empty' });
    assert.deepEqual(cleanField('<script>alert(1)</script>', 50), { ok: false, reason: 'empty' });
  });

  test('empty allowed when asked (optional fields)', () => {
    assert.deepEqual(cleanField('  ', 50, { allowEmpty: true }), { ok: true, value: '' });
  });

  test('length limit is inclusive and counted after cleaning', () => {
    assert.deepEqual(cleanField('a'.repeat(50), 50), { ok: true, value: 'a'.repeat(50) });
    assert.deepEqual(cleanField('a'.repeat(51), 50), { ok: false, reason: 'too_long' });
    assert.deepEqual(cleanField(`  <b>${'a'.repeat(50)}</b>  `, 50), { ok: true, value: 'a'.repeat(50) });
  });

  test('length is counted in code points, not UTF-16 units', () => {
    const notes = '🎵'.repeat(10); // 20 UTF-16 units
    assert.equal(notes.length, 20);
    assert.deepEqual(cleanField(notes, 10), { ok: true, value: notes });
    assert.deepEqual(cleanField(notes + '🎵', 10), { ok: false, reason: 'too_long' });
    // More UTF-16 units than the limit, but not more code points.
    assert.deepEqual(cleanField(`${'a'.repeat(9)}🎵`, 10), { ok: true, value: `${'a'.repeat(9)}🎵` });
    assert.deepEqual(cleanField(`${'a'.repeat(10)}🎵`, 10), { ok: false, reason: 'too_long' });
  });

  test('the length check agrees with counting code points, for any mix of units', () => {
    const text = fc.string({ unit: fc.constantFrom('a', 'é', '🎵', '👍🏽', '\u{10FFFF}', 'ß'), maxLength: 30 });
    fc.assert(
      fc.property(text, fc.integer({ min: 1, max: 40 }), (s, max) => {
        const expected = [...s].length > max ? 'too_long' : 'ok';
        const result = cleanField(s, max);
        assert.equal(result.ok ? 'ok' : result.reason, s === '' ? 'empty' : expected);
      }),
      { numRuns: 1000 },
    );
  });
});
