/**
 * Types shared by the orchestrator (bench/run.ts) and the load generator
 * process (bench/generator/main.ts). Everything crossing the IPC channel is
 * plain JSON.
 */

/** Which client speaks to the target: the live-chat wire protocol over `ws`, or Socket.IO's own client. */
export type Wire = 'livechat' | 'socketio';

export interface GeneratorSetup {
  wire: Wire;
  /** Base URLs (http://127.0.0.1:PORT) of the instances; listener i uses instance i % n, broadcaster b uses b % n. */
  instances: string[];
  listeners: number;
  broadcasters: number;
  admin: { username: string; password: string };
  /** Local addresses the client sockets are bound to, in turn (127.0.0.x). */
  sourceAddresses: string[];
  /** WebSocket handshakes in flight at once. */
  connectConcurrency: number;
  /** `POST /livechat/session` requests in flight at once. */
  sessionConcurrency: number;
  /** No listener session is created in `prepare`: the listeners arrive during the load (`LoadParams.storm`). */
  deferListeners?: boolean | undefined;
}

export interface LoadParams {
  /** Distinguishes the phases of one generator (ids and texts carry it). */
  phase: number;
  /** Listener messages per second (all listeners together). */
  rate: number;
  /** Broadcaster replies per second (all broadcasters together). */
  replyRate: number;
  /** Measured part of the phase. */
  durationMs: number;
  /** Sent at the same rate before the measured part; tracked for loss, not recorded in the histograms. */
  warmupMs: number;
  /** After the last scheduled send: how long to wait for what is still missing. */
  drainMs: number;
  /** Length of each message text (characters). */
  textLength: number;
  /** The `show` scenario: song requests, announcements and the on-air queue on top of the chat load. */
  show?: ShowParams | undefined;
  /**
   * The `showstart` scenario: the listeners arrive during the phase, listener i due at
   * `start + i × arriveWithinMs / listeners` (open loop), each creating its session and connecting as a
   * widget does; the messages flow at the full rate from the start, sent by the listeners that have
   * arrived, and replies go to them.
   */
  storm?: { arriveWithinMs: number } | undefined;
  /** Width of the buckets of `LoadResult.ackBuckets` (the storm's p99 over time). */
  bucketMs?: number | undefined;
}

/** What the listeners' arrival did (the `showstart` scenario). */
export interface StormResult {
  listeners: number;
  arrived: number;
  failed: number;
  /** When the last listener had its `connection:success`, from the phase start. */
  lastArrivedAtMs: number;
  /** From each listener's due time to its `connection:success` (session creation + handshake). */
  arrival: LatencySummary;
  /** Messages sent before the last listener arrived (the flow overlapped the storm). */
  messagesBeforeLastArrival: number;
}

export interface ShowParams {
  /** Every n-th listener message carries a song request (10: 10 % of messages). */
  requestEvery: number;
  /** Distinct songs the requests are spread over (they group by song). */
  songs: number;
  /** A broadcaster posts an announcement this often (the first one 1 s into the phase). */
  announceEveryMs: number;
  /** A broadcaster changes the on-air queue this often (queue a recent message, put the oldest on air). */
  onairEveryMs: number;
}

/** What the show's extra traffic did (the `show` scenario). */
export interface ShowResult {
  requestsSent: number;
  announcements: { sent: number; byStatus: Record<string, number>; deliveries: number; rest: LatencySummary };
  onair: { changes: number; byStatus: Record<string, number>; updates: number; rest: LatencySummary };
  requestUpdates: number;
}

/** Latency percentiles in milliseconds. */
export interface LatencySummary {
  count: number;
  p50: number;
  p90: number;
  p95: number;
  p99: number;
  p999: number;
  max: number;
  mean: number;
}

export const HISTOGRAM_NAMES = [
  'sendAck',
  'sendBroadcaster',
  'sendBroadcasterCross',
  'replyListener',
  'replyListenerCross',
  'replyAck',
  'sendLag',
] as const;
export type HistogramName = (typeof HISTOGRAM_NAMES)[number];

export interface SetupResult {
  listeners: number;
  broadcasters: number;
  sessionsCreated: number;
  sessionCreatePerSecond: number;
  connected: number;
  connectPerSecond: number;
  connectLatency: LatencySummary;
  /** Failed attempts that were retried successfully, by kind. */
  retries: Record<string, number>;
  elapsedMs: number;
}

export interface LoadCounts {
  /** Listener messages scheduled / actually written to a socket. */
  scheduled: number;
  sent: number;
  /** Measured (after warm-up) messages; the histograms count these. */
  measured: number;
  acked: number;
  unacked: number;
  /** Deliveries expected (sent × broadcasters) and received (distinct). */
  expectedDeliveries: number;
  delivered: number;
  /** Messages that did not reach every broadcaster. */
  lost: number;
  /** Same message delivered twice to one broadcaster, or acked twice. */
  duplicates: number;
  repliesScheduled: number;
  repliesSent: number;
  repliesMeasured: number;
  repliesAcked: number;
  repliesUnacked: number;
  /** Replies that never reached the listener they were addressed to. */
  repliesLost: number;
  /** Replies whose `message:new` copy did not reach every broadcaster. */
  replyCopiesMissing: number;
  /** A listener received a reply meant for another session. */
  isolationViolations: number;
  /** The messageId in the ack differs from the one the broadcasters received. */
  idMismatches: number;
}

export interface LoadResult {
  params: LoadParams;
  counts: LoadCounts;
  /** Error frames and failures by name (`error:rate_limited`, `close:1006`, `send-failed`, ...). */
  errors: Record<string, number>;
  latency: Record<HistogramName, LatencySummary>;
  /** HDR histograms (microseconds), compressed base64, for later merging or plotting. */
  histograms: Record<HistogramName, string>;
  /** Achieved send rates over the measured part. */
  achievedRate: number;
  achievedReplyRate: number;
  generator: { cpuMs: number; wallMs: number; loopDelayP99Ms: number; loopDelayMaxMs: number };
  /** Present for the `show` scenario. */
  show?: ShowResult | undefined;
  /** Present for the `showstart` scenario. */
  storm?: StormResult | undefined;
  /** send→ack by due time, in buckets of `params.bucketMs`: where in the phase the tail was. */
  ackBuckets?: { fromMs: number; count: number; p50: number; p99: number; max: number }[] | undefined;
}

/** Orchestrator → generator. */
export type GeneratorCommand =
  | { type: 'prepare'; setup: GeneratorSetup }
  | { type: 'connect' }
  | { type: 'load'; params: LoadParams }
  | { type: 'quiesce'; timeoutMs: number }
  | { type: 'close' };

/** Generator → orchestrator. */
export type GeneratorReply =
  | { type: 'prepared'; elapsedMs: number; sessionsCreated: number; sessionCreatePerSecond: number }
  | { type: 'connected'; result: SetupResult }
  | { type: 'loaded'; result: LoadResult }
  | { type: 'quiesced'; outstanding: number }
  | { type: 'closed' }
  | { type: 'failed'; message: string };
