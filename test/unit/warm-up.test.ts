/** The start-up warm-up runs the accepting path: every sample frame is one the server takes. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { WordFilter } from '../../src/moderation/word-filter.js';
import { parseFrame } from '../../src/ws/frames.js';
import { WARM_UP_FRAMES, warmUpMessagePath } from '../../src/ws/warm-up.js';

test('every warm-up frame is accepted by its schema', () => {
  for (const [events, frame] of WARM_UP_FRAMES) {
    const parsed = parseFrame(Buffer.from(JSON.stringify(frame)), false, events);
    assert.ok(parsed.ok, `${JSON.stringify(frame)}: ${parsed.ok ? '' : parsed.message}`);
  }
});

test('the warm-up leaves the word filter working and blocks nothing by itself', () => {
  const filter = new WordFilter({ defaults: true, words: ['kampret'] });
  warmUpMessagePath(filter);
  assert.equal(filter.matches('dasar kampret'), true);
  assert.equal(filter.matches('Salam dari Bandung'), false);
});
