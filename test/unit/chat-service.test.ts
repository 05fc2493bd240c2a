/**
 * The message handler on its own: a controllable store shows that the ack
 * waits for the commit, that a failing store never acks, that duplicates are
 * acked with the first id and not published, and that one session's messages
 * are published in stored order.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import pino from 'pino';
import { MemoryBroker } from '../../src/broker/memory/memory-broker.js';
import { memoryRateLimiter } from '../../src/broker/rate-limiter.js';
import { broadcastersChannel, sessionChannel, type Publication } from '../../src/broker/types.js';
import { ChatService } from '../../src/chat/chat-service.js';
import { UnknownSessionError } from '../../src/db/index.js';
import type { InsertOptions, InsertResult, NewMessage, Store, StoredMessage } from '../../src/db/types.js';
import { Hub } from '../../src/hub/hub.js';
import { createMetrics } from '../../src/metrics.js';

const SESSION = '11111111-1111-4111-8111-111111111111';

/** A store whose inserts complete only when the test says so. */
class ControlledStore {
  readonly rows: StoredMessage[] = [];
  readonly pending: { message: NewMessage; commit: () => void; fail: (error: Error) => void }[] = [];
  private readonly keys = new Map<string, StoredMessage>();
  private nextId = 1;

  readonly messages = {
    insert: async (message: NewMessage, options: InsertOptions = {}): Promise<InsertResult> => {
      const result = await this.commitLater(message);
      await options.afterCommit?.(result);
      return result;
    },
  };

  private commitLater(message: NewMessage): Promise<InsertResult> {
    return new Promise<InsertResult>((resolve, reject) => {
      this.pending.push({
        message,
        fail: reject,
        commit: () => {
          const key =
            message.clientMessageId === undefined ? undefined : `${message.senderKey}|${message.clientMessageId}`;
          const existing = key === undefined ? undefined : this.keys.get(key);
          if (existing) return resolve({ message: existing, duplicate: true });
          const row: StoredMessage = {
            messageId: String(this.nextId++),
            sessionId: message.sessionId,
            direction: message.direction,
            from: message.from,
            text: message.text,
            createdAt: new Date(),
          };
          this.rows.push(row);
          if (key !== undefined) this.keys.set(key, row);
          resolve({ message: row, duplicate: false });
        },
      });
    });
  }

  async settle(): Promise<void> {
    for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
  }
}

async function setup(options: { points?: number } = {}) {
  const store = new ControlledStore();
  const broker = new MemoryBroker();
  const metrics = createMetrics('test');
  const logger = pino({ level: 'silent' });
  const hub = new Hub(broker, metrics, logger);
  const published: Publication[] = [];
  /** `message:sent` publications to the listener's own session channel (its other tabs). */
  const sentToTabs: Publication[] = [];
  await broker.start({
    onDelivery: (p) => (JSON.parse(p.frame).event === 'message:sent' ? sentToTabs : published).push(p),
    onSessionsExpired: () => undefined,
  });
  await broker.subscribe(broadcastersChannel);
  await broker.subscribe(sessionChannel(SESSION));
  const limiter = () => memoryRateLimiter({ keyPrefix: 'msg', points: options.points ?? 100, durationSeconds: 10 });
  const chat = new ChatService({
    store: store as unknown as Store,
    hub,
    metrics,
    logger,
    listenerLimiter: limiter(),
    broadcasterLimiter: limiter(),
  });
  const frames: { event: string; data: Record<string, unknown> }[] = [];
  const replier = {
    send: (event: string, data: object) => frames.push({ event, data: data as Record<string, unknown> }),
  };
  return { store, chat, published, sentToTabs, frames, replier, metrics };
}

const listener = { sessionId: SESSION, name: 'Budi', connectionId: 'tab-1' };

describe('ChatService', () => {
  test('acks only after the store committed, then publishes message:new', async () => {
    const { store, chat, frames, published, sentToTabs, replier } = await setup();
    const outcome = chat.sendFromListener(listener, { text: ' halo ', clientMessageId: 'a' }, replier);
    await store.settle();
    assert.equal(store.pending.length, 1);
    assert.equal(store.pending[0]!.message.text, 'halo', 'the stored text is cleaned');
    assert.equal(frames.length, 0, 'no ack before commit');
    assert.equal(published.length, 0);
    store.pending[0]!.commit();
    assert.equal(await outcome, 'acked');
    assert.equal(frames[0]?.event, 'message:ack');
    assert.equal(frames[0]?.data['messageId'], '1');
    assert.equal(frames[0]?.data['clientMessageId'], 'a');
    assert.equal(published.length, 1);
    assert.equal(JSON.parse(published[0]!.frame).event, 'message:new');
    assert.equal(published[0]!.messageId, '1');
    assert.equal(sentToTabs.length, 1, 'the other tabs get message:sent');
    assert.equal(sentToTabs[0]!.exceptConnectionId, 'tab-1', 'all but the sending connection');
    assert.equal(sentToTabs[0]!.messageId, undefined, 'no replay cursor moves with it');
  });

  test('a failing store answers error:unavailable and never acks or publishes', async () => {
    const { store, chat, frames, published, replier } = await setup();
    const outcome = chat.sendFromListener(listener, { text: 'halo', clientMessageId: 'x' }, replier);
    await store.settle();
    store.pending[0]!.fail(new Error('connection refused'));
    assert.equal(await outcome, 'unavailable');
    assert.deepEqual(
      frames.map((f) => f.event),
      ['error:unavailable'],
    );
    assert.equal(frames[0]?.data['clientMessageId'], 'x');
    assert.equal(published.length, 0);
  });

  test('an unknown session is an invalid payload', async () => {
    const { store, chat, frames, replier } = await setup();
    const outcome = chat.replyFromBroadcaster(
      { adminId: '1', name: 'Penyiar A' },
      { sessionId: SESSION, text: 'hai' },
      replier,
    );
    await store.settle();
    store.pending[0]!.fail(new UnknownSessionError(SESSION));
    assert.equal(await outcome, 'invalid');
    assert.equal(frames[0]?.event, 'error:invalid_payload');
  });

  test('a duplicate is acked with the first id and not published again', async () => {
    const { store, chat, frames, published, replier } = await setup();
    const first = chat.sendFromListener(listener, { text: 'sekali', clientMessageId: 'k' }, replier);
    await store.settle();
    store.pending[0]!.commit();
    await first;
    const second = chat.sendFromListener(listener, { text: 'sekali', clientMessageId: 'k' }, replier);
    await store.settle();
    store.pending[1]!.commit();
    assert.equal(await second, 'duplicate');
    assert.equal(frames[1]?.data['messageId'], frames[0]?.data['messageId']);
    assert.equal(frames[1]?.data['duplicate'], true);
    assert.equal(published.length, 1);
  });

  test('one session is stored and published in arrival order', async () => {
    const { store, chat, published, replier } = await setup();
    const outcomes = ['1', '2', '3'].map((text) => chat.sendFromListener(listener, { text }, replier));
    await store.settle();
    assert.equal(store.pending.length, 1, 'the second insert waits for the first');
    store.pending[0]!.commit();
    await store.settle();
    store.pending[1]!.commit();
    await store.settle();
    store.pending[2]!.commit();
    await Promise.all(outcomes);
    assert.deepEqual(
      published.map((p) => JSON.parse(p.frame).data.text),
      ['1', '2', '3'],
    );
  });

  test('empty or too long text after cleaning is refused before storing', async () => {
    const { store, chat, frames, replier } = await setup();
    assert.equal(await chat.sendFromListener(listener, { text: '<script>x</script>' }, replier), 'invalid');
    assert.equal(
      await chat.sendFromListener(listener, { text: 'a'.repeat(1001), clientMessageId: 'long' }, replier),
      'invalid',
    );
    assert.equal(store.pending.length, 0);
    assert.deepEqual(
      frames.map((f) => f.event),
      ['error:invalid_payload', 'error:invalid_payload'],
    );
    assert.equal(frames[1]?.data['clientMessageId'], 'long');
  });

  test('over the rate limit: error:rate_limited with retryAfterMs, nothing stored', async () => {
    const { store, chat, frames, replier } = await setup({ points: 1 });
    const first = chat.sendFromListener(listener, { text: 'satu' }, replier);
    await store.settle();
    store.pending[0]!.commit();
    await first;
    assert.equal(await chat.sendFromListener(listener, { text: 'dua', clientMessageId: 'r' }, replier), 'rate_limited');
    assert.equal(store.pending.length, 1);
    const limited = frames.find((f) => f.event === 'error:rate_limited');
    assert.ok(limited && Number(limited.data['retryAfterMs']) > 0);
    assert.equal(limited.data['clientMessageId'], 'r');
  });

  test('at shutdown: the write with the store is acked, those queued behind it are refused', async () => {
    const { store, chat, frames, replier } = await setup();
    const outcomes = ['1', '2', '3'].map((id) =>
      chat.sendFromListener(listener, { text: id, clientMessageId: id }, replier),
    );
    await store.settle();
    chat.stopAccepting();
    chat.refuseQueued();
    const drained = chat.drain();
    store.pending[0]!.commit();
    assert.deepEqual(await Promise.all(outcomes), ['acked', 'unavailable', 'unavailable']);
    await drained;
    assert.equal(store.pending.length, 1, 'nothing more reached the store');
    assert.deepEqual(
      frames.map((f) => [f.event, f.data['clientMessageId']]),
      [
        ['message:ack', '1'],
        ['error:unavailable', '2'],
        ['error:unavailable', '3'],
      ],
    );
    assert.equal(await chat.sendFromListener(listener, { text: '4' }, replier), 'unavailable', 'nothing new accepted');
  });
});
