import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decodeSessionCursor, encodeSessionCursor } from '../../src/db/session-cursor.js';

describe('session listing cursor', () => {
  test('decodes what it encodes, as an opaque base64url string', () => {
    const cursor = { activityAt: 1_764_840_000_123, id: '9b2e4d71-0c3a-4f8e-b5d6-1a7c9e3f2b40' };
    const encoded = encodeSessionCursor(cursor);
    assert.match(encoded, /^[A-Za-z0-9_-]+$/);
    assert.deepEqual(decodeSessionCursor(encoded), cursor);
    assert.deepEqual(decodeSessionCursor(encodeSessionCursor({ activityAt: 0, id: 'a' })), { activityAt: 0, id: 'a' });
  });

  test('refuses what it did not hand out', () => {
    const b64 = (text: string) => Buffer.from(text).toString('base64url');
    for (const bad of [
      '',
      'garbage',
      'a+b/c=',
      'x'.repeat(201),
      b64('1764840000123'),
      b64(':abc'),
      b64('-1:abc'),
      b64('1.5:abc'),
      b64('99999999999999999:abc'),
      b64("1:x' or 1=1 --"),
      b64(`1:${'a'.repeat(65)}`),
    ]) {
      assert.equal(decodeSessionCursor(bad), undefined, bad);
    }
  });
});
