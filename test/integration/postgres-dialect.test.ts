/**
 * The PostgreSQL pool's own behaviour, against a real server: statements
 * named with `nameStatement` run as prepared statements, others do not.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Kysely, sql } from 'kysely';
import { createPostgresDialect, nameStatement } from '../../src/db/postgres/dialect.js';
import { createTestDatabase, type TestDatabase } from '../helpers/databases.js';

describe('postgres dialect', () => {
  let database: TestDatabase;
  let db: Kysely<Record<string, never>>;

  before(async () => {
    database = await createTestDatabase('postgres');
    // One connection: every query below runs on it, so it sees that connection's prepared statements.
    db = new Kysely({ dialect: createPostgresDialect({ url: database.url, poolSize: 1 }) });
  });
  after(async () => {
    await db?.destroy();
    await database?.drop();
  });

  const prepared = async (): Promise<string[]> =>
    (await sql<{ name: string }>`select name from pg_prepared_statements order by name`.execute(db)).rows.map(
      (row) => row.name,
    );

  test('a named statement is prepared once per connection and answers with each call’s parameters', async () => {
    const query = (n: number) => sql<{ doubled: number }>`select ${n}::int * 2 as doubled`.compile(db);
    nameStatement('livechat_test_doubled', query(0).sql);
    assert.deepEqual((await db.executeQuery(query(2))).rows, [{ doubled: 4 }]);
    assert.deepEqual((await db.executeQuery(query(5))).rows, [{ doubled: 10 }]);
    assert.deepEqual(await prepared(), ['livechat_test_doubled']);
  });

  test('other statements stay unnamed; one text cannot take a second name', async () => {
    const other = sql<{ tripled: number }>`select ${3}::int * 3 as tripled`.compile(db);
    assert.deepEqual((await db.executeQuery(other)).rows, [{ tripled: 9 }]);
    assert.deepEqual(await prepared(), ['livechat_test_doubled']);
    const named = sql`select ${1}::int * 2 as doubled`.compile(db);
    assert.throws(() => nameStatement('livechat_test_again', named.sql), /already named "livechat_test_doubled"/);
  });
});
