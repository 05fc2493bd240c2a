import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config.js';
import { WordFilter } from '../../src/moderation/word-filter.js';

const SECRET = 'word-filter-test-secret-0123456789-abcdefghij';

describe('WordFilter', () => {
  const filter = new WordFilter({ defaults: true, words: ['jelek banget', 'sp4m'] });

  test('holds shipped Indonesian and English words, whole word, any case, leetspeak', () => {
    for (const text of ['dasar KONTOL!', 'k0nt0l', 'bangsat lo', 'fuck this', 'Asu tenan', 'lagunya jelek banget'])
      assert.equal(filter.matches(text), true, text);
  });

  test('lets ordinary Indonesian and markup-like text through', () => {
    for (const text of [
      'Aku <3 lagu ini & "Sheila on 7"',
      'analisis kanal berita',
      'lulus cumlaude',
      'asuransi dan perekonomian',
      'Assalamualaikum, salam buat ibu di Bekasi',
      'taipan kelas pass',
      'jelek',
    ])
      assert.equal(filter.matches(text), false, text);
  });

  test("a station's word with digits matches as typed and in letters", () => {
    assert.equal(filter.matches('beli SP4M sekarang'), true);
    assert.equal(filter.matches('beli spam sekarang'), true);
  });

  test('without the defaults only the configured words count', () => {
    const own = new WordFilter({ defaults: false, words: ['durian'] });
    assert.equal(own.matches('kontol'), false);
    assert.equal(own.matches('Durian!'), true);
    assert.equal(new WordFilter({ defaults: false, words: [] }).matches('apa saja'), false);
  });
});

describe('word filter and retention settings', () => {
  const load = (env: Record<string, string>) =>
    loadConfig({ LIVECHAT_DATA_DIR: mkdtempSync(join(tmpdir(), 'livechat-wf-')), LIVECHAT_JWT_SECRET: SECRET, ...env });

  test('defaults: the shipped list, no own words, 90 days', () => {
    const config = load({});
    assert.deepEqual(config.wordFilter, { defaults: true, words: [] });
    assert.equal(config.retentionDays, 90);
  });

  test('words from the variable and the file add up; DEFAULT=false drops the shipped list', () => {
    const dir = mkdtempSync(join(tmpdir(), 'livechat-words-'));
    try {
      const file = join(dir, 'words.txt');
      writeFileSync(file, '# kata sendiri\nsatu\n\n  dua kata  \n');
      const config = load({
        LIVECHAT_BLOCKED_WORDS: 'tiga, empat',
        LIVECHAT_BLOCKED_WORDS_FILE: file,
        LIVECHAT_BLOCKED_WORDS_DEFAULT: 'false',
        LIVECHAT_RETENTION_DAYS: '0',
      });
      assert.deepEqual(config.wordFilter, { defaults: false, words: ['tiga', 'empat', 'satu', 'dua kata'] });
      assert.equal(config.retentionDays, 0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('bad values name their variable', () => {
    for (const [variable, value] of [
      ['LIVECHAT_BLOCKED_WORDS_DEFAULT', 'no'],
      ['LIVECHAT_BLOCKED_WORDS', 'ok, <b>'],
      ['LIVECHAT_BLOCKED_WORDS_FILE', '/nonexistent/words.txt'],
      ['LIVECHAT_RETENTION_DAYS', '-1'],
    ] as const) {
      assert.throws(
        () => load({ [variable]: value }),
        (error: unknown) => error instanceof ConfigError && error.variable === variable,
        variable,
      );
    }
  });
});
