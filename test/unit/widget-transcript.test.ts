/** The widget's transcript: trimming, delivery updates, what a reload hands back to the client. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  applyDelivery,
  hasWaiting,
  keyOf,
  mergeHistory,
  pendingOf,
  receivedIds,
  receivedItem,
  trimItems,
  validSaved,
  type Item,
  type Saved,
} from '../../web/src/widget/transcript.js';

const received = (id: number): Item =>
  receivedItem({ messageId: String(id), from: 'Andi', text: `m${id}`, createdAt: 't' });
const own = (id: string, status: 'sending' | 'sent' | 'failed'): Item => ({
  kind: 'out',
  clientMessageId: id,
  text: `teks ${id}`,
  status,
  at: 't',
});

test('trimming drops the oldest acknowledged items and keeps every unacknowledged one', () => {
  const items = [own('a', 'sending'), received(1), own('b', 'sent'), received(2), own('c', 'failed'), received(3)];
  assert.deepEqual(trimItems(items, 3).map(keyOf), ['out:a', 'out:c', 'in:3']);
  assert.deepEqual(trimItems(items, 10).map(keyOf), items.map(keyOf));
});

test('a delivery update adds the message the first time and moves its state after', () => {
  const update = { clientMessageId: 'x', status: 'sending' as const, attempts: 1, payload: { text: 'halo' } };
  const first = applyDelivery([received(1)], update, 'now');
  assert.deepEqual(first[1], { kind: 'out', clientMessageId: 'x', text: 'halo', status: 'sending', at: 'now' });
  const failed = applyDelivery(first, { ...update, status: 'failed', reason: 'timeout' }, 'later');
  assert.equal(failed.length, 2);
  assert.deepEqual(failed[1], { ...first[1], status: 'failed', reason: 'timeout' });
  const sent = applyDelivery(failed, { ...update, status: 'sent', messageId: '7', createdAt: 'stored' }, 'later');
  assert.deepEqual(sent[1], { ...first[1], status: 'sent', messageId: '7', at: 'stored' }, 'the old reason is gone');
  assert.equal((first[1] as { status: string }).status, 'sending', 'the old state is left alone');
});

test("after the ack the own bubble shows the ack's text, as stored and seen by others", () => {
  const update = { clientMessageId: 'x', status: 'sending' as const, attempts: 1, payload: { text: '<b>halo</b>' } };
  const first = applyDelivery([], update, 'now');
  assert.equal((first[0] as { text: string }).text, '<b>halo</b>', 'before the ack: what was typed');
  const sent = applyDelivery(first, { ...update, status: 'sent', messageId: '7', text: 'halo' }, 'later');
  assert.equal((sent[0] as { text: string }).text, 'halo');
});

test('a reload hands back the unsent messages and the received ids', () => {
  const items = [own('a', 'sending'), own('b', 'sent'), own('c', 'failed'), received(4)];
  assert.deepEqual(pendingOf(items), [
    { clientMessageId: 'a', payload: { text: 'teks a' }, status: 'sending' },
    { clientMessageId: 'c', payload: { text: 'teks c' }, status: 'failed' },
  ]);
  assert.deepEqual(receivedIds(items), ['4']);
  assert.equal(hasWaiting(items), true);
  assert.equal(hasWaiting([own('b', 'sent'), own('c', 'failed')]), false);
});

test('only a stored value with a token and items is taken back', () => {
  const saved: Saved = { sessionId: 's', sessionToken: 'tok', expiresAt: 'e', name: 'Rina', city: '', items: [] };
  assert.equal(validSaved(saved), saved);
  assert.equal(validSaved({ ...saved, items: undefined as unknown as Item[] }), undefined);
  assert.equal(validSaved(undefined), undefined);
});

test('mergeHistory adds what other tabs stored, in time order, leaving waiting messages last', () => {
  const at = (s: number) => new Date(Date.UTC(2026, 11, 4, 10, 0, s)).toISOString();
  const items: Item[] = [
    { kind: 'out', clientMessageId: 'c1', text: 'satu', status: 'sent', messageId: '1', at: at(1) },
    { kind: 'out', clientMessageId: 'c9', text: 'menunggu', status: 'sending', at: at(0) },
    { kind: 'in', messageId: '4', from: 'Rina', text: 'empat', at: at(4) },
  ];
  const message = (messageId: string, direction: 'listener' | 'broadcaster', text: string, s: number) => ({
    messageId,
    sessionId: 's',
    direction,
    from: direction === 'listener' ? 'Sari' : 'Rina',
    text,
    createdAt: at(s),
  });
  const merged = mergeHistory(items, [
    message('1', 'listener', 'satu', 1),
    message('2', 'listener', 'dua dari tab lain', 2),
    message('3', 'broadcaster', 'tiga', 3),
    message('4', 'broadcaster', 'empat', 4),
  ]);
  assert.deepEqual(
    merged.map((i) => [i.kind, i.kind === 'note' ? '' : i.text]),
    [
      ['out', 'satu'],
      ['out', 'dua dari tab lain'],
      ['in', 'tiga'],
      ['in', 'empat'],
      ['out', 'menunggu'],
    ],
  );
  assert.equal(merged[1]!.kind === 'out' && merged[1]!.status, 'sent');
  assert.deepEqual(mergeHistory(merged, [message('2', 'listener', 'dua dari tab lain', 2)]), merged, 'nothing twice');
});
