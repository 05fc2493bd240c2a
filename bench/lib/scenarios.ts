/**
 * The scenarios: what load, against which targets. Full sizes by default;
 * `--quick` shrinks listeners, rates and durations for development runs
 * (keeping the per-listener rate), and explicit flags override both.
 */
import type { DashboardPlan } from './dashboard/run.js';
import { FLOOD_KINDS, type FloodPlan } from './flood.js';
import type { Provenance } from './machine.js';
import type { CapacityPlan, TargetRun } from './runner.js';
import type { LoadParams } from './types.js';

export const SCENARIOS = [
  'seed',
  'single',
  'cluster',
  'capacity',
  'idle',
  'dashboard',
  'flood',
  'show',
  'showstart',
] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

export interface Overrides {
  quick: boolean;
  durationS?: number | undefined;
  warmupS?: number | undefined;
  listeners?: number | undefined;
  broadcasters?: number | undefined;
  rate?: number | undefined;
  replyRate?: number | undefined;
  targets?: string[] | undefined;
  thresholdMs?: number | undefined;
  capacityStart?: number | undefined;
  capacityFactor?: number | undefined;
  capacityMax?: number | undefined;
  capacityStepS?: number | undefined;
  /** dashboard: conversations opened during the measured window. */
  opens?: number | undefined;
}

export interface ScenarioPlan {
  name: ScenarioName;
  title: string;
  description: string;
  targets: string[];
  listeners: number;
  broadcasters: number;
  load?: Omit<LoadParams, 'phase'>;
  capacity?: CapacityPlan;
  dashboard?: DashboardPlan;
  flood?: FloodPlan;
  /** LIVECHAT_RATE_LIMIT_MESSAGES for the live-chat targets, when the load needs it raised. */
  listenerRateLimit?: number;
  /** More environment for the live-chat servers (the `show` scenario raises the request limit). */
  serverEnv?: Record<string, string>;
  notes: string[];
}

export interface ScenarioResult {
  scenario: ScenarioName;
  title: string;
  description: string;
  command: string;
  quick: boolean;
  provenance: Provenance;
  plan: ScenarioPlan;
  runs: TargetRun[];
  finishedAt: string;
}

const DEFAULT_LIMIT = { messages: 10, windowSeconds: 10 };
const RAISED_LIMIT = 1_000_000;

export function planScenario(name: ScenarioName, o: Overrides): ScenarioPlan {
  const q = o.quick;
  const shrink = (full: number, quick: number) => (q ? quick : full);
  const broadcasters = o.broadcasters ?? 2;
  const notes: string[] = [];
  const load = (listenersFull: number, rateFull: number, replyFull: number) => {
    const listeners = o.listeners ?? shrink(listenersFull, Math.max(100, listenersFull / 10));
    const factor = listeners / listenersFull;
    const rate = o.rate ?? Math.max(1, Math.round(rateFull * (o.listeners === undefined ? factor : 1)));
    const replyRate = o.replyRate ?? Math.max(1, Math.round(rate / 10));
    void replyFull;
    const params: Omit<LoadParams, 'phase'> = {
      rate,
      replyRate,
      durationMs: (o.durationS ?? shrink(30, 5)) * 1000,
      warmupMs: (o.warmupS ?? shrink(5, 1)) * 1000,
      drainMs: shrink(15_000, 5000),
      textLength: 64,
    };
    return { listeners, params };
  };
  /** Raise the listener limit only when the planned per-session rate would come near the default. */
  const limitFor = (listeners: number, rate: number): number | undefined => {
    const perWindow = (rate * DEFAULT_LIMIT.windowSeconds) / listeners;
    if (perWindow <= DEFAULT_LIMIT.messages * 0.6) return undefined;
    notes.push(
      `${rate} msg/s over ${listeners} listeners is ${perWindow.toFixed(1)} messages per session per ${DEFAULT_LIMIT.windowSeconds} s, ` +
        `near or over the default limit (${DEFAULT_LIMIT.messages}): LIVECHAT_RATE_LIMIT_MESSAGES=${RAISED_LIMIT} for this scenario.`,
    );
    return RAISED_LIMIT;
  };

  switch (name) {
    case 'seed':
    case 'single':
    case 'cluster': {
      const full = name === 'seed' ? 1000 : 10_000;
      const { listeners, params } = load(full, full / 5, full / 50);
      const targets =
        o.targets ??
        (name === 'seed'
          ? ['livechat', 'ws-relay', 'socketio']
          : name === 'single'
            ? ['livechat', 'livechat-normal', 'ws-relay', 'socketio']
            : ['livechat-cluster']);
      const titles: Record<string, string> = {
        seed: "seed: the first release's load on one instance",
        single: 'single: one instance, SQLite',
        cluster: 'cluster: two instances, PostgreSQL + Redis',
      };
      const listenerRateLimit = limitFor(listeners, params.rate);
      return {
        name,
        title: titles[name]!,
        description:
          `${listeners.toLocaleString('en')} listeners + ${broadcasters} broadcasters` +
          (name === 'cluster' ? ' split evenly over two instances' : '') +
          `, ${params.rate.toLocaleString('en')} msg/s in, ${params.replyRate.toLocaleString('en')} replies/s, ` +
          `${params.durationMs / 1000} s measured after ${params.warmupMs / 1000} s warm-up`,
        targets,
        listeners,
        broadcasters,
        load: params,
        ...(listenerRateLimit ? { listenerRateLimit } : {}),
        notes,
      };
    }
    case 'show': {
      const { listeners, params } = load(10_000, 2000, 200);
      const show = { requestEvery: 10, songs: 40, announceEveryMs: 30_000, onairEveryMs: 2000 };
      const listenerRateLimit = limitFor(listeners, params.rate);
      // 10 % of 2,000 msg/s over 10,000 sessions is 0.02 requests per session per second: 72 an hour.
      const requestsPerHour = 1_000_000;
      notes.push(
        `Every ${show.requestEvery}th listener message is a song request (${show.songs} songs, so they group); a broadcaster ` +
          `posts an announcement every ${show.announceEveryMs / 1000} s (the first 1 s in) and moves the on-air queue every ` +
          `${show.onairEveryMs / 1000} s (queues a recent message, puts the one queued before on air, removes the used one).`,
        `Requests per session go far above an hour's policy at this rate: LIVECHAT_REQUESTS_PER_HOUR=${requestsPerHour} for this scenario.`,
        'Announcements: REST latency and deliveries (listeners × announcements expected); on-air: REST latency of each change and the `onair:update` frames one broadcaster got.',
      );
      return {
        name,
        title: 'show: a live show on one instance, SQLite',
        description:
          `${listeners.toLocaleString('en')} listeners + ${broadcasters} broadcasters, ${params.rate.toLocaleString('en')} msg/s in ` +
          `(${100 / show.requestEvery} % song requests), ${params.replyRate.toLocaleString('en')} replies/s, an announcement every ` +
          `${show.announceEveryMs / 1000} s, the on-air queue moving every ${show.onairEveryMs / 1000} s; ` +
          `${params.durationMs / 1000} s measured after ${params.warmupMs / 1000} s warm-up`,
        targets: o.targets ?? ['livechat'],
        listeners,
        broadcasters,
        load: { ...params, show },
        ...(listenerRateLimit ? { listenerRateLimit } : {}),
        serverEnv: { LIVECHAT_REQUESTS_PER_HOUR: String(requestsPerHour) },
        notes,
      };
    }
    case 'showstart': {
      // A show's first minute: the server cold, the listeners arriving, the messages flowing from the start.
      const { listeners, params } = load(10_000, 2000, 200);
      const arriveWithinMs = shrink(30_000, 3000);
      const durationMs = o.durationS !== undefined ? o.durationS * 1000 : arriveWithinMs + shrink(10_000, 2000);
      notes.push(
        `No warm-up is excluded: every message counts, from the first. The server is fresh (started for the run); the ` +
          `${broadcasters} broadcasters log in and connect first, then listener i is due at ${arriveWithinMs / 1000} s × i / ` +
          `${listeners.toLocaleString('en')} (open loop) and creates its session and connects as the widget does ` +
          `(at most 200 arrivals in flight, as many as the other scenarios' handshakes). The messages flow at the full rate from the first moment, ` +
          `sent by the listeners that have arrived; replies go to them.`,
        `Early on a few listeners carry the whole rate: LIVECHAT_RATE_LIMIT_MESSAGES=${RAISED_LIMIT} for this scenario.`,
      );
      return {
        name,
        title: "showstart: a show's first minute on one instance, SQLite",
        description:
          `${listeners.toLocaleString('en')} listeners arriving within ${arriveWithinMs / 1000} s + ${broadcasters} broadcasters, ` +
          `${params.rate.toLocaleString('en')} msg/s in and ${params.replyRate.toLocaleString('en')} replies/s from the start, ` +
          `${durationMs / 1000} s measured with no warm-up`,
        targets: o.targets ?? ['livechat', 'ws-relay'],
        listeners,
        broadcasters,
        load: { ...params, warmupMs: 0, durationMs, storm: { arriveWithinMs }, bucketMs: shrink(5000, 1000) },
        listenerRateLimit: RAISED_LIMIT,
        notes,
      };
    }
    case 'capacity': {
      const listeners = o.listeners ?? shrink(10_000, 1000);
      const capacity: CapacityPlan = {
        startRate: o.capacityStart ?? o.rate ?? 250,
        factor: o.capacityFactor ?? 1.5,
        maxRate: o.capacityMax ?? 60_000,
        maxSteps: 16,
        bisect: shrink(2, 0),
        stepMs: (o.capacityStepS ?? o.durationS ?? shrink(10, 3)) * 1000,
        warmupMs: (o.warmupS ?? shrink(2, 1)) * 1000,
        drainMs: shrink(5000, 3000),
        thresholdMs: o.thresholdMs ?? 50,
        retries: 1,
        noisyRetries: shrink(2, 0),
        replyRatio: 0.1,
        textLength: 64,
      };
      notes.push(
        `The rate is stepped up ×${capacity.factor} from ${capacity.startRate} msg/s (replies = 10 % of it), ${capacity.stepMs / 1000} s per step, ` +
          `until a p99 (send→ack, send→broadcaster or reply→listener) passes ${capacity.thresholdMs} ms or anything is lost, unacked or refused; ` +
          `then ${capacity.bisect} refinement steps between the last passing and the first failing rate. ` +
          `A step that fails on latency alone is run once more before it counts as failed (one stall of a shared machine can fail a short step), ` +
          `and up to ${capacity.retries + capacity.noisyRetries} more times when the machine was busy during it (the server or generator waited for a CPU > 10 % of the time, or other processes used > 0.5 core).`,
        'The CPU columns do not depend on the neighbours as much as latency does: server CPU time per message (median over the steps), ' +
          'and the message rate one full core would carry at that cost.',
        `Per-session rates go far above the default limit here: LIVECHAT_RATE_LIMIT_MESSAGES=${RAISED_LIMIT} for this scenario.`,
      );
      return {
        name,
        title: 'capacity: highest sustainable rate on one instance',
        description: `${listeners.toLocaleString('en')} listeners + ${broadcasters} broadcasters, rate stepped up until p99 > ${capacity.thresholdMs} ms`,
        targets: o.targets ?? ['livechat', 'livechat-normal', 'ws-relay', 'socketio'],
        listeners,
        broadcasters,
        capacity,
        listenerRateLimit: RAISED_LIMIT,
        notes,
      };
    }
    case 'dashboard': {
      const conversations = o.listeners ?? shrink(3000, 300);
      const rate = o.rate ?? shrink(100, 10);
      const dashboard: DashboardPlan = {
        conversations,
        rate,
        seedRate: 500,
        warmupMs: (o.warmupS ?? shrink(5, 2)) * 1000,
        durationMs: (o.durationS ?? shrink(30, 10)) * 1000,
        drainMs: shrink(15_000, 5000),
        opens: o.opens ?? shrink(8, 4),
        textLength: 64,
      };
      const listenerRateLimit = limitFor(conversations, rate);
      notes.push(
        `Every conversation gets one listener message (500 msg/s) before the dashboard is opened; the dashboard (Chromium, ${dashboard.opens} conversations opened by click) is then measured for ${dashboard.durationMs / 1000} s after ${dashboard.warmupMs / 1000} s of load.`,
        'Long tasks: PerformanceObserver `longtask` in the page. Busy: CDP Performance.getMetrics TaskDuration delta / Timestamp delta, from just before the load to the end of the window. ' +
          'Open: from the click event’s timeStamp to the animation frame after the listener’s first message is in `.conversation-pane`.',
      );
      return {
        name,
        title: 'dashboard: the broadcaster’s page under load (Chromium)',
        description: `${conversations.toLocaleString('en')} conversations, ${rate.toLocaleString('en')} listener msg/s while the dashboard is open, ${dashboard.durationMs / 1000} s measured after ${dashboard.warmupMs / 1000} s warm-up`,
        targets: o.targets ?? ['livechat'],
        listeners: conversations,
        broadcasters: 1,
        dashboard,
        ...(listenerRateLimit ? { listenerRateLimit } : {}),
        notes,
      };
    }
    case 'flood': {
      // The seed's load, measured quiet and beside one flooding listener of each kind.
      const { listeners, params } = load(1000, 200, 20);
      const flood: FloodPlan = { kinds: [...FLOOD_KINDS], localAddress: '127.0.0.250', nice: 19 };
      notes.push(
        `The seed load is measured ${flood.kinds.length + 2} times on one server: quiet, beside each flooding listener in turn ` +
          `(${flood.kinds.join(', ')}: one connection writing as fast as the server reads, reconnecting at once after every close, ` +
          `from its own source address), then quiet again. A flood's cost is its send→ack p50 minus the mean of the two quiet p50s.`,
        'The flooder runs at the lowest CPU priority (nice 19): on this one machine its own writing loop would otherwise take a core from the server, ' +
          'which an attacker on another machine does not. Its CPU use is in the table. The flooder’s own accepted messages (10 per 10 s per session) reach the broadcasters and count as `new-unknown` errors of the generator.',
        'Flood kinds: typing = `user:typing` alternating true/false; markup = 16 KiB texts of markup only (cleaned to nothing); ' +
          'sends = valid `message:send` frames far over the rate limit.',
      );
      return {
        name,
        title: 'flood: what one flooding listener costs the others',
        description: `${listeners.toLocaleString('en')} listeners + ${broadcasters} broadcasters, ${params.rate} msg/s in, ${params.replyRate} replies/s, ${params.durationMs / 1000} s measured per phase after ${params.warmupMs / 1000} s warm-up, quiet and beside each flooder`,
        targets: o.targets ?? ['livechat'],
        listeners,
        broadcasters,
        load: params,
        flood,
        notes,
      };
    }
    case 'idle': {
      const listeners = o.listeners ?? shrink(10_000, 1000);
      return {
        name,
        title: 'idle: memory per idle connection',
        description: `${listeners.toLocaleString('en')} idle listener connections (+ ${broadcasters} broadcasters), no traffic`,
        targets: o.targets ?? ['livechat', 'ws-relay', 'socketio'],
        listeners,
        broadcasters,
        notes: [
          'Server RSS (all its processes) is read after a forced full GC, once when the sessions exist and before any listener connects, ' +
            'and again 2 s after the last one connected; the difference divided by the number of connections is the figure.',
        ],
      };
    }
  }
}
