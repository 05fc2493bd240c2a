/**
 * The in-page half of the dashboard scenario, installed before the
 * dashboard's own scripts (`page.addInitScript`). It relies only on what a
 * broadcaster sees: `.session` rows named "Pendengar <i>", and message texts
 * in `.conversation-pane`, never on the dashboard's internals.
 *
 * - long tasks: a buffered `longtask` PerformanceObserver keeps every entry;
 * - conversation open: `arm()` waits for the next trusted click on a
 *   `.session` row; from that click's `event.timeStamp` (the input's time, so
 *   a busy main thread that handles the click late is counted) until the
 *   animation frame after the clicked listener's first message
 *   (`m<seedPhase>-<i> …`) is in the conversation pane.
 */

export interface LongTaskEntry {
  start: number;
  duration: number;
}

export interface OpenResult {
  name: string;
  ms: number;
}

export interface BenchProbe {
  longTasks: LongTaskEntry[];
  /** Names of the `.session` rows in the document that are not the open conversation. */
  candidates(): string[];
  /** Starts watching for the next click on a row; `opened` settles when its conversation is shown. */
  arm(seedPhase: number): void;
  opened: Promise<OpenResult> | undefined;
  /** Distinct messages of a phase shown as a row's last-message preview right now. */
  previewsOf(phase: number): number;
}

declare global {
  interface Window {
    benchProbe: BenchProbe;
  }
}

/** Runs in the page: must not close over anything of this module. */
export function installProbe(): void {
  const longTasks: LongTaskEntry[] = [];
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) longTasks.push({ start: entry.startTime, duration: entry.duration });
  }).observe({ type: 'longtask', buffered: true });

  let armed: ((event: MouseEvent) => void) | undefined;
  const probe: BenchProbe = {
    longTasks,
    opened: undefined,
    candidates() {
      return [...document.querySelectorAll('.session')]
        .filter((row) => row.getAttribute('aria-current') !== 'true')
        .map((row) => row.querySelector('.session__name')?.textContent ?? '')
        .filter((name) => /^Pendengar \d+$/.test(name));
    },
    arm(seedPhase) {
      probe.opened = new Promise<OpenResult>((resolve) => {
        armed = (event) => {
          const row = (event.target as Element | null)?.closest('.session');
          const name = row?.querySelector('.session__name')?.textContent ?? '';
          const index = /^Pendengar (\d+)$/.exec(name)?.[1];
          if (index === undefined) return;
          armed = undefined;
          const start = event.timeStamp;
          const prefix = `m${seedPhase}-${index} `;
          const shown = () =>
            [...document.querySelectorAll('.conversation-pane .msg__text')].some((n) =>
              (n.textContent ?? '').startsWith(prefix),
            );
          const observer = new MutationObserver(() => check());
          const check = () => {
            if (!shown()) return;
            observer.disconnect();
            requestAnimationFrame(() => resolve({ name, ms: performance.now() - start }));
          };
          observer.observe(document.body, { childList: true, subtree: true, characterData: true });
          setTimeout(check, 0);
        };
      });
    },
    previewsOf(phase) {
      const seen = new Set<string>();
      for (const node of document.querySelectorAll('.session__last')) {
        const match = new RegExp(`^m${phase}-(\\d+) `).exec(node.textContent ?? '');
        if (match) seen.add(match[1]!);
      }
      return seen.size;
    },
  };
  // Capture phase: runs before the dashboard's own handlers.
  document.addEventListener('click', (event) => armed?.(event), { capture: true });
  window.benchProbe = probe;
}
