/** The dashboard's pure model: merging, unread counts, sync planning, ordering, what the list shows. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Message, SessionSummary } from '../../src/client/index.js';
import {
  advanceMark,
  applyDelivery,
  applyLoad,
  applySummary,
  compareIds,
  computeUnread,
  conversationRows,
  isBehind,
  loadAfter,
  loginWarningDelay,
  mergeMessages,
  newConversation,
  newerThanMark,
  nextRowIndex,
  orderSessions,
  planSync,
  PRELOAD_SESSIONS,
  presenceOf,
  repliesToKeep,
  sessionPreview,
  settledReplies,
  totalUnread,
  validSavedReplies,
  visibleRange,
  widerSync,
  withReadMarker,
  type Conversation,
  type PendingReply,
} from '../../web/src/dashboard/model.js';

const at = (seconds: number) => new Date(Date.UTC(2026, 0, 1, 12, 0, seconds)).toISOString();

function msg(id: number, direction: Message['direction'] = 'listener', from = 'Rina'): Message {
  return { messageId: String(id), sessionId: 's1', direction, from, text: `pesan ${id}`, createdAt: at(id) };
}

function conv(overrides: Partial<Conversation> = {}, messages: Message[] = []): Conversation {
  const base = mergeMessages(newConversation('s1', 'Rina', 0), messages).conv;
  return { ...base, ...overrides };
}

function summary(sessionId: string, lastMessageAt: string | null, extra: Partial<SessionSummary> = {}): SessionSummary {
  return { sessionId, name: 'Rina', city: '', online: false, lastMessageAt, ...extra };
}

describe('message ids and merging', () => {
  test('ids compare as decimal numbers, not as strings', () => {
    assert.ok(compareIds('9', '10') < 0);
    assert.ok(compareIds('10', '9') > 0);
    assert.equal(compareIds('42', '42'), 0);
  });

  test('merge adds unknown messages in stored order and reports only those', () => {
    const start = conv({}, [msg(1), msg(10)]);
    const { conv: next, added } = mergeMessages(start, [msg(10), msg(9), msg(11), msg(9)]);
    assert.deepEqual(
      added.map((m) => m.messageId),
      ['9', '11'],
    );
    assert.deepEqual(
      next.messages.map((m) => m.messageId),
      ['1', '9', '10', '11'],
    );
    assert.equal(next.lastMessageAt, at(11));
    assert.equal(start.messages.length, 2, 'the old state is left alone');
  });

  test('merging nothing new returns the same conversation (views skip it)', () => {
    const start = conv({}, [msg(1)]);
    assert.equal(mergeMessages(start, [msg(1)]).conv, start);
  });
});

describe('unread counts', () => {
  test('listener messages after both the read marker and the last reply', () => {
    const messages = [msg(1), msg(2, 'broadcaster', 'Andi'), msg(3), msg(4), msg(5)];
    assert.equal(computeUnread(messages, undefined), 3);
    assert.equal(computeUnread(messages, '3'), 2);
    assert.equal(computeUnread(messages, '5'), 0);
    assert.equal(computeUnread([msg(1), msg(2, 'broadcaster')], undefined), 0);
  });

  test('the total adds every conversation', () => {
    assert.equal(totalUnread([conv({ unread: 2 }), conv({ unread: 0 }), conv({ unread: 5 })]), 7);
  });

  test('read markers keep the newest sessions only, the one just read last', () => {
    const markers = withReadMarker({ a: '1', b: '2', c: '3' }, 'a', '9', 2);
    assert.deepEqual(markers, { c: '3', a: '9' });
  });

  test('a first full load counts unread from the marker, but rings only when not initial', () => {
    const live = conv({ unread: 1, loaded: 'loading' }, [msg(4)]);
    const history = [msg(1), msg(2), msg(3), msg(4)];
    const first = applyLoad(live, history, { wasLoaded: false, resyncFrom: undefined, marker: '1', initial: true });
    assert.equal(first.conv.unread, 3);
    assert.equal(first.fresh, 0);
    assert.equal(first.conv.loaded, 'yes');
    const later = applyLoad(live, history, { wasLoaded: false, resyncFrom: undefined, marker: '1', initial: false });
    assert.equal(later.fresh, 2);
  });

  test('a top-up counts every new listener message and clears the resync point it started from', () => {
    const loaded = conv({ loaded: 'yes', unread: 1, resyncFrom: '2' }, [msg(1), msg(2)]);
    const result = applyLoad(loaded, [msg(3), msg(4, 'broadcaster', 'Andi'), msg(5)], {
      wasLoaded: true,
      resyncFrom: '2',
      marker: undefined,
      initial: false,
    });
    assert.equal(result.fresh, 2);
    assert.equal(result.conv.unread, 3);
    assert.equal(result.conv.resyncFrom, undefined);
  });
});

describe('sync planning', () => {
  test('a load starts after the resync point, else after the newest message; all when not loaded', () => {
    assert.equal(loadAfter(conv({ loaded: 'no' }, [msg(3)])), undefined);
    assert.equal(loadAfter(conv({ loaded: 'yes' }, [msg(3)])), '3');
    assert.equal(loadAfter(conv({ loaded: 'yes', resyncFrom: '2' }, [msg(3)])), '2');
    assert.equal(loadAfter(conv({ loaded: 'yes', resyncFrom: '' }, [msg(3)])), undefined);
  });

  test('behind: the listed time moved on and is not that of the newest message held', () => {
    const held = conv({ loaded: 'yes' }, [msg(5)]);
    assert.equal(isBehind(held, summary('s1', at(5))), false);
    assert.equal(isBehind(held, summary('s1', at(6))), true);
    assert.equal(isBehind(held, summary('s1', at(4))), true, 'another clock may be behind');
    assert.equal(isBehind({ ...held, checkedAt: at(6) }, summary('s1', at(6))), false);
    assert.equal(isBehind({ ...held, loaded: 'loading' }, summary('s1', at(6))), false);
    assert.equal(isBehind(held, summary('s1', null)), false);
  });

  test('initial: the top of the list is loaded, the rest left for later', () => {
    const sessions = Array.from({ length: PRELOAD_SESSIONS + 2 }, (_, i) => summary(`s${i}`, at(i)));
    const conversations = new Map(sessions.map((s) => [s.sessionId, newConversation(s.sessionId, s.name, 0)]));
    const plan = planSync('initial', sessions, conversations, new Map(), undefined);
    assert.equal(plan.load.length, PRELOAD_SESSIONS);
    assert.deepEqual(plan.skip, [`s${PRELOAD_SESSIONS}`, `s${PRELOAD_SESSIONS + 1}`]);
  });

  test('reconnect: loaded ones, changed ones and the open one are fetched; empty ones never', () => {
    const sessions = [
      ...Array.from({ length: PRELOAD_SESSIONS }, (_, i) => summary(`top${i}`, null)),
      summary('loaded', at(1)),
      summary('changed', at(9)),
      summary('same', at(2)),
      summary('open', at(3)),
    ];
    const conversations = new Map<string, Conversation>(
      sessions.map((s) => [s.sessionId, { ...newConversation(s.sessionId, s.name, 0), sessionId: s.sessionId }]),
    );
    conversations.set('loaded', { ...conversations.get('loaded')!, loaded: 'yes' });
    const before = new Map([
      ['changed', at(8)],
      ['same', at(2)],
      ['open', at(3)],
      ['loaded', at(1)],
    ]);
    const plan = planSync('reconnect', sessions, conversations, before, 'open');
    assert.deepEqual(plan.load, ['loaded', 'changed', 'open']);
    // The open one would have been left unloaded; it is fetched anyway (and re-marked when loaded).
    assert.deepEqual(plan.skip, ['same', 'open']);
  });

  test('periodic: only the sessions that are behind', () => {
    const sessions = [summary('a', at(5)), summary('b', at(7))];
    const conversations = new Map([
      ['a', { ...conv({ loaded: 'yes' }, [msg(5)]), sessionId: 'a' }],
      ['b', { ...conv({ loaded: 'yes' }, [msg(5)]), sessionId: 'b' }],
    ]);
    assert.deepEqual(planSync('periodic', sessions, conversations, new Map(), 'a'), { load: ['b'], skip: [] });
  });

  test('the sync waiting behind the running one is the widest asked for', () => {
    assert.equal(widerSync(undefined, 'periodic'), 'periodic');
    assert.equal(widerSync('periodic', 'reconnect'), 'reconnect');
    assert.equal(widerSync('initial', 'reconnect'), 'initial');
  });

  test('only finds newer than the previous look ring; the mark follows the newest listed time', () => {
    assert.equal(newerThanMark([msg(1), msg(5), msg(6, 'broadcaster')], Date.parse(at(2))), 1);
    assert.equal(advanceMark(undefined, [summary('a', null)]), 0);
    assert.equal(advanceMark(Date.parse(at(3)), [summary('a', at(1)), summary('b', at(7))]), Date.parse(at(7)));
  });

  test('a session-list entry reports a change only when the list would show one', () => {
    const known = { ...conv({}, [msg(5)]), city: 'Bandung' };
    assert.equal(applySummary(known, summary('s1', at(5), { city: 'Bandung' }), 0).changed, false);
    const moved = applySummary(known, summary('s1', at(9), { city: 'Bandung' }), 0);
    assert.equal(moved.changed, true);
    assert.equal(moved.conv.lastMessageAt, at(9));
    assert.equal(applySummary(known, summary('s1', at(1), { city: 'Bandung' }), 0).conv.lastMessageAt, at(5));
    assert.equal(applySummary(undefined, summary('new', null), 7).conv.seenAt, 7);
  });
});

describe('what the list and the conversation show', () => {
  test('sessions newest first by last message; those without messages below, by when first seen', () => {
    const convs = [
      { ...newConversation('old', 'A', 1), lastMessageAt: at(1) },
      { ...newConversation('quiet', 'B', Date.parse(at(5))), lastMessageAt: null },
      { ...newConversation('new', 'C', 1), lastMessageAt: at(9) },
      { ...newConversation('quieter', 'D', Date.parse(at(3))), lastMessageAt: null },
    ];
    assert.deepEqual(orderSessions(convs), ['new', 'old', 'quiet', 'quieter']);
  });

  test('preview: typing first, then the last message with who wrote it, then a state', () => {
    assert.deepEqual(sessionPreview(conv({ typing: true }, [msg(1)]), 'Andi'), { kind: 'typing' });
    assert.deepEqual(sessionPreview(conv({}, [msg(1, 'broadcaster', 'Andi')]), 'Andi'), {
      kind: 'message',
      prefix: 'you',
      from: 'Andi',
      text: 'pesan 1',
    });
    const colleague = sessionPreview(conv({}, [msg(1, 'broadcaster', 'Sari')]), 'Andi');
    assert.equal(colleague.kind === 'message' && colleague.prefix, 'colleague');
    assert.deepEqual(sessionPreview(conv({ loaded: 'loading' }), 'Andi'), { kind: 'loading' });
    assert.deepEqual(sessionPreview(conv({ lastMessageAt: at(1) }), 'Andi'), { kind: 'blank' });
    assert.deepEqual(sessionPreview(conv(), 'Andi'), { kind: 'none' });
  });

  test('the window covers the rows in view plus the overscan, clamped to the list', () => {
    assert.deepEqual(visibleRange(0, 400, 64, 3000, 4), { start: 0, end: 11 });
    assert.deepEqual(visibleRange(6400, 400, 64, 3000, 4), { start: 96, end: 111 });
    assert.deepEqual(visibleRange(191_600, 400, 64, 3000, 4), { start: 2989, end: 3000 });
    assert.deepEqual(visibleRange(0, 400, 64, 0), { start: 0, end: 0 });
  });

  test('arrow, page, home and end keys move within the list', () => {
    assert.equal(nextRowIndex('ArrowDown', 3, 10, 5), 4);
    assert.equal(nextRowIndex('ArrowUp', 0, 10, 5), 0);
    assert.equal(nextRowIndex('ArrowDown', 9, 10, 5), 9);
    assert.equal(nextRowIndex('PageDown', 7, 10, 5), 9);
    assert.equal(nextRowIndex('PageUp', 7, 10, 5), 2);
    assert.equal(nextRowIndex('Home', 7, 10, 5), 0);
    assert.equal(nextRowIndex('End', 1, 10, 5), 9);
    assert.equal(nextRowIndex('a', 1, 10, 5), undefined);
  });

  test('own replies show until their stored message arrives, then they are settled', () => {
    const replies: PendingReply[] = [
      { clientMessageId: 'c1', sessionId: 's1', text: 'halo', status: 'sent', messageId: '2' },
      { clientMessageId: 'c2', sessionId: 's1', text: 'lagi', status: 'sending' },
      { clientMessageId: 'c3', sessionId: 'other', text: 'x', status: 'sending' },
    ];
    const c = conv({}, [msg(1), msg(2, 'broadcaster', 'Andi')]);
    assert.deepEqual(
      conversationRows(c, replies).map((r) => r.key),
      ['m:1', 'm:2', 'p:c2'],
    );
    assert.deepEqual(settledReplies(c, replies), ['c1']);
  });

  test('a delivery update creates the reply the first time and moves its state after', () => {
    const update = {
      clientMessageId: 'c1',
      status: 'sending' as const,
      attempts: 1,
      payload: { sessionId: 's1', text: 'halo' },
    };
    const created = applyDelivery(undefined, update);
    assert.deepEqual(created, { clientMessageId: 'c1', sessionId: 's1', text: 'halo', status: 'sending' });
    const acked = applyDelivery(created, { ...update, status: 'sent', messageId: '9', text: 'halo (dibersihkan)' });
    assert.equal(acked.text, 'halo (dibersihkan)', "the own reply shows the ack's stored text");
    const failed = applyDelivery(created, { ...update, status: 'failed', reason: 'invalid' });
    assert.equal(failed.status, 'failed');
    assert.equal(failed.reason, 'invalid');
    assert.equal(created.status, 'sending', 'the old state is left alone');
  });
});

describe('presence, the kept outbox and the login warning', () => {
  test('presence is unknown while the dashboard is disconnected', () => {
    assert.equal(presenceOf(conv({ online: true }), true), 'online');
    assert.equal(presenceOf(conv({ online: false }), true), 'offline');
    assert.equal(presenceOf(conv({ online: true }), false), 'unknown');
  });

  test('the outbox keeps every reply not stored yet, and reads back only well-formed ones', () => {
    const replies: PendingReply[] = [
      { clientMessageId: 'a', sessionId: 's1', text: 'satu', status: 'sending' },
      { clientMessageId: 'b', sessionId: 's1', text: 'dua', status: 'sent', messageId: '7' },
      { clientMessageId: 'c', sessionId: 's2', text: 'tiga', status: 'failed', reason: 'session_ended' },
    ];
    const kept = repliesToKeep(replies);
    assert.deepEqual(kept, [
      { clientMessageId: 'a', sessionId: 's1', text: 'satu', status: 'sending' },
      { clientMessageId: 'c', sessionId: 's2', text: 'tiga', status: 'failed', reason: 'session_ended' },
    ]);
    assert.deepEqual(validSavedReplies(JSON.parse(JSON.stringify(kept))), kept);
    assert.deepEqual(
      validSavedReplies([null, 1, { clientMessageId: 'x', sessionId: 's', text: 't', status: 'sent' }]),
      [],
    );
    assert.deepEqual(validSavedReplies({ replies: kept }), []);
  });

  test('the login warning comes five minutes before the end, at once when closer', () => {
    const now = Date.parse(at(0));
    assert.equal(loginWarningDelay(new Date(now + 3_600_000).toISOString(), now), 3_300_000);
    assert.equal(loginWarningDelay(new Date(now + 60_000).toISOString(), now), 0);
    assert.equal(loginWarningDelay('not a date', now), undefined);
  });
});
