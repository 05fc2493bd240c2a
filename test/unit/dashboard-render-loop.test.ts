/** The dashboard's render loop: a burst of changes is one render of each dirty region. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createRenderLoop, type Region } from '../../web/src/dashboard/render-loop.js';

function fakeFrames() {
  const queued: (() => void)[] = [];
  return {
    frame: (run: () => void) => queued.push(run),
    queued,
    runAll: () => queued.splice(0).forEach((run) => run()),
  };
}

test('a hundred changes before a frame cost one frame and one render', () => {
  const frames = fakeFrames();
  const renders: Region[][] = [];
  const loop = createRenderLoop((dirty) => renders.push([...dirty].sort()), frames.frame);
  for (let i = 0; i < 100; i++) loop.invalidate('list', i % 2 ? 'title' : 'list');
  assert.equal(frames.queued.length, 1);
  assert.equal(renders.length, 0, 'nothing renders before the frame');
  frames.runAll();
  assert.deepEqual(renders, [['list', 'title']]);
});

test('changes made after a frame are rendered by the next one; a flush renders at once', () => {
  const frames = fakeFrames();
  const renders: Region[][] = [];
  const loop = createRenderLoop((dirty) => renders.push([...dirty]), frames.frame);
  loop.invalidate('status');
  frames.runAll();
  loop.invalidate('conversation');
  assert.equal(frames.queued.length, 1);
  loop.flush();
  assert.deepEqual(renders, [['status'], ['conversation']]);
  frames.runAll();
  assert.equal(renders.length, 2, 'the frame after a flush has nothing left to render');
});
