import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { GroupCommit, type BatchResult, type WriteOutcome } from '../../src/db/group-commit.js';
import { deferred, type Deferred } from '../helpers/wait.js';

/** A batch writer that records its batches and can be held open. */
function recordingWriter(hold?: Promise<void>) {
  const batches: string[][] = [];
  const write = async (inputs: readonly string[]): Promise<BatchResult<string>> => {
    batches.push([...inputs]);
    if (hold) await hold;
    const outcomes = inputs.map((input): WriteOutcome<string> =>
      input.startsWith('bad')
        ? { ok: false, error: new Error(`refused ${input}`) }
        : { ok: true, value: `id-${input}` },
    );
    return { outcomes };
  };
  return { batches, write };
}

describe('group commit', () => {
  test('writes submitted in one turn are committed in one batch, in order', async () => {
    const { batches, write } = recordingWriter();
    const group = new GroupCommit(write);
    const results = await Promise.all(['a', 'b', 'c'].map((input) => group.submit(input)));
    assert.deepEqual(results, ['id-a', 'id-b', 'id-c']);
    assert.deepEqual(batches, [['a', 'b', 'c']]);
  });

  test('writes submitted while a batch is being written wait for the next batch', async () => {
    const gate = deferred();
    const { batches, write } = recordingWriter(gate.promise);
    const group = new GroupCommit(write);
    const first = group.submit('a');
    await nextTurn();
    assert.deepEqual(batches, [['a']]);
    const later = [group.submit('b'), group.submit('c')];
    await nextTurn();
    assert.deepEqual(batches, [['a']], 'no second transaction while the first runs');
    gate.resolve();
    assert.deepEqual(await Promise.all([first, ...later]), ['id-a', 'id-b', 'id-c']);
    assert.deepEqual(batches, [['a'], ['b', 'c']]);
  });

  test('with maxInFlight 2: a second batch goes while the first is out, a third waits; they settle in send order', async () => {
    const gates = new Map<string, Deferred<void>>();
    const batches: string[][] = [];
    const group = new GroupCommit<string, string>(
      async (inputs) => {
        batches.push([...inputs]);
        const gate = deferred();
        gates.set(inputs[0]!, gate);
        await gate.promise;
        return { outcomes: inputs.map((input) => ({ ok: true, value: `id-${input}` })) };
      },
      { maxInFlight: 2 },
    );
    const settled: string[] = [];
    const acked: string[] = [];
    const submit = (input: string) =>
      group.submit(input, async () => void acked.push(input)).then(() => void settled.push(input));
    const all = [submit('a')];
    await nextTurn();
    all.push(submit('b'));
    await nextTurn();
    all.push(submit('c'), submit('d'));
    await nextTurn();
    assert.deepEqual(batches, [['a'], ['b']], 'two batches out, the third held back');
    gates.get('b')!.resolve(); // answered before the first
    await nextTurn();
    await nextTurn();
    assert.deepEqual(batches, [['a'], ['b'], ['c', 'd']], 'a slot is free again');
    assert.deepEqual(acked, [], "b's afterCommit waits for a's");
    gates.get('a')!.resolve();
    gates.get('c')!.resolve();
    await Promise.all(all);
    assert.deepEqual(acked, ['a', 'b', 'c', 'd']);
    assert.deepEqual(settled, ['a', 'b', 'c', 'd']);
  });

  test('with gatherMs: a write finding a batch out waits that long for company; with none out, it goes at once', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const gates: Array<() => void> = [];
    const batches: string[][] = [];
    const group = new GroupCommit<string, string>(
      async (inputs) => {
        batches.push([...inputs]);
        await new Promise<void>((resolve) => gates.push(resolve));
        return { outcomes: inputs.map((input) => ({ ok: true, value: `id-${input}` })) };
      },
      { maxInFlight: 2, gatherMs: 5 },
    );
    const a = group.submit('a');
    await nextTurn();
    assert.deepEqual(batches, [['a']], 'nothing was out: sent at the end of its turn');
    const b = group.submit('b');
    await nextTurn();
    const c = group.submit('c');
    await nextTurn();
    assert.deepEqual(batches, [['a']], 'a batch is out: b waits, and c joins it');
    t.mock.timers.tick(4);
    await nextTurn();
    assert.deepEqual(batches, [['a']], 'still within the window');
    t.mock.timers.tick(1);
    await nextTurn();
    assert.deepEqual(batches, [['a'], ['b', 'c']]);
    for (const open of gates) open();
    assert.deepEqual(await Promise.all([a, b, c]), ['id-a', 'id-b', 'id-c']);
    const d = group.submit('d');
    await nextTurn();
    assert.deepEqual(batches, [['a'], ['b', 'c'], ['d']], 'the writer is idle again: no wait');
    gates.at(-1)!();
    assert.equal(await d, 'id-d');
  });

  test('a batch holds at most maxBatch writes; the rest follow', async () => {
    const { batches, write } = recordingWriter();
    const group = new GroupCommit(write, { maxBatch: 2 });
    await Promise.all(['a', 'b', 'c', 'd', 'e'].map((input) => group.submit(input)));
    assert.deepEqual(batches, [['a', 'b'], ['c', 'd'], ['e']]);
  });

  test('a write refused on its own rejects alone; the others resolve', async () => {
    const { write } = recordingWriter();
    const group = new GroupCommit(write);
    const results = await Promise.allSettled([group.submit('a'), group.submit('bad-1'), group.submit('c')]);
    assert.deepEqual(
      results.map((result) => result.status),
      ['fulfilled', 'rejected', 'fulfilled'],
    );
    assert.match(String((results[1] as PromiseRejectedResult).reason), /refused bad-1/);
  });

  test('a failed transaction rejects every write of its batch, and the next batch still runs', async () => {
    let calls = 0;
    const group = new GroupCommit<string, string>(async (inputs) => {
      calls++;
      if (calls === 1) throw new Error('disk I/O error');
      return { outcomes: inputs.map((input) => ({ ok: true, value: input })) };
    });
    const failed = await Promise.allSettled([group.submit('a'), group.submit('b')]);
    assert.deepEqual(
      failed.map((result) => result.status),
      ['rejected', 'rejected'],
    );
    assert.equal(await group.submit('c'), 'c');
  });

  test('a writer answering the wrong number of outcomes fails the batch instead of misattributing', async () => {
    let released = 0;
    const group = new GroupCommit<string, string>(async () => ({
      outcomes: [{ ok: true, value: 'only one' }],
      release: async () => void released++,
    }));
    const results = await Promise.allSettled([group.submit('a'), group.submit('b')]);
    for (const result of results) {
      assert.equal(result.status, 'rejected');
      assert.match(String((result as PromiseRejectedResult).reason), /1 outcomes for 2 writes/);
    }
    assert.equal(released, 1, 'what the batch held is released');
  });

  test('release runs once per batch, after every afterCommit of the batch', async () => {
    const events: string[] = [];
    const group = new GroupCommit<string, string>(async (inputs) => ({
      outcomes: inputs.map((input) => ({ ok: true, value: input })),
      release: async () => void events.push(`release ${inputs.join('+')}`),
    }));
    const after = (name: string) => async () => void events.push(`after ${name}`);
    await Promise.all([group.submit('a', after('a')), group.submit('b', after('b'))]);
    await group.submit('c', after('c'));
    await nextTurn();
    assert.deepEqual(events, ['after a', 'after b', 'release a+b', 'after c', 'release c']);
  });

  test('afterCommit runs in submission order across batches, one at a time, before the write resolves', async () => {
    const { write } = recordingWriter();
    const group = new GroupCommit(write);
    const events: string[] = [];
    const slow = deferred();
    const after = (name: string, wait?: Promise<void>) => async (value: string) => {
      events.push(`start ${name} ${value}`);
      if (wait) await wait;
      events.push(`end ${name}`);
    };
    const a = group.submit('a', after('a', slow.promise)).then(() => events.push('resolved a'));
    const b = group.submit('b', after('b')).then(() => events.push('resolved b'));
    await nextTurn();
    await nextTurn();
    // The next batch is committed meanwhile, but its afterCommit waits for the first batch's.
    const c = group.submit('c', after('c')).then(() => events.push('resolved c'));
    await nextTurn();
    await nextTurn();
    assert.deepEqual(events, ['start a id-a']);
    slow.resolve();
    await Promise.all([a, b, c]);
    assert.deepEqual(
      events.filter((event) => !event.startsWith('resolved')),
      ['start a id-a', 'end a', 'start b id-b', 'end b', 'start c id-c', 'end c'],
    );
    for (const name of ['a', 'b', 'c']) {
      assert.ok(
        events.indexOf(`end ${name}`) < events.indexOf(`resolved ${name}`),
        `${name} resolved after its afterCommit`,
      );
    }
  });

  test('with orderKey: other keys start at once, in submission order; a shared key waits; the next batch waits for all', async () => {
    const { write } = recordingWriter();
    // Key: the input's first letter.
    const group = new GroupCommit(write, { orderKey: (input: string) => input[0] });
    const events: string[] = [];
    const slow = deferred();
    const after = (name: string, wait?: Promise<void>) => async () => {
      events.push(`start ${name}`);
      if (wait) await wait;
      events.push(`end ${name}`);
    };
    const first = ['a1', 'b1', 'a2', 'c1'].map((name) =>
      group.submit(name, after(name, name === 'a1' ? slow.promise : undefined)),
    );
    await nextTurn();
    await nextTurn();
    const next = group.submit('d1', after('d1'));
    await nextTurn();
    await nextTurn();
    // a2 waits for a1; b1 and c1 do not; d1 (next batch) waits for the whole first batch.
    assert.deepEqual(events, ['start a1', 'start b1', 'end b1', 'start c1', 'end c1']);
    slow.resolve();
    await Promise.all([...first, next]);
    assert.deepEqual(events.slice(5), ['end a1', 'start a2', 'end a2', 'start d1', 'end d1']);
  });

  test('a failing afterCommit rejects its own write only', async () => {
    const { write } = recordingWriter();
    const group = new GroupCommit(write);
    const results = await Promise.allSettled([
      group.submit('a', async () => {
        throw new Error('publish failed');
      }),
      group.submit('b', async () => undefined),
    ]);
    assert.equal(results[0]!.status, 'rejected');
    assert.deepEqual(results[1], { status: 'fulfilled', value: 'id-b' });
  });
});
