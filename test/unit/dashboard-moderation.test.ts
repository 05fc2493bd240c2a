/** The dashboard's moderation model: blocks, hidden messages, what the list shows of them, audit wording. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Message, SessionSummary } from '../../src/client/index.js';
import {
  applyLoad,
  applySummary,
  computeUnread,
  mergeMessages,
  newConversation,
  newerThanMark,
  sessionPreview,
} from '../../web/src/dashboard/model.js';
import {
  activeBlock,
  hiddenKind,
  nextExpiry,
  withBlock,
  withMessageHidden,
  type ModeratedMessage,
} from '../../web/src/dashboard/moderation-model.js';
import { actionLabel, detailText } from '../../web/src/dashboard/views/accounts.js';

const now = Date.parse('2026-12-04T10:00:00.000Z');

function message(id: string, extra: Partial<ModeratedMessage> = {}): Message {
  return {
    messageId: id,
    sessionId: 's1',
    direction: 'listener',
    from: 'Rina',
    text: `pesan ${id}`,
    createdAt: new Date(now + Number(id)).toISOString(),
    ...extra,
  };
}

function summary(extra: Record<string, unknown> = {}): SessionSummary {
  return { sessionId: 's1', name: 'Rina', city: 'Bandung', online: true, lastMessageAt: null, ...extra };
}

describe('dashboard moderation model', () => {
  test('a block counts until its end; no end is for ever', () => {
    assert.equal(activeBlock({ mode: 'mute', until: '2026-12-04T10:30:00.000Z' }, now)?.mode, 'mute');
    assert.equal(activeBlock({ mode: 'ban', until: '2026-12-04T09:59:59.000Z' }, now), undefined);
    assert.equal(activeBlock({ mode: 'ban', until: null }, now)?.mode, 'ban');
    assert.equal(activeBlock(undefined, now), undefined);
  });

  test('withBlock sets and lifts, and keeps the same object when nothing changes', () => {
    const conv = newConversation('s1', 'Rina', now);
    const muted = withBlock(conv, { mode: 'mute', until: null, by: 'Penyiar A' });
    assert.notEqual(muted, conv);
    assert.equal(muted.block?.mode, 'mute');
    assert.equal(withBlock(muted, { mode: 'mute', until: null, by: 'Penyiar A' }), muted);
    const lifted = withBlock(muted, undefined);
    assert.equal(lifted.block, undefined);
    assert.equal('block' in lifted, false);
  });

  test('hiding and showing a message again replaces only that message', () => {
    const conv = mergeMessages(newConversation('s1', 'Rina', now), [message('1'), message('2')]).conv;
    const hidden = withMessageHidden(conv, '2', true, 'Penyiar A');
    assert.deepEqual(
      hidden.messages.map((m) => (m as ModeratedMessage).hidden ?? false),
      [false, true],
    );
    assert.equal(hidden.messages[0], conv.messages[0]);
    assert.equal((hidden.messages[1] as ModeratedMessage).hiddenBy, 'Penyiar A');
    assert.equal(withMessageHidden(hidden, '2', true, 'Penyiar A'), hidden);
    assert.equal(withMessageHidden(conv, '99', true, 'x'), conv, 'unknown message: unchanged');
    const shown = withMessageHidden(hidden, '2', false, 'Penyiar A');
    assert.equal((shown.messages[1] as ModeratedMessage).hidden, undefined);
  });

  test('a filter hold is labelled as such, and released it is an ordinary message', () => {
    const held = message('3', { hidden: true, reason: 'filter' });
    assert.equal(hiddenKind(held), 'filter');
    assert.equal(hiddenKind(message('4', { hidden: true, reason: 'mute' })), 'mute');
    assert.equal(hiddenKind(message('5', { hidden: true, reason: 'moderator' })), 'hidden');
    assert.equal(hiddenKind(message('6')), undefined);
    const conv = mergeMessages(newConversation('s1', 'Rina', now), [held]).conv;
    assert.deepEqual(sessionPreview(conv, 'Penyiar A'), { kind: 'hidden', held: true });
    const released = withMessageHidden(conv, '3', false, 'Penyiar A');
    assert.equal((released.messages[0] as ModeratedMessage).reason, undefined);
    assert.equal(sessionPreview(released, 'Penyiar A').kind, 'message');
  });

  test('the session listing brings and clears a block, keeping who did it when unchanged', () => {
    const until = '2026-12-04T11:00:00.000Z';
    const first = applySummary(undefined, summary({ blocked: { mode: 'ban', until } }), now);
    assert.deepEqual(first.conv.block, { mode: 'ban', until });
    const withBy = withBlock(first.conv, { mode: 'ban', until, by: 'Penyiar A' });
    const again = applySummary(withBy, summary({ blocked: { mode: 'ban', until } }), now);
    assert.equal(again.changed, false);
    assert.equal(again.conv.block?.by, 'Penyiar A');
    const lifted = applySummary(withBy, summary(), now);
    assert.equal(lifted.changed, true);
    assert.equal(lifted.conv.block, undefined);
  });

  test('the next expiry is the earliest end still ahead', () => {
    const a = withBlock(newConversation('a', 'A', now), { mode: 'mute', until: '2026-12-04T10:20:00.000Z' });
    const b = withBlock(newConversation('b', 'B', now), { mode: 'ban', until: '2026-12-04T10:05:00.000Z' });
    const c = withBlock(newConversation('c', 'C', now), { mode: 'ban', until: null });
    const d = withBlock(newConversation('d', 'D', now), { mode: 'ban', until: '2026-12-04T09:00:00.000Z' });
    assert.equal(nextExpiry([a, b, c, d], now), Date.parse('2026-12-04T10:05:00.000Z'));
    assert.equal(nextExpiry([c, d], now), undefined);
  });

  test('audit entries read in Indonesian', () => {
    assert.equal(actionLabel('session.block', 'id', { mode: 'ban' }), 'Memblokir');
    assert.equal(actionLabel('something.new', 'id'), 'something.new');
    assert.equal(detailText({ mode: 'mute', minutes: 60, reason: '' }, 'id'), 'jenis: bisu, menit: 60');
    assert.equal(detailText(null, 'id'), '');
  });
});

describe('a muted listener', () => {
  test('never counts as unread nor rings; a held message does', () => {
    const muted = [message('1'), message('2', { hidden: true, reason: 'mute' })];
    assert.equal(computeUnread(muted, undefined), 1);
    const conv = applyLoad(newConversation('s1', 'Rina', now), [message('1')], {
      wasLoaded: false,
      resyncFrom: undefined,
      marker: '1',
      initial: false,
    }).conv;
    const later = [message('3', { hidden: true, reason: 'mute' }), message('4', { hidden: true, reason: 'filter' })];
    const result = applyLoad(conv, later, { wasLoaded: true, resyncFrom: undefined, marker: '1', initial: false });
    assert.equal(result.fresh, 1);
    assert.equal(newerThanMark(later, now - 1), 1);
  });
});
