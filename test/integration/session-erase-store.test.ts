/** The store's session links and erase, on both databases. */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { openStore, type Store } from '../../src/db/index.js';
import { createTestDatabase, databaseConfig, dialects, type TestDatabase } from '../helpers/databases.js';

for (const dialect of dialects) {
  describe(`session links and erase on ${dialect}`, () => {
    let database: TestDatabase;
    let store: Store;

    before(async () => {
      database = await createTestDatabase(dialect);
      store = await openStore({ database: databaseConfig(database) });
      await store.migrate();
    });

    after(async () => {
      await store?.close();
      await database?.drop();
    });

    const create = (offsetMs: number, previousSessionId?: string) =>
      store.sessions.create({
        id: randomUUID(),
        name: 'Sari',
        city: 'Bogor',
        createdAt: new Date(Date.now() + offsetMs),
        expiresAt: new Date(Date.now() + offsetMs + 60_000),
        deviceId: 'device-0123456789abcdef',
        previousSessionId,
      });

    test('newestLinked follows the chain of successors to its newest end', async () => {
      const first = await create(0);
      const second = await create(1000, first.id);
      const third = await create(2000, second.id);
      assert.equal(second.previousSessionId, first.id);
      assert.equal(second.deviceId, 'device-0123456789abcdef');
      assert.equal(await store.sessions.newestLinked(first.id), third.id);
      assert.equal(await store.sessions.newestLinked(second.id), third.id);
      assert.equal(await store.sessions.newestLinked(third.id), undefined);
    });

    test('erase removes the session and its messages only, and unlinks successors', async () => {
      const erased = await create(0);
      const kept = await create(0);
      const successor = await create(1000, erased.id);
      for (const session of [erased, kept]) {
        await store.messages.insert({
          sessionId: session.id,
          direction: 'listener',
          senderKey: `session:${session.id}`,
          from: 'Sari',
          text: 'halo',
        });
      }
      assert.equal(await store.sessions.erase(erased.id), true);
      assert.equal(await store.sessions.get(erased.id), undefined);
      assert.deepEqual(await store.messages.listAfter(erased.id, { limit: 10 }), []);
      assert.equal((await store.messages.listAfter(kept.id, { limit: 10 })).length, 1);
      assert.equal((await store.sessions.get(successor.id))?.previousSessionId, null);
      assert.equal(await store.sessions.erase(erased.id), false, 'a second erase finds nothing');
      await assert.rejects(
        store.messages.insert({
          sessionId: erased.id,
          direction: 'listener',
          senderKey: `session:${erased.id}`,
          from: 'Sari',
          text: 'masih?',
        }),
        /session/i,
        'a message into the erased session is refused',
      );
    });
  });
}
