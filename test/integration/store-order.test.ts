/**
 * afterCommit ordering: two stores (two pools, as two instances would have)
 * write into one session at once; the order in which their afterCommit hooks
 * run — where the server acks and publishes — equals the stored id order,
 * even when a hook is slow.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { openStore } from '../../src/db/index.js';
import type { Store } from '../../src/db/types.js';
import { createTestDatabase, databaseConfig, dialects, type TestDatabase } from '../helpers/databases.js';
import { sleep } from '../helpers/wait.js';

for (const dialect of dialects) {
  describe(`publication order on ${dialect}`, () => {
    let database: TestDatabase;
    let stores: Store[];

    before(async () => {
      database = await createTestDatabase(dialect);
      const config = databaseConfig(database);
      // SQLite is one process: one store. PostgreSQL: two independent pools.
      const count = dialect === 'sqlite' ? 1 : 2;
      stores = [];
      for (let i = 0; i < count; i++) stores.push(await openStore({ database: config, sqliteSynchronous: 'NORMAL' }));
      await stores[0]!.migrate();
    });
    after(async () => {
      for (const store of stores ?? []) await store.close();
      await database?.drop();
    });

    test('afterCommit hooks of one session run in stored order', async () => {
      const sessionId = randomUUID();
      await stores[0]!.sessions.create({
        id: sessionId,
        name: 'Urut',
        city: '',
        createdAt: new Date(),
        expiresAt: new Date(Date.now() + 3600_000),
      });
      const published: string[] = [];
      const writes = Array.from({ length: 60 }, (_, i) => {
        const store = stores[i % stores.length]!;
        return store.messages.insert(
          { sessionId, direction: 'listener', senderKey: `session:${sessionId}`, from: 'Urut', text: `m${i}` },
          {
            afterCommit: async ({ message }) => {
              // A slow publisher must not let a later write overtake it.
              if (i % 7 === 0) await sleep(15);
              published.push(message.messageId);
            },
          },
        );
      });
      const results = await Promise.all(writes);
      assert.equal(published.length, 60);
      const sorted = [...published].sort((a, b) => Number(a) - Number(b));
      assert.deepEqual(published, sorted, 'published in id order');
      assert.deepEqual(new Set(results.map((r) => r.message.messageId)), new Set(published));
    });
  });
}
