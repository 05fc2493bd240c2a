/**
 * Preloaded into every measured server process (started with --expose-gc):
 * SIGUSR2 runs a full garbage collection, so that the resident set sampled
 * right after it is not inflated by garbage that simply has not been
 * collected yet. Nothing else changes in the process.
 */
process.on('SIGUSR2', () => {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
});
