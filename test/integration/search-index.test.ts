/**
 * Full-text search stays exact now that SQLite's index is kept up to date in
 * chunks rather than by a trigger per insert (migration 0007): a search sees
 * every stored message at once, a message erased before it was indexed
 * leaves the index sound, and the writer indexes on its own while messages
 * come. Runs on SQLite (a file, so the writer's thread is used) and
 * PostgreSQL, whose index is unchanged.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { openStore, type SessionRecord, type Store } from '../../src/db/index.js';
import { createTestDatabase, databaseConfig, dialects, type TestDatabase } from '../helpers/databases.js';
import { waitFor } from '../helpers/wait.js';

const sqlitePath = (database: TestDatabase) => database.url.slice('sqlite:'.length);

/**
 * SQLite's own check that the index matches the messages table row for row (throws SQLITE_CORRUPT_VTAB
 * when not); only meaningful right after a search, which indexes every message stored before it.
 */
function checkIntegrity(database: TestDatabase): void {
  const handle = new Database(sqlitePath(database));
  try {
    handle.prepare("insert into messages_fts(messages_fts, rank) values ('integrity-check', 1)").run();
  } finally {
    handle.close();
  }
}

function indexedThrough(database: TestDatabase): number {
  const handle = new Database(sqlitePath(database), { readonly: true });
  try {
    const row = handle.prepare('select indexed_through from search_index_state where id = 1').get() as {
      indexed_through: number;
    };
    return row.indexed_through;
  } finally {
    handle.close();
  }
}

for (const dialect of dialects) {
  describe(`search index on ${dialect}`, () => {
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

    const newSession = () =>
      store.sessions.create({
        id: randomUUID(),
        name: 'Rina',
        city: 'Bandung',
        createdAt: new Date(),
        expiresAt: new Date(Date.now() + 3_600_000),
      });
    const send = async (session: SessionRecord, text: string) =>
      (
        await store.messages.insert({
          sessionId: session.id,
          direction: 'listener',
          senderKey: `session:${session.id}`,
          from: session.name,
          text,
          clientMessageId: randomUUID(),
        })
      ).message;
    const found = async (word: string) => (await store.search.search([word], 50)).map((message) => message.text);

    test('a message is found by the search right after it was stored', async () => {
      const session = await newSession();
      await send(session, 'putarkan dangdut koplo dong');
      assert.deepEqual(await found('koplo'), ['putarkan dangdut koplo dong']);
      await send(session, 'koplo lagi ya');
      assert.deepEqual(await found('koplo'), ['koplo lagi ya', 'putarkan dangdut koplo dong']);
    });

    test('messages erased before and after they were indexed leave no trace and a sound index', async () => {
      const indexed = await newSession();
      await send(indexed, 'keroncong sudah terindeks');
      assert.deepEqual(await found('keroncong'), ['keroncong sudah terindeks']); // indexed now
      const fresh = await newSession();
      await send(fresh, 'campursari belum terindeks');
      assert.equal(await store.sessions.erase(fresh.id), true); // erased before any search indexed it
      assert.equal(await store.sessions.erase(indexed.id), true);
      assert.deepEqual(await found('campursari'), []);
      assert.deepEqual(await found('keroncong'), []);
      if (dialect === 'sqlite') checkIntegrity(database);
    });

    if (dialect === 'sqlite') {
      test('the writer indexes on its own while messages come, without a search', async () => {
        const session = await newSession();
        const before = indexedThrough(database);
        // Messages for a little over the writer's one-second interval.
        const until = Date.now() + 1500;
        while (Date.now() < until) {
          await send(session, `jazz ${randomUUID()}`);
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
        const last = Number((await send(session, 'jazz terakhir')).messageId);
        await waitFor(() => indexedThrough(database) > before, {
          message: 'the writer indexed nothing on its own',
          timeoutMs: 5000,
        });
        // Only messages stored by then: nothing above the newest one is claimed.
        assert.ok(indexedThrough(database) <= last);
        // A search indexes the rest: the index then matches the messages row for row.
        assert.equal((await found('terakhir')).length, 1);
        assert.equal(indexedThrough(database), last);
        checkIntegrity(database);
      });
    }
  });
}
