/** The dashboard's render loop: a burst of changes is one render of each dirty region, and renders are spaced. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createRenderLoop, type Region, type Scheduling } from '../../web/src/dashboard/render-loop.js';

/** Frames and timers run by hand; the clock moves only when told. */
function fakeScheduling(minGapMs = 100) {
  const frames: (() => void)[] = [];
  const timers = new Map<number, { run: () => void; at: number }>();
  let clock = 0;
  let ids = 0;
  const scheduling: Scheduling = {
    frame: (run) => frames.push(run),
    delay: (run, ms) => {
      timers.set(++ids, { run, at: clock + ms });
      return ids as unknown as ReturnType<typeof setTimeout>;
    },
    cancel: (timer) => timers.delete(timer as unknown as number),
    now: () => clock,
    minGapMs,
  };
  return {
    scheduling,
    frames,
    timers,
    runFrames: () => frames.splice(0).forEach((run) => run()),
    advance(ms: number) {
      clock += ms;
      for (const [id, timer] of [...timers]) {
        if (timer.at > clock) continue;
        timers.delete(id);
        timer.run();
      }
    },
  };
}

function loopWithLog(fake: ReturnType<typeof fakeScheduling>) {
  const renders: Region[][] = [];
  const loop = createRenderLoop((dirty) => renders.push([...dirty].sort()), fake.scheduling);
  return { loop, renders };
}

test('a hundred changes before a frame cost one frame and one render', () => {
  const fake = fakeScheduling();
  const { loop, renders } = loopWithLog(fake);
  for (let i = 0; i < 100; i++) loop.invalidate('list', i % 2 ? 'title' : 'list');
  assert.equal(fake.frames.length, 1);
  assert.equal(renders.length, 0, 'nothing renders before the frame');
  fake.runFrames();
  assert.deepEqual(renders, [['list', 'title']]);
});

test('changes from the network render at most once per gap', () => {
  const fake = fakeScheduling(100);
  const { loop, renders } = loopWithLog(fake);
  loop.invalidate('list');
  fake.runFrames();
  fake.advance(10);
  loop.invalidate('list');
  loop.invalidate('title');
  assert.equal(fake.frames.length, 0, 'too soon after the last render: waits');
  fake.advance(50);
  assert.equal(fake.frames.length, 0);
  fake.advance(40);
  assert.equal(fake.frames.length, 1, 'a frame once the gap is over');
  fake.runFrames();
  assert.deepEqual(renders, [['list'], ['list', 'title']]);
});

test("the user's changes render at the next frame, taking the network's along", () => {
  const fake = fakeScheduling(100);
  const { loop, renders } = loopWithLog(fake);
  loop.invalidate('list');
  fake.runFrames();
  loop.invalidate('title');
  loop.renderNext('conversation');
  assert.equal(fake.timers.size, 0, 'the waiting timer is dropped');
  fake.runFrames();
  assert.deepEqual(renders, [['list'], ['conversation', 'title']]);
});

test('a flush renders at once, and the frame asked for before has nothing left', () => {
  const fake = fakeScheduling();
  const { loop, renders } = loopWithLog(fake);
  loop.invalidate('status');
  loop.flush();
  assert.deepEqual(renders, [['status']]);
  fake.runFrames();
  assert.equal(renders.length, 1);
});
