/**
 * The open-loop load generator.
 *
 * Sends are scheduled at a fixed rate: message k of a phase is due at
 * `start + k / rate`, whatever happened to the messages before it, and every
 * latency is measured from that due time, not from the moment the send was
 * actually written. A generator or server that falls behind therefore shows
 * up in the percentiles instead of silently lowering the load (no coordinated
 * omission). `sendLag` records how late the generator itself was.
 *
 * Message k is sent by listener k mod L (every listener sends evenly spaced
 * messages; while listeners still arrive, `showstart`, by the k mod A-th of the
 * A arrived so far); reply j is sent by broadcaster j mod B to a listener picked by a
 * fixed hash of j. Who sent each message and whom each reply was for is kept, so
 * an ack or a reply that reaches another listener is caught. Ids and texts carry the phase and the index, so acks and
 * deliveries are matched without any lookup table, and a reply that reaches
 * the wrong session is caught.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createHistogram, encode, recordMs, summarize, type Histogram } from '../lib/histogram.js';
import {
  HISTOGRAM_NAMES,
  type GeneratorSetup,
  type HistogramName,
  type LatencySummary,
  type LoadParams,
  type LoadResult,
  type SetupResult,
  type ShowParams,
  type ShowResult,
  type StormResult,
} from '../lib/types.js';
import { pool, postJson } from './http.js';
import { connect, type Conn } from './wire.js';

interface ListenerState {
  index: number;
  instance: number;
  sessionId: string;
  token: string;
  conn: Conn | undefined;
}

interface BroadcasterState {
  index: number;
  instance: number;
  token: string;
  conn: Conn | undefined;
}

/** The show's extra traffic in one phase (announcements, on-air queue changes) and what came of it. */
class ShowTraffic {
  requestsSent = 0;
  announcementsSent = 0;
  announcementDeliveries = 0;
  readonly announceStatus = new Map<string, number>();
  readonly announceRest = createHistogram();
  onairChanges = 0;
  onairUpdates = 0;
  requestUpdates = 0;
  readonly onairStatus = new Map<string, number>();
  readonly onairRest = createHistogram();
  /** messageIds queued so far, oldest first. */
  readonly queued: string[] = [];

  constructor(readonly params: ShowParams) {}

  result(): ShowResult {
    return {
      requestsSent: this.requestsSent,
      announcements: {
        sent: this.announcementsSent,
        byStatus: Object.fromEntries(this.announceStatus),
        deliveries: this.announcementDeliveries,
        rest: summarize(this.announceRest),
      },
      onair: {
        changes: this.onairChanges,
        byStatus: Object.fromEntries(this.onairStatus),
        updates: this.onairUpdates,
        rest: summarize(this.onairRest),
      },
      requestUpdates: this.requestUpdates,
    };
  }
}

/** Broadcaster events of the live show that the chat checks leave alone. */
const SHOW_BROADCASTER_EVENTS = new Set(['request:update', 'stats:update', 'conversation:focus', 'session:moderated']);

const FILLER = 'Salam dari pendengar setia di Bandung, tolong putarkan lagu kesukaan kami ya, terima kasih penyiar! ';

const MAX_BROADCASTERS = 8;
const CONNECT_TIMEOUT_MS = 15_000;

class Phase {
  readonly params: LoadParams;
  readonly msgInterval: number;
  readonly replyInterval: number;
  readonly totalMsgs: number;
  readonly warmupMsgs: number;
  readonly totalReplies: number;
  readonly warmupReplies: number;
  start = 0;
  nextMsg = 0;
  nextReply = 0;
  sent = 0;
  repliesSent = 0;
  acked = 0;
  delivered = 0;
  repliesAcked = 0;
  repliesDelivered = 0;
  replyCopies = 0;
  duplicates = 0;
  isolationViolations = 0;
  idMismatches = 0;
  readonly ackState: Uint8Array;
  readonly deliveredMask: Uint8Array;
  readonly messageIds: Float64Array;
  readonly replyAcked: Uint8Array;
  readonly replyDelivered: Uint8Array;
  readonly replyCopyMask: Uint8Array;
  /** Listener index that sent message k / that reply j was addressed to (-1: not sent yet). */
  readonly senderOf: Int32Array;
  readonly replyTargetOf: Int32Array;
  /** send→ack by due time (`params.bucketMs` wide), when asked for. */
  readonly ackBuckets: Histogram[] = [];
  readonly hist = Object.fromEntries(HISTOGRAM_NAMES.map((name) => [name, createHistogram()])) as Record<
    HistogramName,
    Histogram
  >;
  readonly errors = new Map<string, number>();

  constructor(params: LoadParams) {
    this.params = params;
    this.msgInterval = params.rate > 0 ? 1000 / params.rate : Infinity;
    this.replyInterval = params.replyRate > 0 ? 1000 / params.replyRate : Infinity;
    const totalMs = params.warmupMs + params.durationMs;
    this.totalMsgs = params.rate > 0 ? Math.floor((totalMs * params.rate) / 1000) : 0;
    this.warmupMsgs = params.rate > 0 ? Math.floor((params.warmupMs * params.rate) / 1000) : 0;
    this.totalReplies = params.replyRate > 0 ? Math.floor((totalMs * params.replyRate) / 1000) : 0;
    this.warmupReplies = params.replyRate > 0 ? Math.floor((params.warmupMs * params.replyRate) / 1000) : 0;
    this.ackState = new Uint8Array(this.totalMsgs);
    this.deliveredMask = new Uint8Array(this.totalMsgs);
    this.messageIds = new Float64Array(this.totalMsgs).fill(NaN);
    this.replyAcked = new Uint8Array(this.totalReplies);
    this.replyDelivered = new Uint8Array(this.totalReplies);
    this.replyCopyMask = new Uint8Array(this.totalReplies);
    this.senderOf = new Int32Array(this.totalMsgs).fill(-1);
    this.replyTargetOf = new Int32Array(this.totalReplies).fill(-1);
    if (params.bucketMs) {
      const buckets = Math.ceil(totalMs / params.bucketMs);
      for (let b = 0; b < buckets; b++) this.ackBuckets.push(createHistogram());
    }
  }

  msgDue(k: number): number {
    return this.start + k * this.msgInterval;
  }

  replyDue(j: number): number {
    return this.start + j * this.replyInterval;
  }

  count(name: string): void {
    this.errors.set(name, (this.errors.get(name) ?? 0) + 1);
  }

  outstanding(broadcasters: number): number {
    return (
      this.sent -
      this.acked +
      (this.sent * broadcasters - this.delivered) +
      (this.repliesSent - this.repliesAcked) +
      (this.repliesSent - this.repliesDelivered) +
      (this.repliesSent * broadcasters - this.replyCopies)
    );
  }
}

/** Index k from "m<phase>-<k>" (ids, and texts that start with the id), or -1 when it is not of this phase. */
function parseIndex(value: unknown, prefix: string, phase: number): number {
  if (typeof value !== 'string' || value[0] !== prefix) return -1;
  const dash = value.indexOf('-');
  if (dash < 0 || Number(value.slice(1, dash)) !== phase) return -2;
  const end = value.indexOf(' ', dash);
  const k = Number(end < 0 ? value.slice(dash + 1) : value.slice(dash + 1, end));
  return Number.isInteger(k) && k >= 0 ? k : -1;
}

function text(prefix: string, phase: number, k: number, length: number): string {
  const head = `${prefix}${phase}-${k} `;
  let body = head;
  while (body.length < length) body += FILLER;
  return body.slice(0, Math.max(length, head.length)).trimEnd();
}

function popcount(mask: number): number {
  let n = 0;
  for (let m = mask; m; m &= m - 1) n++;
  return n;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class Generator {
  private setup: GeneratorSetup | undefined;
  private listeners: ListenerState[] = [];
  /** Listeners connected so far, in order of arrival (all of them once `connectListeners` ran). */
  private arrived: ListenerState[] = [];
  private broadcasters: BroadcasterState[] = [];
  private phase: Phase | undefined;
  /** The show's extra traffic of the current phase (the `show` scenario). */
  private show: ShowTraffic | undefined;
  private closing = false;
  private readonly setupErrors = new Map<string, number>();
  private prepareStats = { sessionsCreated: 0, sessionCreatePerSecond: 0, elapsedMs: 0 };

  /** Broadcaster logins and connections, then one session per listener over HTTP. */
  async prepare(
    setup: GeneratorSetup,
  ): Promise<{ elapsedMs: number; sessionsCreated: number; sessionCreatePerSecond: number }> {
    if (setup.broadcasters < 1 || setup.broadcasters > MAX_BROADCASTERS) {
      throw new Error(`broadcasters must be 1–${MAX_BROADCASTERS}`);
    }
    if (setup.listeners < 1) throw new Error('listeners must be at least 1');
    this.setup = setup;
    const started = performance.now();
    const instances = setup.instances.length;
    const address = (i: number) => setup.sourceAddresses[i % setup.sourceAddresses.length]!;

    for (let b = 0; b < setup.broadcasters; b++) {
      const instance = b % instances;
      const baseUrl = setup.instances[instance]!;
      const login = await this.retry('login', 5, async () => {
        const res = await postJson(baseUrl, '/livechat/admin/login', setup.admin, address(b));
        if (res.status !== 200 || typeof res.body['token'] !== 'string') {
          throw new Error(`login answered ${res.status} ${JSON.stringify(res.body)}`);
        }
        return res.body['token'];
      });
      const state: BroadcasterState = { index: b, instance, token: login, conn: undefined };
      const { conn } = await this.retry('broadcaster-connect', 3, () =>
        connect({
          wire: setup.wire,
          baseUrl,
          role: 'broadcaster',
          token: login,
          localAddress: address(b),
          timeoutMs: CONNECT_TIMEOUT_MS,
          onEvent: (event, data, at) => this.onBroadcasterEvent(state, event, data, at),
          onClose: (reason) => this.onClose(reason),
        }),
      );
      state.conn = conn;
      this.broadcasters.push(state);
    }

    const sessionsStarted = performance.now();
    this.listeners = new Array<ListenerState>(setup.listeners);
    if (setup.deferListeners) {
      this.prepareStats = {
        sessionsCreated: 0,
        sessionCreatePerSecond: 0,
        elapsedMs: Math.round(performance.now() - started),
      };
      return this.prepareStats;
    }
    await pool(setup.listeners, setup.sessionConcurrency, async (i) => void (await this.createSession(i)));
    const sessionsMs = performance.now() - sessionsStarted;
    this.prepareStats = {
      sessionsCreated: setup.listeners,
      sessionCreatePerSecond: Math.round((setup.listeners / sessionsMs) * 1000),
      elapsedMs: Math.round(performance.now() - started),
    };
    return this.prepareStats;
  }

  /** Listener i's session over HTTP, as the widget creates it. */
  private async createSession(i: number): Promise<ListenerState> {
    const setup = this.requireSetup();
    const instance = i % setup.instances.length;
    const res = await this.retry('session-create', 5, async () => {
      const r = await postJson(
        setup.instances[instance]!,
        '/livechat/session',
        { name: `Pendengar ${i}`, city: 'Bandung' },
        setup.sourceAddresses[i % setup.sourceAddresses.length]!,
      );
      if (r.status !== 201 || typeof r.body['sessionId'] !== 'string' || typeof r.body['sessionToken'] !== 'string') {
        throw new Error(`session create answered ${r.status} ${JSON.stringify(r.body)}`);
      }
      return r.body as { sessionId: string; sessionToken: string };
    });
    const listener = { index: i, instance, sessionId: res.sessionId, token: res.sessionToken, conn: undefined };
    this.listeners[i] = listener;
    return listener;
  }

  /** Opens listener i's WebSocket; resolves at its `connection:success`. */
  private async connectListener(listener: ListenerState, histogram?: Histogram): Promise<void> {
    const setup = this.requireSetup();
    const { conn } = await this.retry('listener-connect', 3, async () => {
      const t0 = performance.now();
      const result = await connect({
        wire: setup.wire,
        baseUrl: setup.instances[listener.instance]!,
        role: 'listener',
        token: listener.token,
        localAddress: setup.sourceAddresses[listener.index % setup.sourceAddresses.length]!,
        timeoutMs: CONNECT_TIMEOUT_MS,
        onEvent: (event, data, at) => this.onListenerEvent(listener, event, data, at),
        onClose: (reason) => this.onClose(reason),
      });
      if (histogram) recordMs(histogram, performance.now() - t0);
      return result;
    });
    listener.conn = conn;
  }

  /** Opens one WebSocket per listener session; resolves when every one got `connection:success`. */
  async connectListeners(): Promise<SetupResult> {
    const setup = this.requireSetup();
    const histogram = createHistogram();
    const started = performance.now();
    await pool(setup.listeners, setup.connectConcurrency, (i) => this.connectListener(this.listeners[i]!, histogram));
    this.arrived = [...this.listeners];
    const elapsed = performance.now() - started;
    return {
      listeners: setup.listeners,
      broadcasters: setup.broadcasters,
      sessionsCreated: this.prepareStats.sessionsCreated,
      sessionCreatePerSecond: this.prepareStats.sessionCreatePerSecond,
      connected: this.listeners.filter((l) => l.conn?.open).length,
      connectPerSecond: Math.round((setup.listeners / elapsed) * 1000),
      connectLatency: summarize(histogram),
      retries: Object.fromEntries(this.setupErrors),
      elapsedMs: Math.round(elapsed),
    };
  }

  /** Runs one open-loop phase and reports what happened to every scheduled message. */
  async load(params: LoadParams): Promise<LoadResult> {
    this.requireSetup();
    const phase = new Phase(params);
    this.phase = phase;
    const show = params.show ? new ShowTraffic(params.show) : undefined;
    this.show = show;
    const B = this.broadcasters.length;
    const loop = monitorEventLoopDelay({ resolution: 10 });
    loop.enable();
    const cpu0 = process.cpuUsage();
    const wall0 = performance.now();
    phase.start = performance.now() + 10;

    const showTimers = show ? this.startShow(phase, show) : [];
    const storm = params.storm ? this.runStorm(phase, params.storm.arriveWithinMs) : undefined;
    const A = () => this.arrived.length;
    await new Promise<void>((resolve) => {
      const tick = () => {
        const now = performance.now();
        while (phase.nextMsg < phase.totalMsgs) {
          const k = phase.nextMsg;
          const due = phase.msgDue(k);
          if (due > now || A() === 0) break; // during a storm, no listener has arrived yet: sent late
          phase.nextMsg++;
          const sender = this.arrived[k % A()]!;
          phase.senderOf[k] = sender.index;
          const conn = sender.conn;
          const request =
            show && k % show.params.requestEvery === 0
              ? { title: `Lagu ${(k / show.params.requestEvery) % show.params.songs}`, artist: 'Band Bench' }
              : undefined;
          if (
            conn?.send('message:send', {
              text: text('m', params.phase, k, params.textLength),
              clientMessageId: `m${params.phase}-${k}`,
              ...(request ? { request } : {}),
            })
          ) {
            phase.sent++;
            if (request && show) show.requestsSent++;
            if (k >= phase.warmupMsgs) recordMs(phase.hist.sendLag, performance.now() - due);
          } else {
            phase.count('send-failed');
          }
        }
        while (phase.nextReply < phase.totalReplies) {
          const j = phase.nextReply;
          const due = phase.replyDue(j);
          if (due > now || A() === 0) break;
          phase.nextReply++;
          const target = this.arrived[this.replyTarget(j, A())]!;
          phase.replyTargetOf[j] = target.index;
          const conn = this.broadcasters[j % B]!.conn;
          const sent = conn?.send('message:reply', {
            sessionId: target.sessionId,
            text: text('b', params.phase, j, params.textLength),
            clientMessageId: `b${params.phase}-${j}`,
          });
          if (sent) phase.repliesSent++;
          else phase.count('reply-send-failed');
        }
        if (phase.nextMsg >= phase.totalMsgs && phase.nextReply >= phase.totalReplies) {
          resolve();
          return;
        }
        const nextDue = Math.min(
          phase.nextMsg < phase.totalMsgs ? phase.msgDue(phase.nextMsg) : Infinity,
          phase.nextReply < phase.totalReplies ? phase.replyDue(phase.nextReply) : Infinity,
        );
        setTimeout(tick, Math.max(0, nextDue - performance.now()));
      };
      setTimeout(tick, 10);
    });
    const sendingEnded = performance.now();
    for (const timer of showTimers) clearInterval(timer);
    const stormResult = await storm;

    const drainUntil = performance.now() + params.drainMs;
    while (phase.outstanding(B) > 0 && performance.now() < drainUntil) await sleep(10);
    loop.disable();
    const cpu = process.cpuUsage(cpu0);
    const wallMs = performance.now() - wall0;

    let lost = 0;
    for (let k = 0; k < phase.totalMsgs; k++) {
      if (popcount(phase.deliveredMask[k]!) < B) lost++;
    }
    let repliesLost = 0;
    let replyCopiesMissing = 0;
    for (let j = 0; j < phase.totalReplies; j++) {
      if (!phase.replyDelivered[j]) repliesLost++;
      if (popcount(phase.replyCopyMask[j]!) < B) replyCopiesMissing++;
    }
    const measuredMs = Math.max(1, sendingEnded - (phase.start + params.warmupMs));
    const latency = Object.fromEntries(HISTOGRAM_NAMES.map((name) => [name, summarize(phase.hist[name])])) as Record<
      HistogramName,
      LatencySummary
    >;
    const histograms = Object.fromEntries(HISTOGRAM_NAMES.map((name) => [name, encode(phase.hist[name])])) as Record<
      HistogramName,
      string
    >;
    return {
      params,
      counts: {
        scheduled: phase.totalMsgs,
        sent: phase.sent,
        measured: phase.totalMsgs - phase.warmupMsgs,
        acked: phase.acked,
        unacked: phase.totalMsgs - phase.acked,
        expectedDeliveries: phase.totalMsgs * B,
        delivered: phase.delivered,
        lost,
        duplicates: phase.duplicates,
        repliesScheduled: phase.totalReplies,
        repliesSent: phase.repliesSent,
        repliesMeasured: phase.totalReplies - phase.warmupReplies,
        repliesAcked: phase.repliesAcked,
        repliesUnacked: phase.totalReplies - phase.repliesAcked,
        repliesLost,
        replyCopiesMissing,
        isolationViolations: phase.isolationViolations,
        idMismatches: phase.idMismatches,
      },
      errors: Object.fromEntries(phase.errors),
      latency,
      histograms,
      achievedRate: Math.round(((phase.totalMsgs - phase.warmupMsgs) / measuredMs) * 1000),
      achievedReplyRate: Math.round(((phase.totalReplies - phase.warmupReplies) / measuredMs) * 1000),
      generator: {
        cpuMs: Math.round((cpu.user + cpu.system) / 1000),
        wallMs: Math.round(wallMs),
        loopDelayP99Ms: Math.round(loop.percentile(99) / 1e4) / 100,
        loopDelayMaxMs: Math.round(loop.max / 1e4) / 100,
      },
      ...(show ? { show: show.result() } : {}),
      ...(stormResult ? { storm: stormResult } : {}),
      ...(params.bucketMs
        ? {
            ackBuckets: phase.ackBuckets.map((h, b) => {
              const summary = summarize(h);
              const fromMs = b * params.bucketMs!;
              return { fromMs, count: summary.count, p50: summary.p50, p99: summary.p99, max: summary.max };
            }),
          }
        : {}),
    };
  }

  /**
   * The listeners' arrival of a show's start: listener i is due at `start + i × withinMs / L`; from its due
   * time it creates its session and connects (bounded in flight, as a storm of real widgets would queue),
   * and joins the senders once it has its `connection:success`.
   */
  private async runStorm(phase: Phase, withinMs: number): Promise<StormResult> {
    const setup = this.requireSetup();
    const L = setup.listeners;
    const histogram = createHistogram();
    const concurrency = Math.max(setup.sessionConcurrency, setup.connectConcurrency);
    let failed = 0;
    let lastArrivedAt = phase.start;
    let messagesBeforeLastArrival = 0;
    let inFlight = 0;
    let slot: (() => void) | undefined;
    const arrive = async (i: number, due: number) => {
      try {
        const listener = await this.createSession(i);
        await this.connectListener(listener);
        recordMs(histogram, performance.now() - due);
        this.arrived.push(listener);
        lastArrivedAt = performance.now();
        messagesBeforeLastArrival = phase.sent;
      } catch {
        failed++;
      } finally {
        inFlight--;
        slot?.();
      }
    };
    const pending: Promise<void>[] = [];
    for (let i = 0; i < L && !this.closing; i++) {
      const due = phase.start + (i * withinMs) / L;
      const wait = due - performance.now();
      if (wait > 1) await sleep(wait);
      while (inFlight >= concurrency) await new Promise<void>((resolve) => (slot = resolve));
      inFlight++;
      pending.push(arrive(i, due));
    }
    await Promise.all(pending);
    return {
      listeners: L,
      arrived: this.arrived.length,
      failed,
      lastArrivedAtMs: Math.round(lastArrivedAt - phase.start),
      arrival: summarize(histogram),
      messagesBeforeLastArrival,
    };
  }

  /**
   * The show's timers: an announcement every `announceEveryMs` (the first after 1 s), and every
   * `onairEveryMs` the queue moves: a recent listener message is queued, the one queued before it
   * goes on air (the one on air before becomes used), and the used one before that is removed.
   * REST calls from broadcaster 0, one at a time per kind.
   */
  private startShow(phase: Phase, show: ShowTraffic): NodeJS.Timeout[] {
    const setup = this.requireSetup();
    const b = this.broadcasters[0]!;
    const baseUrl = setup.instances[b.instance]!;
    const address = setup.sourceAddresses[0]!;
    const call = async (path: string, body: object, hist: Histogram, status: Map<string, number>): Promise<void> => {
      const started = performance.now();
      let key: string;
      try {
        const res = await postJson(baseUrl, path, body, address, 10_000, b.token);
        key = String(res.status);
      } catch {
        key = 'failed';
      }
      recordMs(hist, performance.now() - started);
      status.set(key, (status.get(key) ?? 0) + 1);
    };
    let announcing = false;
    const announce = () => {
      if (announcing) return;
      announcing = true;
      show.announcementsSent++;
      const body = { text: `Kuis dimulai! Pengumuman ${show.announcementsSent} dari studio.` };
      void call('/livechat/admin/announcements', body, show.announceRest, show.announceStatus).finally(
        () => (announcing = false),
      );
    };
    let moving = false;
    const move = () => {
      if (moving) return;
      const recent = this.recentMessageId(phase);
      if (recent === undefined) return;
      moving = true;
      void (async () => {
        const onair = (id: string, state: string) =>
          call(`/livechat/admin/messages/${id}/onair`, { state }, show.onairRest, show.onairStatus).then(
            () => void show.onairChanges++,
          );
        await onair(recent, 'queued');
        show.queued.push(recent);
        const previous = show.queued.at(-2);
        if (previous !== undefined) await onair(previous, 'on_air');
        const used = show.queued.length > 2 ? show.queued.shift() : undefined;
        if (used !== undefined) await onair(used, 'removed');
      })().finally(() => (moving = false));
    };
    const first = setTimeout(announce, 1000);
    return [first, setInterval(announce, show.params.announceEveryMs), setInterval(move, show.params.onairEveryMs)];
  }

  /** The messageId of a listener message acked about a second ago (undefined before any). */
  private recentMessageId(phase: Phase): string | undefined {
    const from = Math.max(0, phase.nextMsg - Math.ceil(phase.params.rate) - 1);
    for (let k = from; k >= 0 && k > from - 1000; k--) {
      const id = phase.messageIds[k]!;
      if (!Number.isNaN(id)) return String(id);
    }
    return undefined;
  }

  /** Waits (bounded) until the last phase has nothing outstanding; returns what is still outstanding. */
  async quiesce(timeoutMs: number): Promise<number> {
    const phase = this.phase;
    if (!phase) return 0;
    const until = performance.now() + timeoutMs;
    while (phase.outstanding(this.broadcasters.length) > 0 && performance.now() < until) await sleep(50);
    return phase.outstanding(this.broadcasters.length);
  }

  async close(): Promise<void> {
    this.closing = true;
    for (const listener of this.listeners) listener?.conn?.close();
    for (const broadcaster of this.broadcasters) broadcaster.conn?.close();
    await sleep(100);
  }

  /** Reply j's listener among the first `among` to have arrived (a fixed hash of j). */
  private replyTarget(j: number, among: number): number {
    return Math.floor(((j * 0.6180339887498949) % 1) * among);
  }

  private isCross(listenerIndex: number, broadcasterIndex: number): boolean {
    const instances = this.setup?.instances.length ?? 1;
    return listenerIndex % instances !== broadcasterIndex % instances;
  }

  private onListenerEvent(listener: ListenerState, event: string, data: Record<string, unknown>, at: number): void {
    const phase = this.phase;
    if (!phase) return this.countSetup(event.startsWith('error:') ? event : `idle:${event}`);
    const p = phase.params.phase;
    switch (event) {
      case 'message:ack': {
        const k = parseIndex(data['clientMessageId'], 'm', p);
        if (k === -2) return;
        if (k < 0 || k >= phase.totalMsgs || phase.senderOf[k] !== listener.index) return phase.count('ack-unknown');
        if (phase.ackState[k]) {
          phase.duplicates++;
          return;
        }
        phase.ackState[k] = 1;
        phase.acked++;
        if (data['duplicate'] === true) phase.count('ack-marked-duplicate');
        if (k >= phase.warmupMsgs) recordMs(phase.hist.sendAck, at - phase.msgDue(k));
        if (phase.ackBuckets.length > 0) {
          const bucket = phase.ackBuckets[Math.floor((phase.msgDue(k) - phase.start) / phase.params.bucketMs!)];
          if (bucket) recordMs(bucket, at - phase.msgDue(k));
        }
        this.checkId(phase, k, data['messageId']);
        return;
      }
      case 'message:receive': {
        const j = parseIndex(data['text'], 'b', p);
        if (j === -2) return;
        if (j < 0 || j >= phase.totalReplies) return phase.count('receive-unknown');
        if (phase.replyTargetOf[j] !== listener.index) {
          phase.isolationViolations++;
          return;
        }
        if (phase.replyDelivered[j]) {
          phase.duplicates++;
          return;
        }
        phase.replyDelivered[j] = 1;
        phase.repliesDelivered++;
        if (j >= phase.warmupReplies) {
          const latency = at - phase.replyDue(j);
          recordMs(phase.hist.replyListener, latency);
          if (this.isCross(listener.index, j % this.broadcasters.length))
            recordMs(phase.hist.replyListenerCross, latency);
        }
        return;
      }
      case 'announcement':
        if (this.show) this.show.announcementDeliveries++;
        else phase.count('listener-unexpected:announcement');
        return;
      case 'request:update':
        if (this.show) this.show.requestUpdates++;
        return;
      default:
        phase.count(event.startsWith('error:') ? event : `listener-unexpected:${event}`);
    }
  }

  private onBroadcasterEvent(
    broadcaster: BroadcasterState,
    event: string,
    data: Record<string, unknown>,
    at: number,
  ): void {
    const phase = this.phase;
    if (event === 'presence:update' || event === 'user:typing') return;
    if (SHOW_BROADCASTER_EVENTS.has(event)) return;
    if (event === 'onair:update') {
      if (this.show && broadcaster.index === 0) this.show.onairUpdates++;
      return;
    }
    if (!phase) return this.countSetup(event.startsWith('error:') ? event : `idle:${event}`);
    const p = phase.params.phase;
    const bit = 1 << broadcaster.index;
    switch (event) {
      case 'message:new': {
        if (data['direction'] === 'broadcaster') {
          const j = parseIndex(data['text'], 'b', p);
          if (j === -2) return;
          if (j < 0 || j >= phase.totalReplies) return phase.count('new-unknown');
          if (phase.replyCopyMask[j]! & bit) {
            phase.duplicates++;
            return;
          }
          phase.replyCopyMask[j]! |= bit;
          phase.replyCopies++;
          return;
        }
        const k = parseIndex(data['text'], 'm', p);
        if (k === -2) return;
        if (k < 0 || k >= phase.totalMsgs) return phase.count('new-unknown');
        if (phase.deliveredMask[k]! & bit) {
          phase.duplicates++;
          return;
        }
        phase.deliveredMask[k]! |= bit;
        phase.delivered++;
        if (k >= phase.warmupMsgs) {
          const latency = at - phase.msgDue(k);
          recordMs(phase.hist.sendBroadcaster, latency);
          if (this.isCross(phase.senderOf[k]!, broadcaster.index)) recordMs(phase.hist.sendBroadcasterCross, latency);
        }
        this.checkId(phase, k, data['messageId']);
        return;
      }
      case 'message:ack': {
        const j = parseIndex(data['clientMessageId'], 'b', p);
        if (j === -2) return;
        if (j < 0 || j >= phase.totalReplies || j % this.broadcasters.length !== broadcaster.index)
          return phase.count('ack-unknown');
        if (phase.replyAcked[j]) {
          phase.duplicates++;
          return;
        }
        phase.replyAcked[j] = 1;
        phase.repliesAcked++;
        if (j >= phase.warmupReplies) recordMs(phase.hist.replyAck, at - phase.replyDue(j));
        return;
      }
      default:
        phase.count(event.startsWith('error:') ? event : `broadcaster-unexpected:${event}`);
    }
  }

  /** The ack and every delivery of message k must carry the same messageId. */
  private checkId(phase: Phase, k: number, messageId: unknown): void {
    const id = typeof messageId === 'string' ? Number(messageId) : NaN;
    if (!Number.isFinite(id)) {
      phase.idMismatches++;
      return;
    }
    const known = phase.messageIds[k]!;
    if (Number.isNaN(known)) phase.messageIds[k] = id;
    else if (known !== id) phase.idMismatches++;
  }

  private onClose(reason: string): void {
    if (this.closing) return;
    if (this.phase) this.phase.count(reason);
    else this.countSetup(reason);
  }

  private countSetup(name: string): void {
    this.setupErrors.set(name, (this.setupErrors.get(name) ?? 0) + 1);
  }

  private async retry<T>(kind: string, attempts: number, fn: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await fn();
      } catch (error) {
        if (attempt >= attempts || this.closing)
          throw new Error(`${kind} failed after ${attempt} attempts: ${(error as Error).message}`, { cause: error });
        this.countSetup(`retry:${kind}`);
        await sleep(100 * attempt);
      }
    }
  }

  private requireSetup(): GeneratorSetup {
    if (!this.setup) throw new Error('prepare first');
    return this.setup;
  }
}
