/**
 * One scheduled render: changes mark regions dirty, and an animation frame
 * renders each dirty region once, so a burst of a hundred events costs one
 * render. What arrives from the network renders at most every `minGapMs`
 * (a list reshuffling sixty times a second is unreadable and keeps the main
 * thread busy painting); what the user does (`renderNext`) renders at the
 * very next frame. Hidden tabs get no animation frames: there a short timer
 * stands in (the title's unread count must still move).
 */
export type Region = 'header' | 'status' | 'list' | 'conversation' | 'title';

export interface Scheduling {
  /** Runs `run` at the next animation frame. */
  frame(run: () => void): void;
  /** Runs `run` after `ms` (a timer). */
  delay(run: () => void, ms: number): ReturnType<typeof setTimeout>;
  cancel(timer: ReturnType<typeof setTimeout>): void;
  now(): number;
  /** The least time between two renders caused by `invalidate`. */
  minGapMs: number;
}

export interface RenderLoop {
  /** Marks regions dirty (a change from the network): rendered soon, at most every `minGapMs`. */
  invalidate(...regions: Region[]): void;
  /** Marks regions dirty for the user's sake: rendered at the next frame. */
  renderNext(...regions: Region[]): void;
  /** Renders the dirty regions now (no-op when none). */
  flush(): void;
}

export const browserScheduling: Scheduling = {
  frame(run) {
    if (document.visibilityState === 'hidden') setTimeout(run, 100);
    else requestAnimationFrame(run);
  },
  delay: (run, ms) => setTimeout(run, ms),
  cancel: (timer) => clearTimeout(timer),
  now: () => performance.now(),
  minGapMs: 100,
};

export function createRenderLoop(
  render: (dirty: ReadonlySet<Region>) => void,
  scheduling: Scheduling = browserScheduling,
): RenderLoop {
  let dirty = new Set<Region>();
  let frameAsked = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let lastRender = -Infinity;
  const flush = () => {
    frameAsked = false;
    if (timer !== undefined) scheduling.cancel(timer);
    timer = undefined;
    if (dirty.size === 0) return;
    const now = dirty;
    dirty = new Set();
    lastRender = scheduling.now();
    render(now);
  };
  const askFrame = () => {
    if (frameAsked) return;
    frameAsked = true;
    scheduling.frame(() => frameAsked && flush());
  };
  return {
    invalidate(...regions) {
      for (const region of regions) dirty.add(region);
      if (frameAsked || timer !== undefined || dirty.size === 0) return;
      const wait = lastRender + scheduling.minGapMs - scheduling.now();
      if (wait <= 0) askFrame();
      else
        timer = scheduling.delay(() => {
          timer = undefined;
          askFrame();
        }, wait);
    },
    renderNext(...regions) {
      for (const region of regions) dirty.add(region);
      if (timer !== undefined) scheduling.cancel(timer);
      timer = undefined;
      askFrame();
    },
    flush,
  };
}
