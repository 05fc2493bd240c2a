/**
 * The storage layer against real databases: every test runs on SQLite (a file)
 * and PostgreSQL. Tests about what several instances do at once start child
 * processes, each with its own store, so they race as separate instances do.
 */
import { after, before, describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import Database from 'better-sqlite3';
import pg from 'pg';
import type { DatabaseConfig } from '../../src/config.js';
import { migrationProvider } from '../../src/db/migrations/index.js';
import {
  openStore,
  UnknownSessionError,
  type InsertResult,
  type NewMessage,
  type SessionCursor,
  type SessionListOptions,
  type SessionRecord,
  type Store,
} from '../../src/db/index.js';
import { createTestDatabase, databaseConfig, dialects, type TestDatabase } from '../helpers/databases.js';
import { sleep, waitFor } from '../helpers/wait.js';

/** Runs SQL on its own connection, outside the store under test. */
async function rawQuery(
  database: TestDatabase,
  query: string,
  params: unknown[] = [],
): Promise<Record<string, unknown>[]> {
  const config = databaseConfig(database);
  if (config.kind === 'sqlite') {
    const handle = new Database(config.path);
    try {
      const statement = handle.prepare(query);
      if (statement.reader) return statement.all(...params) as Record<string, unknown>[];
      statement.run(...params);
      return [];
    } finally {
      handle.close();
    }
  }
  const client = new pg.Client({ connectionString: config.url });
  await client.connect();
  try {
    return (await client.query(query, params)).rows as Record<string, unknown>[];
  } finally {
    await client.end();
  }
}

async function newSession(store: Store, overrides: Partial<{ createdAt: Date; name: string; city: string }> = {}) {
  const createdAt = overrides.createdAt ?? new Date();
  return store.sessions.create({
    id: randomUUID(),
    name: overrides.name ?? 'Rina',
    city: overrides.city ?? 'Bandung',
    createdAt,
    expiresAt: new Date(createdAt.getTime() + 7_200_000),
  });
}

function listenerMessage(session: SessionRecord, text: string, clientMessageId?: string): NewMessage {
  return {
    sessionId: session.id,
    direction: 'listener',
    senderKey: `session:${session.id}`,
    from: session.name,
    text,
    clientMessageId,
  };
}

function broadcasterMessage(
  session: SessionRecord,
  admin: { id: string; displayName: string },
  text: string,
  clientMessageId?: string,
): NewMessage {
  return {
    sessionId: session.id,
    direction: 'broadcaster',
    senderKey: `admin:${admin.id}`,
    from: admin.displayName,
    adminId: admin.id,
    text,
    clientMessageId,
  };
}

const ids = (messages: { messageId: string }[]): number[] => messages.map((m) => Number(m.messageId));

function assertStrictlyAscending(values: number[]): void {
  for (let i = 1; i < values.length; i++) {
    assert.ok(values[i]! > values[i - 1]!, `not ascending at ${i}: ${values[i - 1]} then ${values[i]}`);
  }
}

type Defer = (cleanup: () => unknown) => void;

/** Clean-ups that run when the test ends, the last registered first (closing before dropping). */
function deferrer(t: TestContext): Defer {
  const stack: (() => unknown)[] = [];
  t.after(async () => {
    for (const cleanup of stack.reverse()) await cleanup();
  });
  return (cleanup) => void stack.push(cleanup);
}

// ---------------------------------------------------------------------------
// Child processes: each opens its own store, says "ready", waits for "go" (so
// all of them start their work at the same moment), does the job and prints
// the result as one JSON line.
// ---------------------------------------------------------------------------

type ChildJob =
  { kind: 'migrate'; database: DatabaseConfig } | { kind: 'insert'; database: DatabaseConfig; messages: NewMessage[] };

const storeModuleUrl = new URL('../../src/db/index.ts', import.meta.url).href;
const childSource = `
import { createInterface } from 'node:readline';
import { openStore } from ${JSON.stringify(storeModuleUrl)};
const job = JSON.parse(process.env.STORE_TEST_JOB);
const store = await openStore({ database: job.database, poolSize: 4 });
await store.ping();
process.stdout.write('ready\\n');
for await (const line of createInterface({ input: process.stdin })) if (line === 'go') break;
let result = null;
if (job.kind === 'migrate') await store.migrate();
else result = await Promise.all(job.messages.map((message) => store.messages.insert(message)));
await store.close();
process.stdout.write(JSON.stringify(result) + '\\n');
`;

async function runChildren<T>(jobs: ChildJob[]): Promise<T[]> {
  const env = { ...process.env };
  delete env['NODE_TEST_CONTEXT'];
  const children = jobs.map((job) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', childSource], {
      env: { ...env, STORE_TEST_JOB: JSON.stringify(job) },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
    const exited = once(child, 'exit').then(([code]) => {
      if (code !== 0) throw new Error(`child exited with ${code}: ${stderr}`);
    });
    return { child, lines, exited };
  });
  try {
    for (const { lines, exited } of children) {
      const ready = await Promise.race([lines.next(), exited.then(() => ({ value: 'exited early' }))]);
      assert.equal(ready.value, 'ready');
    }
    for (const { child } of children) child.stdin.end('go\n');
    const results: T[] = [];
    for (const { lines, exited } of children) {
      const line = await lines.next();
      await exited;
      results.push(JSON.parse(String(line.value)) as T);
    }
    return results;
  } finally {
    for (const { child } of children) if (child.exitCode === null) child.kill();
  }
}

// ---------------------------------------------------------------------------

for (const dialect of dialects) {
  describe(`store on ${dialect}`, () => {
    let database: TestDatabase;
    let store: Store;

    /** A migrated store on a database of its own, closed and dropped after the test. */
    async function freshStore(
      defer: Defer,
      options: { onConnectionError?: (error: Error) => void } = {},
    ): Promise<{ database: TestDatabase; store: Store }> {
      const fresh = await createTestDatabase(dialect);
      defer(() => fresh.drop());
      const opened = await openStore({ database: databaseConfig(fresh), ...options });
      defer(() => opened.close());
      await opened.migrate();
      return { database: fresh, store: opened };
    }

    before(async () => {
      database = await createTestDatabase(dialect);
      store = await openStore({ database: databaseConfig(database) });
      await store.migrate();
    });

    after(async () => {
      await store?.close();
      await database?.drop();
    });

    test('reports its dialect and answers ping', async () => {
      assert.equal(store.dialect, dialect);
      await store.ping();
    });

    test('migrating again changes nothing and keeps the data', async () => {
      const session = await newSession(store);
      const { message } = await store.messages.insert(listenerMessage(session, 'sebelum migrasi'));
      await store.migrate();
      const migrations = await rawQuery(database, 'select name from kysely_migration');
      assert.deepEqual(
        migrations.map((row) => row['name']),
        await migrationNames(dialect),
      );
      assert.deepEqual(await store.messages.listAfter(session.id, { limit: 10 }), [message]);
    });

    test('several instances migrating one new database at once each succeed, and migrate it once', async (t) => {
      const defer = deferrer(t);
      const fresh = await createTestDatabase(dialect);
      defer(() => fresh.drop());
      const config = databaseConfig(fresh);
      await runChildren(Array.from({ length: 5 }, () => ({ kind: 'migrate' as const, database: config })));

      const migrations = await rawQuery(fresh, 'select name from kysely_migration');
      assert.deepEqual(
        migrations.map((row) => row['name']),
        await migrationNames(dialect),
      );
      const other = await openStore({ database: config });
      defer(() => other.close());
      await other.migrate();
      const session = await newSession(other);
      const { message } = await other.messages.insert(listenerMessage(session, 'halo'));
      assert.deepEqual(await other.messages.listAfter(session.id, { limit: 10 }), [message]);
    });

    test('sessions: create and get return the stored record', async () => {
      const createdAt = new Date(Date.now() - 60_000);
      const created = await newSession(store, { createdAt, name: 'Budi', city: '' });
      assert.deepEqual(created, {
        id: created.id,
        name: 'Budi',
        city: '',
        createdAt,
        expiresAt: new Date(createdAt.getTime() + 7_200_000),
        lastMessageAt: null,
        deviceId: null,
        previousSessionId: null,
      });
      assert.deepEqual(await store.sessions.get(created.id), created);
      assert.equal(await store.sessions.get(randomUUID()), undefined);
      await assert.rejects(store.sessions.create({ ...created }), 'a second session with the same id is refused');
    });

    test('sessions: listRecent orders by last message, else creation, most recent first, then id; pages by cursor', async (t) => {
      const defer = deferrer(t);
      const { store: own } = await freshStore(defer);
      const base = Date.now() - 3_600_000;
      const oldest = await newSession(own, { createdAt: new Date(base), name: 'oldest' });
      const middle = await newSession(own, { createdAt: new Date(base + 1000), name: 'middle' });
      const newest = await newSession(own, { createdAt: new Date(base + 2000), name: 'newest' });
      // Two sessions created at the same moment: the smaller id comes first.
      const tieA = await newSession(own, { createdAt: new Date(base + 500), name: 'tie' });
      const tieB = await own.sessions.create({ ...tieA, id: randomUUID() });
      const [tieFirst, tieSecond] = [tieA, tieB].sort((a, b) => (a.id < b.id ? -1 : 1));

      const ids = async (options: SessionListOptions) =>
        (await own.sessions.listRecent(options)).sessions.map((s) => s.id);
      assert.deepEqual(await ids({ limit: 10, includeEmpty: true }), [
        newest.id,
        middle.id,
        tieFirst!.id,
        tieSecond!.id,
        oldest.id,
      ]);
      assert.deepEqual(await ids({ limit: 10 }), [], 'sessions without messages are left out by default');

      // A message makes the oldest session the most recent one.
      await own.messages.insert(listenerMessage(oldest, 'masih ada yang dengar?'));
      const recent = await own.sessions.listRecent({ limit: 3, includeEmpty: true });
      assert.deepEqual(
        recent.sessions.map((s) => s.id),
        [oldest.id, newest.id, middle.id],
      );
      assert.notEqual(recent.sessions[0]!.lastMessageAt, null);
      assert.deepEqual(await ids({ limit: 10 }), [oldest.id]);
      assert.deepEqual(await own.sessions.listRecent({ limit: 0 }), { sessions: [] });

      // Pages of one, through the tie: every session once, in order, and no cursor after the last.
      const paged: string[] = [];
      let cursor: SessionCursor | undefined;
      for (let page = 0; page < 10; page++) {
        const result = await own.sessions.listRecent({ limit: 1, includeEmpty: true, after: cursor });
        paged.push(...result.sessions.map((s) => s.id));
        cursor = result.next;
        if (!cursor) break;
      }
      assert.deepEqual(paged, [oldest.id, newest.id, middle.id, tieFirst!.id, tieSecond!.id]);
      assert.equal(cursor, undefined);
    });

    test('insert and listAfter: stored order, after, limit and direction', async () => {
      const admin = await store.admins.upsert({
        username: 'penyiar-order',
        displayName: 'Kak Dina',
        passwordHash: 'h',
      });
      const session = await newSession(store);
      const other = await newSession(store);
      const sent: NewMessage[] = [
        listenerMessage(session, 'satu'),
        broadcasterMessage(session, admin, 'dua'),
        listenerMessage(session, 'tiga'),
        broadcasterMessage(session, admin, 'empat'),
        listenerMessage(session, 'lima'),
      ];
      const stored = [];
      for (const [index, message] of sent.entries()) {
        stored.push((await store.messages.insert(message)).message);
        // Interleave another session's messages: they must never show up.
        await store.messages.insert(listenerMessage(other, `lain ${index}`));
      }
      for (const [index, message] of stored.entries()) {
        assert.match(message.messageId, /^[1-9][0-9]*$/);
        assert.equal(message.sessionId, session.id);
        assert.equal(message.direction, sent[index]!.direction);
        assert.equal(message.from, sent[index]!.from);
        assert.equal(message.text, sent[index]!.text);
        assert.ok(message.createdAt instanceof Date && !Number.isNaN(message.createdAt.getTime()));
      }
      assertStrictlyAscending(ids(stored));

      const all = await store.messages.listAfter(session.id, { limit: 100 });
      assert.deepEqual(all, stored);
      assert.deepEqual(
        await store.messages.listAfter(session.id, { afterMessageId: stored[1]!.messageId, limit: 100 }),
        stored.slice(2),
      );
      assert.deepEqual(await store.messages.listAfter(session.id, { limit: 2 }), stored.slice(0, 2));
      assert.deepEqual(
        await store.messages.listAfter(session.id, { afterMessageId: stored[0]!.messageId, limit: 2 }),
        stored.slice(1, 3),
      );
      assert.deepEqual(await store.messages.listAfter(session.id, { direction: 'broadcaster', limit: 100 }), [
        stored[1],
        stored[3],
      ]);
      assert.deepEqual(
        await store.messages.listAfter(session.id, {
          afterMessageId: stored[1]!.messageId,
          direction: 'broadcaster',
          limit: 100,
        }),
        [stored[3]],
      );
      assert.deepEqual(await store.messages.listAfter(session.id, { direction: 'listener', limit: 2 }), [
        stored[0],
        stored[2],
      ]);
      assert.deepEqual(
        await store.messages.listAfter(session.id, { afterMessageId: stored[4]!.messageId, limit: 100 }),
        [],
      );
      assert.deepEqual(
        await store.messages.listAfter(session.id, { afterMessageId: '9999999999999999', limit: 100 }),
        [],
      );
      assert.deepEqual(await store.messages.listAfter(randomUUID(), { limit: 100 }), []);
      await assert.rejects(store.messages.listAfter(session.id, { afterMessageId: 'abc', limit: 10 }), RangeError);
    });

    test('latestId and latestIds: the newest message of a direction, per session, in one query', async () => {
      const admin = await store.admins.upsert({
        username: 'penyiar-latest',
        displayName: 'Kak Rina',
        passwordHash: 'h',
      });
      const [a, b, quiet] = [await newSession(store), await newSession(store), await newSession(store)];
      const replyA1 = (await store.messages.insert(broadcasterMessage(a, admin, 'satu'))).message;
      await store.messages.insert(broadcasterMessage(b, admin, 'dua'));
      const replyA2 = (await store.messages.insert(broadcasterMessage(a, admin, 'tiga'))).message;
      const replyB = (await store.messages.insert(broadcasterMessage(b, admin, 'empat'))).message;
      const lastFromA = (await store.messages.insert(listenerMessage(a, 'lima'))).message;
      const fromQuiet = (await store.messages.insert(listenerMessage(quiet, 'enam'))).message;

      assert.equal(await store.messages.latestId(a.id, 'broadcaster'), replyA2.messageId);
      assert.equal(await store.messages.latestId(a.id), lastFromA.messageId);
      assert.equal(await store.messages.latestId(quiet.id, 'broadcaster'), undefined);
      assert.notEqual(replyA1.messageId, replyA2.messageId);

      const latest = await store.messages.latestIds([a.id, b.id, quiet.id, randomUUID(), a.id], 'broadcaster');
      assert.deepEqual(
        [...latest].sort(),
        [
          [a.id, replyA2.messageId],
          [b.id, replyB.messageId],
        ].sort(),
      );
      assert.deepEqual(
        [...(await store.messages.latestIds([quiet.id], 'listener'))],
        [[quiet.id, fromQuiet.messageId]],
      );
      assert.equal((await store.messages.latestIds([], 'broadcaster')).size, 0);
      const many: string[] = Array.from({ length: 2500 }, () => randomUUID());
      many[2100] = b.id;
      assert.deepEqual(
        [...(await store.messages.latestIds(many, 'broadcaster'))],
        [[b.id, replyB.messageId]],
        'past one chunk',
      );
    });

    test('insert updates lastMessageAt; a duplicate does not', async () => {
      const session = await newSession(store);
      assert.equal((await store.sessions.get(session.id))!.lastMessageAt, null);
      const before = Date.now();
      const { message } = await store.messages.insert(listenerMessage(session, 'pertama', 'k1'));
      const afterFirst = await store.sessions.get(session.id);
      assert.deepEqual(afterFirst!.lastMessageAt, message.createdAt);
      assert.ok(message.createdAt.getTime() >= before && message.createdAt.getTime() <= Date.now());

      await sleep(15);
      const duplicate = await store.messages.insert(listenerMessage(session, 'pertama lagi', 'k1'));
      assert.equal(duplicate.duplicate, true);
      assert.deepEqual((await store.sessions.get(session.id))!.lastMessageAt, message.createdAt);

      const second = await store.messages.insert(listenerMessage(session, 'kedua', 'k2'));
      assert.ok(second.message.createdAt.getTime() > message.createdAt.getTime());
      assert.deepEqual((await store.sessions.get(session.id))!.lastMessageAt, second.message.createdAt);
    });

    test('dedup, one after another: the first row comes back, nothing is stored twice', async () => {
      const session = await newSession(store);
      const first = await store.messages.insert(listenerMessage(session, 'Aku <3 lagu ini', 'same-key'));
      assert.equal(first.duplicate, false);
      const again = await store.messages.insert(listenerMessage(session, 'teks lain', 'same-key'));
      assert.deepEqual(again, { message: first.message, duplicate: true });

      // Without a clientMessageId nothing is deduplicated.
      const plainA = await store.messages.insert(listenerMessage(session, 'tanpa kunci'));
      const plainB = await store.messages.insert(listenerMessage(session, 'tanpa kunci'));
      assert.equal(plainA.duplicate, false);
      assert.equal(plainB.duplicate, false);
      assert.notEqual(plainA.message.messageId, plainB.message.messageId);

      assert.deepEqual(await store.messages.listAfter(session.id, { limit: 10 }), [
        first.message,
        plainA.message,
        plainB.message,
      ]);
    });

    test('dedup, 20 at once with one key: one row, one messageId, one non-duplicate', async () => {
      const session = await newSession(store);
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          store.messages.insert(listenerMessage(session, `kirim ulang ${i}`, 'burst')),
        ),
      );
      const stored = await store.messages.listAfter(session.id, { limit: 100 });
      assert.equal(stored.length, 1);
      assert.deepEqual(new Set(results.map((r) => r.message.messageId)), new Set([stored[0]!.messageId]));
      assert.equal(results.filter((r) => !r.duplicate).length, 1);
      assert.deepEqual(results.find((r) => !r.duplicate)!.message, stored[0]);
    });

    test('dedup across instances: two processes sending the same keys into one session', async (t) => {
      const defer = deferrer(t);
      const { database: fresh, store: own } = await freshStore(defer);
      const session = await newSession(own);
      const keys = Array.from({ length: 40 }, (_, i) => `k${i}`);
      const job = {
        kind: 'insert' as const,
        database: databaseConfig(fresh),
        messages: keys.map((key) => listenerMessage(session, `pesan ${key}`, key)),
      };
      const [a, b] = await runChildren<InsertResult[]>([job, { ...job, messages: [...job.messages].reverse() }]);
      const byKey = new Map<string, InsertResult[]>();
      for (const [index, result] of a!.entries()) byKey.set(keys[index]!, [result]);
      for (const [index, result] of b!.entries()) byKey.get(keys[keys.length - 1 - index]!)!.push(result);

      const stored = await own.messages.listAfter(session.id, { limit: 1000 });
      assert.equal(stored.length, keys.length);
      assertStrictlyAscending(ids(stored));
      for (const [key, pair] of byKey) {
        assert.equal(pair.length, 2);
        assert.equal(pair[0]!.message.messageId, pair[1]!.message.messageId, `one messageId for ${key}`);
        assert.equal(pair.filter((r) => !r.duplicate).length, 1, `one original for ${key}`);
        assert.equal(stored.find((m) => m.messageId === pair[0]!.message.messageId)?.text, `pesan ${key}`);
      }
    });

    test('a broadcaster has one key space across all sessions it replies to', async () => {
      const admin = await store.admins.upsert({
        username: 'penyiar-dedup',
        displayName: 'Mas Andi',
        passwordHash: 'h',
      });
      const first = await newSession(store);
      const second = await newSession(store);
      const reply = await store.messages.insert(broadcasterMessage(first, admin, 'halo semua', 'reply-1'));
      assert.equal(reply.duplicate, false);

      const resent = await store.messages.insert(broadcasterMessage(second, admin, 'halo semua', 'reply-1'));
      assert.deepEqual(resent, { message: reply.message, duplicate: true });
      assert.equal(resent.message.sessionId, first.id);
      assert.deepEqual(await store.messages.listAfter(second.id, { limit: 10 }), []);
      assert.equal((await store.sessions.get(second.id))!.lastMessageAt, null);

      // Another broadcaster with the same clientMessageId is another sender.
      const colleague = await store.admins.upsert({
        username: 'penyiar-dedup-2',
        displayName: 'Mbak Sari',
        passwordHash: 'h',
      });
      const theirs = await store.messages.insert(broadcasterMessage(second, colleague, 'halo juga', 'reply-1'));
      assert.equal(theirs.duplicate, false);
      assert.deepEqual(await store.messages.listAfter(second.id, { limit: 10 }), [theirs.message]);
    });

    test('a resent reply into a session that does not exist is refused, not acked as a duplicate', async () => {
      const admin = await store.admins.upsert({
        username: 'penyiar-ghost',
        displayName: 'Bang Ijal',
        passwordHash: 'h',
      });
      const session = await newSession(store);
      const first = await store.messages.insert(broadcasterMessage(session, admin, 'halo', 'ghost-reply'));
      assert.equal(first.duplicate, false);
      const ghost = { id: randomUUID(), name: 'Hantu' } as SessionRecord;
      await assert.rejects(
        store.messages.insert(broadcasterMessage(ghost, admin, 'halo', 'ghost-reply')),
        UnknownSessionError,
      );
    });

    test('the same clientMessageId from different senders stores one row each', async () => {
      const admin = await store.admins.upsert({ username: 'penyiar-keys', displayName: 'Kak Tio', passwordHash: 'h' });
      const session = await newSession(store);
      const otherSession = await newSession(store);
      const fromListener = await store.messages.insert(listenerMessage(session, 'dari pendengar', 'x'));
      const fromBroadcaster = await store.messages.insert(broadcasterMessage(session, admin, 'dari penyiar', 'x'));
      const fromOtherListener = await store.messages.insert(listenerMessage(otherSession, 'pendengar lain', 'x'));
      for (const result of [fromListener, fromBroadcaster, fromOtherListener]) assert.equal(result.duplicate, false);
      assert.deepEqual(await store.messages.listAfter(session.id, { limit: 10 }), [
        fromListener.message,
        fromBroadcaster.message,
      ]);
      assert.deepEqual(await store.messages.listAfter(otherSession.id, { limit: 10 }), [fromOtherListener.message]);
    });

    test('an unknown session is refused with UnknownSessionError and nothing is stored', async () => {
      const ghost = { id: randomUUID(), name: 'Hantu' } as SessionRecord;
      await assert.rejects(store.messages.insert(listenerMessage(ghost, 'boo', 'g1')), (error: unknown) => {
        assert.ok(error instanceof UnknownSessionError);
        assert.equal(error.sessionId, ghost.id);
        return true;
      });
      // Had a row been kept, the same key would now be a duplicate.
      const session = await store.sessions.create({
        id: ghost.id,
        name: 'Hantu',
        city: '',
        createdAt: new Date(),
        expiresAt: new Date(Date.now() + 60_000),
      });
      assert.deepEqual(await store.messages.listAfter(session.id, { limit: 10 }), []);
      const now = await store.messages.insert(listenerMessage(session, 'boo', 'g1'));
      assert.equal(now.duplicate, false);
    });

    test("each new broadcaster message names the session's previous broadcaster message", async () => {
      const admin = await store.admins.upsert({ username: 'penyiar-chain', displayName: 'Kak Nia', passwordHash: 'h' });
      const session = await newSession(store);
      const other = await newSession(store);
      const r1 = await store.messages.insert(broadcasterMessage(session, admin, 'satu', 'chain-1'));
      assert.equal(r1.previousMessageId, '0');
      // Listener messages and other sessions' replies do not enter the chain.
      const heard = await store.messages.insert(listenerMessage(session, 'halo'));
      assert.equal(heard.previousMessageId, undefined);
      await store.messages.insert(broadcasterMessage(other, admin, 'lain', 'chain-x'));
      // Written at once (one batch where the store batches, racing transactions
      // elsewhere): whichever was stored first, each names the one before it.
      const [r2, r3] = (
        await Promise.all([
          store.messages.insert(broadcasterMessage(session, admin, 'dua', 'chain-2')),
          store.messages.insert(broadcasterMessage(session, admin, 'tiga', 'chain-3')),
        ])
      ).sort((a, b) => Number(BigInt(a.message.messageId) - BigInt(b.message.messageId)));
      assert.equal(r2!.previousMessageId, r1.message.messageId);
      assert.equal(r3!.previousMessageId, r2!.message.messageId);
      const again = await store.messages.insert(broadcasterMessage(session, admin, 'dua', 'chain-2'));
      assert.equal(again.duplicate, true);
      assert.equal(again.previousMessageId, undefined);
    });

    test('messages sent at once: an unknown session fails alone, the others are stored', async () => {
      const sessions = [await newSession(store), await newSession(store), await newSession(store)];
      const ghost = { id: randomUUID(), name: 'Hantu' } as SessionRecord;
      const results = await Promise.allSettled([
        store.messages.insert(listenerMessage(sessions[0]!, 'a', 'together-a')),
        store.messages.insert(listenerMessage(ghost, 'boo', 'together-ghost')),
        store.messages.insert(listenerMessage(sessions[1]!, 'b', 'together-b')),
        store.messages.insert(listenerMessage(sessions[2]!, 'c', 'together-c')),
      ]);
      assert.equal(results[1]!.status, 'rejected');
      assert.ok((results[1] as PromiseRejectedResult).reason instanceof UnknownSessionError);
      for (const [index, session] of sessions.entries()) {
        const result = results[index === 0 ? 0 : index + 1]!;
        assert.equal(result.status, 'fulfilled');
        const stored = await store.messages.listAfter(session.id, { limit: 10 });
        assert.deepEqual(stored, [(result as PromiseFulfilledResult<InsertResult>).value.message]);
        assert.notEqual((await store.sessions.get(session.id))!.lastMessageAt, null);
      }
    });

    test('admins: upsert creates, then updates name and password hash; lookups', async (t) => {
      const defer = deferrer(t);
      const { store: own } = await freshStore(defer);
      assert.equal(await own.admins.count(), 0);
      const created = await own.admins.upsert({ username: 'dina', displayName: 'Kak Dina', passwordHash: 'hash-1' });
      assert.match(created.id, /^[1-9][0-9]*$/);
      const state = { role: 'penyiar', disabled: false, tokenVersion: 0 };
      assert.deepEqual(created, {
        id: created.id,
        username: 'dina',
        displayName: 'Kak Dina',
        passwordHash: 'hash-1',
        ...state,
      });
      assert.equal(await own.admins.count(), 1);

      const updated = await own.admins.upsert({ username: 'dina', displayName: 'Dina Pagi', passwordHash: 'hash-2' });
      assert.deepEqual(updated, {
        id: created.id,
        username: 'dina',
        displayName: 'Dina Pagi',
        passwordHash: 'hash-2',
        ...state,
      });
      assert.equal(await own.admins.count(), 1);

      const other = await own.admins.upsert({ username: 'andi', displayName: 'Mas Andi', passwordHash: 'hash-3' });
      assert.notEqual(other.id, created.id);
      assert.equal(await own.admins.count(), 2);
      assert.deepEqual(await own.admins.findByUsername('dina'), updated);
      assert.deepEqual(await own.admins.findById(other.id), other);
      assert.equal(await own.admins.findByUsername('nobody'), undefined);
      assert.equal(await own.admins.findById('987654'), undefined);
      assert.equal(await own.admins.findById('not-an-id'), undefined);
    });

    test('closing and reopening keeps the data', async (t) => {
      const defer = deferrer(t);
      const fresh = await createTestDatabase(dialect);
      defer(() => fresh.drop());
      const first = await openStore({ database: databaseConfig(fresh), sqliteSynchronous: 'NORMAL' });
      await first.migrate();
      const session = await newSession(first);
      const { message } = await first.messages.insert(listenerMessage(session, 'tetap ada', 'keep'));
      const admin = await first.admins.upsert({ username: 'tetap', displayName: 'Tetap', passwordHash: 'h' });
      await first.close();

      const reopened = await openStore({ database: databaseConfig(fresh) });
      defer(() => reopened.close());
      await reopened.migrate();
      assert.deepEqual(await reopened.sessions.get(session.id), { ...session, lastMessageAt: message.createdAt });
      assert.deepEqual(await reopened.messages.listAfter(session.id, { limit: 10 }), [message]);
      assert.deepEqual(await reopened.admins.findByUsername('tetap'), admin);
      const again = await reopened.messages.insert(listenerMessage(session, 'tetap ada', 'keep'));
      assert.deepEqual(again, { message, duplicate: true });
    });

    test('close lets calls in progress finish', async (t) => {
      const defer = deferrer(t);
      const fresh = await createTestDatabase(dialect);
      defer(() => fresh.drop());
      const closing = await openStore({ database: databaseConfig(fresh) });
      await closing.migrate();
      const session = await newSession(closing);
      const pending = Array.from({ length: 5 }, (_, i) =>
        closing.messages.insert(listenerMessage(session, `sebelum tutup ${i}`)),
      );
      await closing.close();
      const acked = await Promise.all(pending);

      const reopened = await openStore({ database: databaseConfig(fresh) });
      defer(() => reopened.close());
      assert.deepEqual(
        await reopened.messages.listAfter(session.id, { limit: 10 }),
        acked.map((result) => result.message).sort((a, b) => Number(a.messageId) - Number(b.messageId)),
      );
    });

    test('after close every call rejects', async (t) => {
      const defer = deferrer(t);
      const fresh = await createTestDatabase(dialect);
      defer(() => fresh.drop());
      const closed = await openStore({ database: databaseConfig(fresh) });
      await closed.migrate();
      const session = await newSession(closed);
      await closed.close();
      await closed.close();
      await assert.rejects(closed.messages.insert(listenerMessage(session, 'terlambat')), /closed/);
      await assert.rejects(closed.ping(), /closed/);
      await assert.rejects(closed.sessions.get(session.id), /closed/);
    });

    test('a statement failing inside the insert transaction rejects and leaves nothing behind', async (t) => {
      const defer = deferrer(t);
      const { database: fresh, store: own } = await freshStore(defer);
      const session = await newSession(own);
      await rawQuery(fresh, 'alter table messages rename to messages_elsewhere');
      // The session row update succeeds, the insert fails: both must be undone.
      await assert.rejects(own.messages.insert(listenerMessage(session, 'hilang', 'lost')));
      await rawQuery(fresh, 'alter table messages_elsewhere rename to messages');
      assert.equal((await own.sessions.get(session.id))!.lastMessageAt, null);
      assert.deepEqual(await own.messages.listAfter(session.id, { limit: 10 }), []);
      const retry = await own.messages.insert(listenerMessage(session, 'hilang', 'lost'));
      assert.equal(retry.duplicate, false);
    });

    if (dialect === 'sqlite') {
      test('sqlite: the file is in WAL mode with foreign keys enforced', async () => {
        const [mode] = await rawQuery(database, 'pragma journal_mode');
        assert.equal(mode?.['journal_mode'], 'wal');
        await assert.rejects(
          store.messages.insert({
            ...listenerMessage(await newSession(store), 'x'),
            adminId: '424242',
            direction: 'broadcaster',
          }),
          /FOREIGN KEY/,
        );
      });

      test('sqlite: a :memory: database works', async () => {
        const memory = await openStore({ database: { kind: 'sqlite', path: ':memory:' } });
        try {
          await memory.migrate();
          const session = await newSession(memory);
          const { message } = await memory.messages.insert(listenerMessage(session, 'di memori'));
          assert.deepEqual(await memory.messages.listAfter(session.id, { limit: 5 }), [message]);
        } finally {
          await memory.close();
        }
      });
    }

    if (dialect === 'postgres') {
      test('postgres: two stores inserting into one session at once: ids follow commit order', async (t) => {
        const defer = deferrer(t);
        const { database: fresh, store: reader } = await freshStore(defer);
        const writers = await Promise.all(
          [1, 2].map(() => openStore({ database: databaseConfig(fresh), poolSize: 6 })),
        );
        defer(async () => {
          for (const writer of writers) await writer.close();
        });
        const session = await newSession(reader);

        // A reader follows the session like a replaying client: it only ever
        // asks for what comes after the last id it saw. If a smaller id could
        // commit after a larger one was visible, the reader would skip it.
        let writing = true;
        const seen: number[] = [];
        let cursor: string | undefined;
        const follow = async () => {
          const page = await reader.messages.listAfter(session.id, { afterMessageId: cursor, limit: 1000 });
          for (const message of page) seen.push(Number(message.messageId));
          cursor = page.at(-1)?.messageId ?? cursor;
        };
        const following = (async () => {
          while (writing) await follow();
          await follow();
        })();

        const acked: number[] = [];
        await Promise.all(
          Array.from({ length: 300 }, async (_, i) => {
            const writer = writers[i % 2]!;
            const { message } = await writer.messages.insert(listenerMessage(session, `pesan ${i}`, `c${i}`));
            acked.push(Number(message.messageId));
          }),
        );
        writing = false;
        await following;

        const stored = ids(await reader.messages.listAfter(session.id, { limit: 1000 }));
        assert.equal(stored.length, 300);
        assertStrictlyAscending(stored);
        assert.deepEqual(
          [...acked].sort((a, b) => a - b),
          stored,
        );
        assertStrictlyAscending(seen);
        assert.deepEqual(seen, stored, 'the following reader saw every message, none skipped');
      });

      test('postgres: an insert draws its id only once it holds the session lock', async (t) => {
        const defer = deferrer(t);
        const { database: fresh, store: own } = await freshStore(defer);
        const session = await newSession(own);
        const holder = new pg.Client({ connectionString: fresh.url });
        const observer = new pg.Client({ connectionString: fresh.url });
        await holder.connect();
        await observer.connect();
        defer(async () => {
          await holder.end();
          await observer.end();
        });

        // Another instance is in the middle of storing into this session.
        await holder.query('begin');
        await holder.query('select id from sessions where id = $1 for update', [session.id]);
        let settled = false;
        const pending = own.messages.insert(listenerMessage(session, 'menunggu')).finally(() => (settled = true));
        await waitFor(
          async () => {
            const { rows } = await observer.query(
              `select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`,
            );
            return rows[0].n >= 1;
          },
          { message: 'the insert to wait for the session lock' },
        );
        const { rows } = await holder.query(
          `insert into messages (session_id, direction, sender_key, sender_name, text, created_at)
           values ($1, 'broadcaster', 'admin:other', 'Instance lain', 'duluan', $2) returning id`,
          [session.id, Date.now()],
        );
        const committedFirst = Number(rows[0].id);
        assert.equal(settled, false, 'the insert must wait while the session is locked');
        await holder.query('commit');

        const { message } = await pending;
        assert.ok(Number(message.messageId) > committedFirst, `${message.messageId} must come after ${committedFirst}`);
        assert.deepEqual(ids(await own.messages.listAfter(session.id, { limit: 10 })), [
          committedFirst,
          Number(message.messageId),
        ]);
      });

      test('postgres: a connection killed mid-insert rejects the insert, and the store recovers', async (t) => {
        const defer = deferrer(t);
        const { database: fresh, store: own } = await freshStore(defer);
        const session = await newSession(own);
        const holder = new pg.Client({ connectionString: fresh.url });
        const observer = new pg.Client({ connectionString: fresh.url });
        await holder.connect();
        await observer.connect();
        defer(async () => {
          await holder.end();
          await observer.end();
        });
        await holder.query('begin');
        await holder.query('select id from sessions where id = $1 for update', [session.id]);

        const pending = own.messages.insert(listenerMessage(session, 'terputus', 'cut'));
        let waiting: number[] = [];
        await waitFor(
          async () => {
            const { rows } = await observer.query(
              `select pid from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`,
            );
            waiting = rows.map((row: { pid: number }) => row.pid);
            return waiting.length > 0;
          },
          { message: 'the insert to wait for the session lock' },
        );
        assert.equal(waiting.length, 1);
        await observer.query('select pg_terminate_backend($1)', [waiting[0]]);
        await assert.rejects(pending);
        await holder.query('rollback');

        // The broken connection left the pool; the next calls get a new one.
        await own.ping();
        assert.deepEqual(await own.messages.listAfter(session.id, { limit: 10 }), []);
        assert.equal((await own.sessions.get(session.id))!.lastMessageAt, null);
        const retry = await own.messages.insert(listenerMessage(session, 'terputus', 'cut'));
        assert.equal(retry.duplicate, false);
      });

      test('postgres: an unreachable server makes calls reject, not hang', async (t) => {
        const defer = deferrer(t);
        const url = new URL(database.url);
        url.port = '1'; // nothing listens there
        const unreachable = await openStore({ database: { kind: 'postgres', url: url.toString() } });
        defer(() => unreachable.close());
        const session = { id: randomUUID(), name: 'Rina' } as SessionRecord;
        await assert.rejects(unreachable.ping());
        await assert.rejects(unreachable.messages.insert(listenerMessage(session, 'halo')));
        await assert.rejects(unreachable.migrate());
      });

      test('postgres: an idle connection dying is reported, not fatal', async (t) => {
        const defer = deferrer(t);
        const errors: Error[] = [];
        const { database: fresh, store: own } = await freshStore(defer, {
          onConnectionError: (error) => errors.push(error),
        });
        await own.ping();
        const admin = new pg.Client({ connectionString: fresh.url });
        await admin.connect();
        defer(() => admin.end());
        await admin.query(
          'select pg_terminate_backend(pid) from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()',
        );
        await waitFor(() => errors.length > 0, { message: 'the pool to report the lost connection' });
        await own.ping();
      });
    }
  });
}

/** Every migration this version ships, in order. */
async function migrationNames(dialect: 'sqlite' | 'postgres'): Promise<string[]> {
  return Object.keys(await migrationProvider(dialect).getMigrations()).sort();
}
