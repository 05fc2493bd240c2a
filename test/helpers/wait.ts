/**
 * Waiting in tests: one `waitFor` (poll a condition until it holds or a bound
 * passes, then fail naming what was awaited), `sleep`, and `deferred` (a
 * promise settled from outside).
 */

export interface WaitOptions {
  /** What is awaited, as the failure names it: "… waiting for <message>". */
  message: string;
  /** Give up after this long; 10 s unless told. */
  timeoutMs?: number;
  /** Pause between checks; 10 ms unless told. */
  intervalMs?: number;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The error `waitFor` throws, also for waits it does not run itself (e.g. a browser's). */
export function timeoutError(timeoutMs: number, message: string, cause?: unknown): Error {
  return new Error(`timed out after ${timeoutMs} ms waiting for ${message}`, cause === undefined ? {} : { cause });
}

/** Checks `predicate` at once and then every `intervalMs` until it is true; throws after `timeoutMs`. */
export async function waitFor(
  predicate: () => boolean | Promise<boolean>,
  { message, timeoutMs = 10_000, intervalMs = 10 }: WaitOptions,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw timeoutError(timeoutMs, message);
    await sleep(intervalMs);
  }
}

export interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(error: Error): void;
}

/** A promise with its settle functions outside (Node 20 has no `Promise.withResolvers`). */
export function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}
