/**
 * Diagnostic (opt-in target `*-loopmon`), preloaded into a server process:
 * every 250 ms, writes one line to standard error when the event loop was
 * blocked longer than 20 ms in that window (time since start and the longest
 * block). With `--keep`, the server log then shows when and how often the
 * process stalls (a periodic stall points at timers such as the heartbeat).
 * Plain JavaScript, like every preload of the compiled live-chat server; in
 * the worker threads that preload it too, it does nothing.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { isMainThread } from 'node:worker_threads';

if (isMainThread) {
  const histogram = monitorEventLoopDelay({ resolution: 5 });
  histogram.enable();
  const started = performance.now();
  const timer = setInterval(() => {
    const maxMs = histogram.max / 1e6;
    if (maxMs > 20) {
      const at = ((performance.now() - started) / 1000).toFixed(2);
      process.stderr.write(`loop-monitor: t=${at}s blocked ${maxMs.toFixed(1)} ms\n`);
    }
    histogram.reset();
  }, 250);
  timer.unref();
}
