/**
 * WalSync: every commit is answered after a sync that started after it; the
 * commits made while a sync runs share the next one; a failed sync is
 * reported to the commits it covered.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { WalSync } from '../../src/db/sqlite/wal-sync.js';

describe('WalSync', () => {
  test('commits during a sync wait for the next one, which covers them all, in order', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'wal-sync-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const wal = join(dir, 'db-wal');
    writeFileSync(wal, 'frames');
    const sync = new WalSync(wal);
    const answered: Array<[string, Error | undefined]> = [];
    const commit = (name: string) =>
      new Promise<void>((resolve) =>
        sync.afterCommit((error) => {
          answered.push([name, error]);
          resolve();
        }),
      );
    const first = commit('a'); // starts a sync
    const rest = [commit('b'), commit('c')]; // wait for the next
    await first;
    assert.deepEqual(answered, [['a', undefined]], 'b and c were committed after the first sync started');
    await Promise.all(rest);
    assert.deepEqual(
      answered.map(([name]) => name),
      ['a', 'b', 'c'],
    );
    assert.ok(answered.every(([, error]) => error === undefined));
  });

  test('the WAL file stays open between syncs (opened once, not once per sync)', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'wal-sync-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const wal = join(dir, 'db-wal');
    writeFileSync(wal, 'frames');
    const sync = new WalSync(wal);
    t.after(() => sync.close());
    assert.equal(await new Promise<Error | undefined>((resolve) => sync.afterCommit(resolve)), undefined);
    // Gone from the folder, still open here: the next sync needs no open.
    unlinkSync(wal);
    assert.equal(await new Promise<Error | undefined>((resolve) => sync.afterCommit(resolve)), undefined);
  });

  test('a sync that fails is reported to the commits it covered; the next one is tried again', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'wal-sync-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const wal = join(dir, 'db-wal');
    const sync = new WalSync(wal);
    const failed = await new Promise<Error | undefined>((resolve) => sync.afterCommit(resolve));
    assert.equal((failed as NodeJS.ErrnoException | undefined)?.code, 'ENOENT');
    writeFileSync(wal, 'frames');
    assert.equal(await new Promise<Error | undefined>((resolve) => sync.afterCommit(resolve)), undefined);
  });
});
