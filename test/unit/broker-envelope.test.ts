/** The Redis envelope codec: what one publication looks like on Pub/Sub, and what is refused. No Redis. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ENVELOPE_VERSION, decodeEnvelope, encodeEnvelope } from '../../src/broker/redis/envelope.js';

const header = (fields: unknown[]): string => JSON.stringify(fields);

describe('envelope codec', () => {
  test('round trip keeps every field but the channel, and stamps origin and publish time', () => {
    const payload = encodeEnvelope(
      {
        channel: 'session:s1',
        frame: '{"event":"message:new","data":{"text":"a\\nb"}}',
        messageId: '12',
        previousMessageId: '9',
        trace: { traceparent: '00-abc-def-01' },
      },
      'instance-a',
      1_700_000_000_000,
    );
    assert.ok(payload.startsWith(`[${ENVELOPE_VERSION},"instance-a","12",1700000000000,`), payload);
    assert.deepEqual(decodeEnvelope(payload), {
      origin: 'instance-a',
      publication: {
        frame: '{"event":"message:new","data":{"text":"a\\nb"}}',
        messageId: '12',
        previousMessageId: '9',
        publishedAt: 1_700_000_000_000,
        trace: { traceparent: '00-abc-def-01' },
      },
    });
  });

  test('optional fields absent stay absent; the frame may contain newlines', () => {
    const payload = encodeEnvelope({ channel: 'broadcasters', frame: 'line 1\nline 2' }, 'b', 5);
    assert.deepEqual(decodeEnvelope(payload), {
      origin: 'b',
      publication: { frame: 'line 1\nline 2', publishedAt: 5 },
    });
  });

  test('version 1 (never released) and unknown versions are refused', () => {
    assert.equal(decodeEnvelope(`${header([1, 'old', '13', 1, null])}\nf`), undefined);
    assert.equal(decodeEnvelope(`${header([1, 'old', '14', 1, null, '13'])}\nf`), undefined);
    assert.equal(decodeEnvelope(`${header([3, 'new', '14', 1, null, '13'])}\nf`), undefined);
  });

  test('malformed payloads are refused', () => {
    const cases = [
      'no newline at all',
      'not json\nframe',
      `${JSON.stringify({ v: 2 })}\nframe`,
      `${header([2, 42, '1', 1, null, null])}\nframe`, // origin not a string
      `${header([2, 'a', '15', 1, null, 'x'])}\nframe`, // previousMessageId not digits
      `${header([2, 'a', '15', 1, null, 15])}\nframe`, // previousMessageId not a string
    ];
    for (const payload of cases) assert.equal(decodeEnvelope(payload), undefined, payload);
  });

  test('fields of the wrong type are left out rather than passed on', () => {
    const decoded = decodeEnvelope(`${header([2, 'a', 7, 'late', { traceparent: 1 }, null])}\nframe`);
    assert.deepEqual(decoded, { origin: 'a', publication: { frame: 'frame' } });
  });
});
