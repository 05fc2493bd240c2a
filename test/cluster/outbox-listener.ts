/**
 * A listener client for crash tests, written against the contract alone: it
 * sends numbered messages with a window of several unacknowledged ones in
 * flight (so that an instance dying mid-traffic leaves some stored but not
 * acknowledged, and some not stored at all), keeps every unacknowledged
 * message in an outbox, and when its connection drops it reconnects to the
 * next instance that accepts it and resends the outbox in order, each message
 * with its first clientMessageId — the server's dedup makes that safe.
 */
import WebSocket from 'ws';
import { sleep } from '../helpers/wait.js';

export interface OutboxListenerOptions {
  /** For the clientMessageIds (`<label>-<n>`) and error messages. */
  label: string;
  sessionToken: string;
  /** The instances' `ws://host:port` bases, in order of preference; a dead one is skipped. */
  wsUrls: () => string[];
  /** Messages to send in all. */
  total: number;
  /** Unacknowledged messages allowed in flight at once. */
  window: number;
  /** At least this long between two new messages. */
  paceMs: number;
  /** Reconnection attempts before giving up (bounded). Default 200. */
  maxAttempts?: number;
}

export interface Acked {
  messageId: string;
  duplicate: boolean;
}

export class OutboxListener {
  /** clientMessageId → first ack. */
  readonly acked = new Map<string, Acked>();
  /** Unacknowledged clientMessageIds, oldest first. */
  readonly outbox: string[] = [];
  readonly stats = { writes: 0, resends: 0, duplicateAcks: 0, reconnects: 0, connections: 0 };
  /** Anything the server refused, or an ack that contradicts an earlier one. */
  readonly problems: string[] = [];
  /** The instance base URL of each connection, in order. */
  readonly connectedTo: string[] = [];
  readonly done: Promise<void>;

  private socket: WebSocket | undefined;
  private next = 0;
  private lastSendAt = 0;
  private attempts = 0;
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;
  private resolveDone!: () => void;
  private rejectDone!: (error: Error) => void;

  constructor(private readonly options: OutboxListenerOptions) {
    this.done = new Promise((resolve, reject) => {
      this.resolveDone = resolve;
      this.rejectDone = reject;
    });
    // Nobody awaiting yet must not count as unhandled.
    this.done.catch(() => undefined);
  }

  clientMessageId(n: number): string {
    return `${this.options.label}-${n}`;
  }

  /** Connects to the first instance that accepts and starts sending. */
  start(): void {
    void this.connect();
    this.timer = setInterval(() => this.pump(), Math.max(1, this.options.paceMs));
  }

  /** Stops sending and reconnecting; closes the socket. (Finishing does not close it: presence stays as it is.) */
  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
    this.socket?.close();
  }

  /** Messages written at least once and not acknowledged. */
  get inFlight(): number {
    return this.outbox.length;
  }

  private async connect(): Promise<void> {
    while (!this.stopped) {
      if (++this.attempts > (this.options.maxAttempts ?? 200)) {
        this.fail(new Error(`${this.options.label}: no instance accepted a connection`));
        return;
      }
      for (const base of this.options.wsUrls()) {
        const socket = await this.tryOpen(base);
        if (!socket) continue;
        if (this.stopped) {
          socket.close();
          return;
        }
        this.attach(socket, base);
        return;
      }
      await sleep(50);
    }
  }

  /** Resolves with an open socket that got `connection:success`, or undefined. */
  private tryOpen(base: string): Promise<WebSocket | undefined> {
    return new Promise((resolve) => {
      const socket = new WebSocket(`${base}/livechat/ws?token=${encodeURIComponent(this.options.sessionToken)}`);
      const give = (value: WebSocket | undefined) => {
        clearTimeout(timer);
        socket.off('message', greeting);
        resolve(value);
      };
      const timer = setTimeout(() => {
        socket.terminate();
        give(undefined);
      }, 3000);
      const greeting = (raw: WebSocket.RawData) => {
        const frame = JSON.parse(raw.toString()) as { event: string };
        if (frame.event === 'connection:success') give(socket);
      };
      socket.on('message', greeting);
      socket.once('error', () => give(undefined));
      socket.once('close', () => give(undefined));
    });
  }

  private attach(socket: WebSocket, base: string): void {
    this.socket = socket;
    this.stats.connections += 1;
    if (this.connectedTo.length > 0) this.stats.reconnects += 1;
    this.connectedTo.push(base);
    this.attempts = 0;
    socket.on('message', (raw) => this.onFrame(JSON.parse(raw.toString()) as { event: string; data: any }));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      if (this.socket !== socket) return;
      this.socket = undefined;
      if (!this.stopped && this.acked.size < this.options.total) void this.connect();
    });
    // Everything not acknowledged goes again, in order, with its first id.
    for (const id of this.outbox) {
      this.write(id);
      this.stats.resends += 1;
    }
    this.pump();
  }

  private pump(): void {
    if (this.stopped || !this.socket || this.socket.readyState !== WebSocket.OPEN) return;
    if (this.next >= this.options.total || this.outbox.length >= this.options.window) return;
    if (Date.now() - this.lastSendAt < this.options.paceMs) return;
    const id = this.clientMessageId(this.next++);
    this.outbox.push(id);
    this.write(id);
    this.lastSendAt = Date.now();
  }

  private write(id: string): void {
    this.stats.writes += 1;
    this.socket!.send(JSON.stringify({ event: 'message:send', data: { text: `pesan ${id}`, clientMessageId: id } }));
  }

  private onFrame(frame: { event: string; data: any }): void {
    if (frame.event === 'message:ack') {
      const id = String(frame.data.clientMessageId);
      const ack: Acked = { messageId: String(frame.data.messageId), duplicate: frame.data.duplicate === true };
      if (ack.duplicate) this.stats.duplicateAcks += 1;
      const earlier = this.acked.get(id);
      if (earlier && earlier.messageId !== ack.messageId) {
        this.problems.push(`${id} acknowledged as ${earlier.messageId} and then as ${ack.messageId}`);
      }
      if (!earlier) this.acked.set(id, ack);
      const index = this.outbox.indexOf(id);
      if (index !== -1) this.outbox.splice(index, 1);
      if (this.acked.size === this.options.total) {
        // Done sending; the connection stays open until stop().
        clearInterval(this.timer);
        this.resolveDone();
      }
    } else if (frame.event.startsWith('error:')) {
      this.problems.push(`${frame.event} ${JSON.stringify(frame.data)}`);
    }
  }

  private fail(error: Error): void {
    this.stop();
    this.rejectDone(error);
  }
}
