/**
 * Clients for the fault checker (in the spirit of Jepsen's total-queue): each
 * keeps an outbox of messages with clientMessageIds, sends them one at a time,
 * resends the unacknowledged head after every reconnect or refusal, and
 * records everything it is told, so that the end state can be compared with
 * what the database holds.
 *
 * Listeners reconnect with `lastMessageId` (the highest messageId they have),
 * like the SDK: whatever they missed comes back by replay.
 */
import WebSocket from 'ws';
import { sleep } from '../../helpers/wait.js';

export interface Rng {
  next(): number;
  int(min: number, max: number): number;
}

export interface ClientStats {
  /** Frames written (first sends and resends). */
  attempts: number;
  /** Distinct messages acknowledged. */
  acknowledged: number;
  /** Acks with `duplicate: true` (a resend of something already stored). */
  duplicateAcks: number;
  unavailable: number;
  rateLimited: number;
  invalid: number;
  /** Connections opened, and upgrades refused or failed on the way. */
  connects: number;
  refusedConnects: number;
  ackTimeouts: number;
  /** Close codes seen, by code. */
  closes: Record<string, number>;
}

export interface Violation {
  client: string;
  what: string;
}

interface Outgoing {
  clientMessageId: string;
  data: Record<string, unknown>;
}

/** messageIds are decimal strings: compare as numbers. */
export const idLess = (a: string, b: string): boolean => BigInt(a) < BigInt(b);

export abstract class ChaosClient {
  readonly stats: ClientStats = {
    attempts: 0,
    acknowledged: 0,
    duplicateAcks: 0,
    unavailable: 0,
    rateLimited: 0,
    invalid: 0,
    connects: 0,
    refusedConnects: 0,
    ackTimeouts: 0,
    closes: {},
  };
  /** clientMessageId → the messageId of its first ack. */
  readonly acks = new Map<string, string>();
  readonly violations: Violation[] = [];
  protected ws: WebSocket | undefined;
  private currentUrl: string | undefined;
  /** When the current connection opened (ms). */
  protected openedAt = 0;
  private readonly outbox: Outgoing[] = [];
  private inFlight = false;
  /** A resend or the next send is scheduled. */
  private waiting = false;
  private ackTimer: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  private connecting = false;
  private drained: (() => void) | undefined;
  /** Last non-duplicate ack on the current connection (acks must increase). */
  private lastAckOnConnection: string | undefined;

  constructor(
    readonly name: string,
    protected readonly url: () => string,
    protected readonly rng: Rng,
    private readonly ackTimeoutMs = 8000,
  ) {}

  /** Pause between one ack and the next send (spreads the traffic over the fault window). */
  paceMs = 0;

  protected abstract endpointUrl(base: string): string;
  protected abstract onFrame(event: string, data: Record<string, unknown>): void;

  /** Queues messages (sent in this order, one at a time). */
  enqueue(items: Outgoing[]): void {
    this.outbox.push(...items);
    this.sendHead();
  }

  get pending(): number {
    return this.outbox.length;
  }

  get connected(): boolean {
    return this.ws?.readyState === WebSocket.OPEN;
  }

  /** The base WebSocket URL of the instance this client is connected to (undefined when not connected). */
  get connectedTo(): string | undefined {
    return this.connected ? this.currentUrl : undefined;
  }

  start(): void {
    void this.connect();
  }

  /** Resolves once every queued message is acknowledged. */
  drain(): Promise<void> {
    if (this.outbox.length === 0) return Promise.resolve();
    return new Promise((resolve) => (this.drained = resolve));
  }

  /** Fault: drop the connection abruptly (no closing handshake); the client reconnects. */
  kill(): void {
    this.ws?.terminate();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.ackTimer);
    clearTimeout(this.retryTimer);
    const ws = this.ws;
    if (ws && ws.readyState !== WebSocket.CLOSED) {
      const closed = new Promise((resolve) => ws.once('close', resolve));
      ws.close();
      const timer = setTimeout(() => ws.terminate(), 2000);
      await closed;
      clearTimeout(timer);
    }
  }

  private async connect(): Promise<void> {
    if (this.connecting || this.stopped) return;
    this.connecting = true;
    try {
      while (!this.stopped) {
        this.currentUrl = this.url();
        const ws = new WebSocket(this.endpointUrl(this.currentUrl), { handshakeTimeout: 5000 });
        const opened = await new Promise<boolean>((resolve) => {
          // Attach at once: the greeting can arrive in the same chunk as the 101.
          ws.once('open', () => {
            this.attach(ws);
            resolve(true);
          });
          ws.once('unexpected-response', (_req, res) => {
            res.resume();
            ws.terminate();
            resolve(false);
          });
          ws.once('error', () => resolve(false));
        });
        if (opened) return;
        this.stats.refusedConnects += 1;
        await sleep(this.rng.int(100, 400));
      }
    } finally {
      this.connecting = false;
    }
  }

  private attach(ws: WebSocket): void {
    this.ws = ws;
    this.openedAt = Date.now();
    this.stats.connects += 1;
    this.inFlight = false;
    this.lastAckOnConnection = undefined;
    this.connectionOpened();
    ws.on('message', (raw, isBinary) => {
      if (isBinary) {
        this.violations.push({ client: this.name, what: 'binary frame from the server' });
        return;
      }
      const frame = JSON.parse(raw.toString()) as { event: string; data: Record<string, unknown> };
      this.handle(frame.event, frame.data);
    });
    ws.on('error', () => undefined);
    ws.on('close', (code) => {
      this.stats.closes[code] = (this.stats.closes[code] ?? 0) + 1;
      if (this.ws === ws) this.ws = undefined;
      this.inFlight = false;
      clearTimeout(this.ackTimer);
      if (!this.stopped) setTimeout(() => void this.connect(), this.rng.int(50, 300));
    });
  }

  /** Called when a connection opened, before any frame. */
  protected connectionOpened(): void {}

  /** Called once per message when its first ack arrives. */
  protected acknowledged(_messageId: string): void {}

  private handle(event: string, data: Record<string, unknown>): void {
    const head = this.outbox[0];
    const clientMessageId = data['clientMessageId'] as string | undefined;
    const isHead = head !== undefined && clientMessageId === head.clientMessageId;
    switch (event) {
      case 'connection:success':
        this.sendHead();
        break;
      case 'message:ack': {
        const messageId = String(data['messageId']);
        if (clientMessageId === undefined) {
          this.violations.push({ client: this.name, what: 'ack without clientMessageId' });
          break;
        }
        const known = this.acks.get(clientMessageId);
        if (known !== undefined && known !== messageId) {
          this.violations.push({ client: this.name, what: `${clientMessageId} acked as ${known} and as ${messageId}` });
        }
        if (data['duplicate'] === true) this.stats.duplicateAcks += 1;
        else {
          if (this.lastAckOnConnection !== undefined && !idLess(this.lastAckOnConnection, messageId)) {
            this.violations.push({ client: this.name, what: `ack ${messageId} after ${this.lastAckOnConnection}` });
          }
          this.lastAckOnConnection = messageId;
        }
        if (known === undefined) {
          this.acks.set(clientMessageId, messageId);
          this.stats.acknowledged += 1;
          this.acknowledged(messageId);
        }
        if (isHead) this.advance();
        break;
      }
      case 'error:unavailable':
        this.stats.unavailable += 1;
        if (isHead) this.retryLater(this.rng.int(100, 300));
        break;
      case 'error:rate_limited':
        this.stats.rateLimited += 1;
        if (isHead) this.retryLater(Number(data['retryAfterMs'] ?? 100));
        break;
      case 'error:invalid_payload':
        this.stats.invalid += 1;
        this.violations.push({ client: this.name, what: `invalid_payload: ${String(data['message'])}` });
        if (isHead) this.advance();
        break;
      default:
        this.onFrame(event, data);
    }
  }

  private advance(): void {
    clearTimeout(this.ackTimer);
    this.outbox.shift();
    this.inFlight = false;
    if (this.outbox.length === 0) {
      const drained = this.drained;
      this.drained = undefined;
      drained?.();
      return;
    }
    if (this.paceMs > 0) this.retryLater(this.rng.int(0, 2 * this.paceMs));
    else this.sendHead();
  }

  private retryLater(ms: number): void {
    clearTimeout(this.ackTimer);
    clearTimeout(this.retryTimer);
    this.waiting = true;
    this.retryTimer = setTimeout(() => {
      this.waiting = false;
      this.inFlight = false;
      this.sendHead();
    }, ms);
  }

  private sendHead(): void {
    const head = this.outbox[0];
    const ws = this.ws;
    if (!head || this.inFlight || this.waiting || !ws || ws.readyState !== WebSocket.OPEN) return;
    this.inFlight = true;
    this.stats.attempts += 1;
    ws.send(JSON.stringify({ event: this.sendEvent, data: { ...head.data, clientMessageId: head.clientMessageId } }));
    clearTimeout(this.ackTimer);
    this.ackTimer = setTimeout(() => {
      // No answer at all: treat the connection as dead, reconnect and resend.
      this.stats.ackTimeouts += 1;
      ws.terminate();
    }, this.ackTimeoutMs);
  }

  protected abstract readonly sendEvent: string;
}

/** A listener: sends `message:send`, records every `message:receive`. */
export class ChaosListener extends ChaosClient {
  protected readonly sendEvent = 'message:send';
  /** messageId → how many times it arrived (over all connections). */
  readonly received = new Map<string, number>();
  /** Replies that arrived on a connection opened after they were stored (replay), and the others (live). */
  replayed = 0;
  live = 0;
  private highest: string | undefined;
  private anchor: string | undefined;
  private lastOnConnection: string | undefined;
  /** Resume from the first own message while no reply arrived yet (as the SDK does). */
  useAnchor = true;

  constructor(
    name: string,
    url: () => string,
    rng: Rng,
    readonly sessionId: string,
    private readonly token: string,
    /** When each reply was acknowledged to its broadcaster (ms), to tell replay from live. */
    private readonly storedAt: Map<string, number>,
  ) {
    super(name, url, rng);
  }

  /** Resume point: the last reply received, or before any, this listener's first stored message. */
  get cursor(): string | undefined {
    return this.highest ?? this.anchor;
  }

  protected endpointUrl(base: string): string {
    const cursor = this.useAnchor ? this.cursor : this.highest;
    const last = cursor === undefined ? '' : `&lastMessageId=${cursor}`;
    return `${base}/livechat/ws?token=${encodeURIComponent(this.token)}${last}`;
  }

  protected override connectionOpened(): void {
    this.lastOnConnection = undefined;
  }

  protected override acknowledged(messageId: string): void {
    this.anchor ??= messageId;
  }

  protected onFrame(event: string, data: Record<string, unknown>): void {
    if (event !== 'message:receive') return;
    const messageId = String(data['messageId']);
    if (this.lastOnConnection !== undefined && !idLess(this.lastOnConnection, messageId)) {
      this.violations.push({ client: this.name, what: `receive ${messageId} after ${this.lastOnConnection}` });
    }
    this.lastOnConnection = messageId;
    this.received.set(messageId, (this.received.get(messageId) ?? 0) + 1);
    const stored = this.storedAt.get(messageId);
    if (stored !== undefined && stored < this.openedAt) this.replayed += 1;
    else this.live += 1;
    if (this.highest === undefined || idLess(this.highest, messageId)) this.highest = messageId;
  }
}

/** A broadcaster: sends `message:reply` to the sessions it is given, records `message:new`. */
export class ChaosBroadcaster extends ChaosClient {
  protected readonly sendEvent = 'message:reply';
  /** message:new frames, per connection: order must hold within one session. */
  private lastBySession = new Map<string, string>();
  messagesNew = 0;

  constructor(
    name: string,
    url: () => string,
    rng: Rng,
    private readonly token: string,
    private readonly storedAt: Map<string, number>,
  ) {
    super(name, url, rng);
  }

  protected endpointUrl(base: string): string {
    return `${base}/livechat/admin/ws?token=${encodeURIComponent(this.token)}`;
  }

  protected override connectionOpened(): void {
    this.lastBySession = new Map();
  }

  protected onFrame(event: string, data: Record<string, unknown>): void {
    if (event !== 'message:new') return;
    this.messagesNew += 1;
    const sessionId = String(data['sessionId']);
    const messageId = String(data['messageId']);
    const last = this.lastBySession.get(sessionId);
    if (last !== undefined && !idLess(last, messageId)) {
      this.violations.push({ client: this.name, what: `message:new ${messageId} after ${last} in one session` });
    }
    this.lastBySession.set(sessionId, messageId);
    if (data['direction'] === 'broadcaster' && !this.storedAt.has(messageId)) this.storedAt.set(messageId, Date.now());
  }

  protected override acknowledged(messageId: string): void {
    if (!this.storedAt.has(messageId)) this.storedAt.set(messageId, Date.now());
  }
}
