/**
 * Throttled "is typing" signalling.
 *
 * Call `input()` on every keystroke. The helper sends `true` at once, then at
 * most once per `throttleMs` while typing goes on (a refresh, so a receiver
 * that missed the first one catches up), and `false` after `idleMs` without a
 * keystroke. `stop()` sends `false` straight away (call it when the message is
 * sent or the field is cleared).
 */
import { systemTimers, type Timers } from './environment.js';

export interface TypingOptions {
  /** Minimum time between two `true` signals. Default 2 000 ms. */
  throttleMs?: number;
  /** Quiet time after which `false` is sent. Default 4 000 ms. */
  idleMs?: number;
  timers?: Timers;
}

export interface TypingIndicator {
  /** A keystroke happened. */
  input(): void;
  /** Typing is over (message sent, field cleared, focus lost). */
  stop(): void;
  /** Stops timers without sending anything. */
  dispose(): void;
  readonly isTyping: boolean;
}

/**
 * `signal` sends the state; when it returns `false` (not connected) a `true`
 * is not counted as sent, so the next keystroke tries again.
 */
export function createTypingIndicator(
  signal: (isTyping: boolean) => boolean | void,
  options: TypingOptions = {},
): TypingIndicator {
  const timers = options.timers ?? systemTimers;
  const throttleMs = options.throttleMs ?? 2_000;
  const idleMs = options.idleMs ?? 4_000;
  let typing = false;
  let lastSent = -Infinity;
  let idleTimer: unknown;

  const clearIdle = () => {
    if (idleTimer !== undefined) timers.clearTimeout(idleTimer);
    idleTimer = undefined;
  };
  const stop = () => {
    clearIdle();
    if (!typing) return;
    typing = false;
    lastSent = -Infinity;
    signal(false);
  };

  return {
    input() {
      const now = timers.now();
      if (!typing || now - lastSent >= throttleMs) {
        if (signal(true) === false) {
          typing = false;
          clearIdle();
          return;
        }
        typing = true;
        lastSent = now;
      }
      clearIdle();
      idleTimer = timers.setTimeout(stop, idleMs);
    },
    stop,
    dispose: clearIdle,
    get isTyping() {
      return typing;
    },
  };
}
