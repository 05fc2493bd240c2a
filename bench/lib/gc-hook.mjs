/**
 * Preloaded into every measured server process (started with --expose-gc):
 * SIGUSR2 runs a full garbage collection, so that the resident set sampled
 * right after it is not inflated by garbage that simply has not been
 * collected yet. Nothing else changes in the process. Plain JavaScript: the
 * live-chat servers run compiled, without a TypeScript loader. Worker threads
 * preload it too; signals never reach them, so there it does nothing.
 */
process.on('SIGUSR2', () => {
  globalThis.gc?.();
});
