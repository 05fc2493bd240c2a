/**
 * One scheduled render: changes mark regions dirty, and the next animation
 * frame renders each dirty region once, so a burst of a hundred events costs
 * one render. Hidden tabs get no animation frames: there a short timer stands
 * in (the title's unread count must still move).
 */
export type Region = 'header' | 'status' | 'list' | 'conversation' | 'title';

export type Frame = (run: () => void) => void;

export interface RenderLoop {
  /** Marks regions dirty and makes sure a render is scheduled. */
  invalidate(...regions: Region[]): void;
  /** Renders the dirty regions now (no-op when none). */
  flush(): void;
}

export function browserFrame(run: () => void): void {
  if (document.visibilityState === 'hidden') setTimeout(run, 100);
  else requestAnimationFrame(run);
}

export function createRenderLoop(
  render: (dirty: ReadonlySet<Region>) => void,
  frame: Frame = browserFrame,
): RenderLoop {
  let dirty = new Set<Region>();
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    if (dirty.size === 0) return;
    const now = dirty;
    dirty = new Set();
    render(now);
  };
  return {
    invalidate(...regions) {
      for (const region of regions) dirty.add(region);
      if (scheduled || dirty.size === 0) return;
      scheduled = true;
      frame(flush);
    },
    flush,
  };
}
