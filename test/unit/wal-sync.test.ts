/**
 * WalSync: every commit is answered after a sync that started after it; the
 * commits made while a sync runs share the next one; a failed sync is
 * reported to the commits it covered.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test, type TestContext } from 'node:test';
import { WalSync } from '../../src/db/sqlite/wal-sync.js';

/** A WAL path in a folder removed after the test, and a WalSync on it closed after the test. */
function walSyncIn(t: TestContext): { wal: string; sync: WalSync } {
  const dir = mkdtempSync(join(tmpdir(), 'wal-sync-'));
  const wal = join(dir, 'db-wal');
  const sync = new WalSync(wal);
  t.after(() => {
    sync.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { wal, sync };
}

/** What one commit is answered with. */
const commitOnce = (sync: WalSync): Promise<Error | undefined> => new Promise((resolve) => sync.afterCommit(resolve));

describe('WalSync', () => {
  test('commits during a sync wait for the next one, which covers them all, in order', async (t) => {
    const { wal, sync } = walSyncIn(t);
    writeFileSync(wal, 'frames');
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
    const { wal, sync } = walSyncIn(t);
    writeFileSync(wal, 'frames');
    assert.equal(await commitOnce(sync), undefined);
    // Gone from the folder, still open here: the next sync needs no open.
    unlinkSync(wal);
    assert.equal(await commitOnce(sync), undefined);
  });

  test('a sync that fails is reported to the commits it covered; the next one is tried again', async (t) => {
    const { wal, sync } = walSyncIn(t);
    const failed = await commitOnce(sync);
    assert.equal((failed as NodeJS.ErrnoException | undefined)?.code, 'ENOENT');
    writeFileSync(wal, 'frames');
    assert.equal(await commitOnce(sync), undefined);
  });
});
