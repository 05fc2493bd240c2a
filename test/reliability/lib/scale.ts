/**
 * Size of the reliability suite: LIVECHAT_RELIABILITY_SCALE=small (default,
 * bounded for CI: the whole suite in about three minutes on two cores) or
 * large (thousands of clients, longer fault runs). Unknown values fail loudly.
 * LIVECHAT_RELIABILITY_SEED replays the random faults of an earlier run.
 */
export interface Scale {
  name: 'small' | 'large';
  /** Reconnect storm: connections, and the window their reconnects are spread over. */
  stormConnections: number;
  stormJitterMs: number;
  /** Checker: listeners × messages each, broadcasters × replies each, and how long faults are injected. */
  checkerListeners: number;
  checkerMessages: number;
  checkerBroadcasters: number;
  checkerReplies: number;
  checkerFaultWindowMs: number;
  /** Property-based fuzzing: frames per endpoint. */
  fuzzRuns: number;
  /** Half-open peers at once. */
  halfOpenPeers: number;
  /** Slow consumers at once. */
  slowConsumers: number;
  /** Timeout of each heavy test (node:test's default in scripts/run-tests.mjs is 120 s). */
  testTimeoutMs: number;
}

const SCALES: Record<Scale['name'], Scale> = {
  small: {
    name: 'small',
    stormConnections: 1500,
    stormJitterMs: 2000,
    checkerListeners: 12,
    checkerMessages: 20,
    checkerBroadcasters: 2,
    checkerReplies: 40,
    checkerFaultWindowMs: 6000,
    fuzzRuns: 300,
    halfOpenPeers: 100,
    slowConsumers: 5,
    testTimeoutMs: 120_000,
  },
  large: {
    name: 'large',
    stormConnections: 5000,
    stormJitterMs: 5000,
    checkerListeners: 60,
    checkerMessages: 60,
    checkerBroadcasters: 4,
    checkerReplies: 300,
    checkerFaultWindowMs: 30_000,
    fuzzRuns: 3000,
    halfOpenPeers: 1000,
    slowConsumers: 25,
    testTimeoutMs: 900_000,
  },
};

export function reliabilityScale(): Scale {
  const raw = process.env['LIVECHAT_RELIABILITY_SCALE']?.trim() || 'small';
  const scale = SCALES[raw as Scale['name']];
  if (!scale)
    throw new Error(`LIVECHAT_RELIABILITY_SCALE must be one of ${Object.keys(SCALES).join(', ')}, got "${raw}"`);
  return scale;
}

/** The seed of this run's random faults: LIVECHAT_RELIABILITY_SEED, or a fresh one (printed by the tests). */
export function reliabilitySeed(): number {
  const raw = process.env['LIVECHAT_RELIABILITY_SEED'];
  if (raw !== undefined && raw.trim() !== '') {
    const seed = Number(raw);
    if (!Number.isSafeInteger(seed)) throw new Error(`LIVECHAT_RELIABILITY_SEED must be an integer, got "${raw}"`);
    return seed;
  }
  return Math.floor(Math.random() * 2 ** 31);
}

/** A small seeded PRNG (mulberry32): the same seed gives the same fault schedule. */
export function prng(seed: number): {
  next(): number;
  int(min: number, max: number): number;
  pick<T>(items: readonly T[]): T;
} {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    pick: (items) => items[Math.floor(next() * items.length)]!,
  };
}

/**
 * A fault schedule: every kind once, in a seeded order, then random kinds until `done()`.
 * Every run thus meets every kind of fault at least once.
 */
export function* faultSchedule<T>(
  rng: { next(): number; pick<U>(items: readonly U[]): U },
  kinds: readonly T[],
  done: () => boolean,
): Generator<T> {
  const first = [...new Set(kinds)];
  for (let i = first.length - 1; i > 0; i--) {
    const j = Math.floor(rng.next() * (i + 1));
    [first[i], first[j]] = [first[j]!, first[i]!];
  }
  yield* first;
  while (!done()) yield rng.pick(kinds);
}
