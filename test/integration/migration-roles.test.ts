/**
 * Migration 0004 on a database that already has broadcaster accounts: they
 * become managers (nobody is locked out of account management by the upgrade);
 * accounts made after it are `penyiar` by default.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { Kysely, Migrator, SqliteDialect, type Migration } from 'kysely';
import { openStore } from '../../src/db/index.js';
import { migrationProvider } from '../../src/db/migrations/index.js';

test('accounts that exist before migration 0004 become managers; later ones are penyiar', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'livechat-migrate-'));
  const path = join(dir, 'livechat.sqlite');
  try {
    const all = await migrationProvider('sqlite').getMigrations();
    const before: Record<string, Migration> = Object.fromEntries(Object.entries(all).filter(([name]) => name < '0003'));
    const old = new Kysely<any>({ dialect: new SqliteDialect({ database: new Database(path) }) });
    const migrated = await new Migrator({ db: old, provider: { getMigrations: async () => before } }).migrateToLatest();
    assert.equal(migrated.error, undefined);
    await old
      .insertInto('admins')
      .values({ username: 'lama', display_name: 'Penyiar Lama', password_hash: 'x', created_at: 1, updated_at: 1 })
      .execute();
    await old.destroy();

    const store = await openStore({ database: { kind: 'sqlite', path } });
    try {
      await store.migrate();
      const existing = await store.admins.findByUsername('lama');
      assert.deepEqual([existing?.role, existing?.disabled, existing?.tokenVersion], ['manager', false, 0]);
      const fresh = await store.admins.upsert({ username: 'baru', displayName: 'Penyiar Baru', passwordHash: 'y' });
      assert.equal(fresh.role, 'penyiar');
    } finally {
      await store.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
