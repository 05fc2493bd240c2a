import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { chatMessageFailure, decodeFrame, encodeFrame } from '../../src/client/frames.js';
import { listenerServerEvents, MAX_FRAME_BYTES } from '../../src/protocol/index.js';

describe('client frames', () => {
  test('decodes a valid frame into its event and parsed data', () => {
    const raw = encodeFrame('user:typing', { from: 'Penyiar Budi', isTyping: true });
    assert.deepEqual(decodeFrame(raw, listenerServerEvents), {
      event: 'user:typing',
      data: { from: 'Penyiar Budi', isTyping: true },
    });
  });

  test('refuses binary, non-JSON and non-envelope frames without naming an event', () => {
    assert.deepEqual(decodeFrame(new Uint8Array([1, 2]), listenerServerEvents), {
      error: { message: 'binary frame' },
    });
    assert.deepEqual(decodeFrame('{not json', listenerServerEvents), { error: { message: 'frame is not JSON' } });
    assert.deepEqual(decodeFrame('{"event":"user:typing"}', listenerServerEvents), {
      error: { message: 'frame is not {event, data}' },
    });
  });

  test('refuses an event the client does not know', () => {
    // message:new is a broadcaster event: unknown on a listener connection.
    const raw = encodeFrame('message:new', { messageId: 'x' });
    assert.deepEqual(decodeFrame(raw, listenerServerEvents), {
      error: { event: 'message:new', message: 'unknown event' },
    });
  });

  test('names the fields that do not match the schema', () => {
    const result = decodeFrame(encodeFrame('user:typing', { from: 'Budi', isTyping: 'ya' }), listenerServerEvents);
    assert.ok('error' in result);
    assert.equal(result.error.event, 'user:typing');
    assert.match(result.error.message, /^isTyping: /);
  });

  test('a chat message fails locally when its text is empty or its frame too large', () => {
    assert.equal(chatMessageFailure('message:send', 'id-1', { text: 'Halo' }), undefined);
    assert.equal(chatMessageFailure('message:send', 'id-1', { text: '   ' }), 'invalid');
    assert.equal(chatMessageFailure('message:send', 'id-1', {}), 'invalid');
    assert.equal(chatMessageFailure('message:send', 'id-1', { text: 'a'.repeat(MAX_FRAME_BYTES) }), 'too_large');
  });

  test('the size limit counts the whole frame in UTF-8 bytes', () => {
    const envelope = encodeFrame('message:send', { text: '', clientMessageId: 'id-1' }).length;
    const fits = 'a'.repeat(MAX_FRAME_BYTES - envelope);
    assert.equal(chatMessageFailure('message:send', 'id-1', { text: fits }), undefined);
    assert.equal(chatMessageFailure('message:send', 'id-1', { text: fits + 'a' }), 'too_large');
    // "é" is two bytes: half as many characters fill the frame.
    const wide = 'é'.repeat(Math.ceil((MAX_FRAME_BYTES - envelope + 1) / 2));
    assert.equal(chatMessageFailure('message:send', 'id-1', { text: wide }), 'too_large');
  });
});
