/**
 * The outbox: every chat message the client sends lives here until the server
 * acknowledges it (`message:ack` means "stored").
 *
 * - Each message gets a `clientMessageId` once, and keeps it for every resend,
 *   so the server's dedup turns a resend of an already stored message into a
 *   `duplicate: true` ack instead of a second copy.
 * - Messages go out strictly one at a time, in the order they were queued: the
 *   next one is sent only after the previous one is acknowledged (or has
 *   failed). A refusal (rate limit, database down) can therefore never let a
 *   later message overtake an earlier one.
 * - An unacknowledged message is resent after `ackTimeoutMs`, and after every
 *   reconnect. After `maxAttempts` timeouts, or when the server calls it
 *   invalid, it is marked failed and kept: `retry()` queues it again with the
 *   same id.
 */
import { randomId, systemTimers, type Timers } from './environment.js';

export type DeliveryStatus = 'sending' | 'sent' | 'failed';
export type FailureReason = 'timeout' | 'invalid' | 'too_large' | 'closed' | 'session_ended';

export interface DeliveryUpdate<P> {
  clientMessageId: string;
  payload: P;
  status: DeliveryStatus;
  /** Number of times the message has been written to a socket so far. */
  attempts: number;
  /** Set once acknowledged. */
  messageId?: string;
  createdAt?: string;
  /** The text as stored (after cleaning), from the ack: what everyone else sees. */
  text?: string;
  duplicate?: boolean;
  /** Set when failed. */
  reason?: FailureReason;
  /** The server's explanation, when it sent one. */
  message?: string;
  /** Set while the server asked to wait (rate limit, storage unavailable). */
  retryAfterMs?: number;
}

export interface Acknowledgement {
  clientMessageId: string;
  messageId: string;
  createdAt: string;
  /** The text as stored (after cleaning): what everyone else sees. */
  text: string;
  duplicate: boolean;
}

/** Rejection reason of {@link OutgoingMessage.ack}. */
export class DeliveryError extends Error {
  constructor(
    readonly clientMessageId: string,
    readonly reason: FailureReason,
    message?: string,
  ) {
    super(message ?? `message ${clientMessageId} was not delivered (${reason})`);
    this.name = 'DeliveryError';
  }
}

/** What `send` returns: the id, and a promise settled by the ack or by failure. */
export interface OutgoingMessage<P> {
  clientMessageId: string;
  payload: P;
  /** Resolves on `message:ack`; rejects with a {@link DeliveryError} when the message is marked failed. */
  ack: Promise<Acknowledgement>;
}

export interface PendingMessage<P> {
  clientMessageId: string;
  payload: P;
  status: 'sending' | 'failed';
}

export interface OutboxOptions<P> {
  /** Writes one message to the socket; returns false when there is no open socket. */
  transmit(clientMessageId: string, payload: P): boolean;
  onUpdate?(update: DeliveryUpdate<P>): void;
  /** Optional local check run before queuing; a reason fails the message at once. */
  validate?(clientMessageId: string, payload: P): FailureReason | undefined;
  /** How long to wait for an ack before resending. Default 10 000 ms. */
  ackTimeoutMs?: number;
  /** Ack timeouts (or `error:unavailable` answers) after which a message is marked failed. Default 3. */
  maxAttempts?: number;
  /** First wait after `error:unavailable`; doubles per attempt. Default 1 000 ms. */
  unavailableRetryMs?: number;
  timers?: Timers;
  newId?: () => string;
}

interface Entry<P> {
  clientMessageId: string;
  payload: P;
  attempts: number;
  /** Timeouts and unavailable answers so far (towards maxAttempts). */
  misses: number;
  resolve: (ack: Acknowledgement) => void;
  reject: (error: DeliveryError) => void;
  ack: Promise<Acknowledgement>;
}

export class Outbox<P> {
  private readonly queue: Entry<P>[] = [];
  private readonly failed = new Map<string, Entry<P>>();
  private connected = false;
  private inFlight: Entry<P> | undefined;
  private ackTimer: unknown;
  private pauseTimer: unknown;
  private readonly timers: Timers;
  private readonly ackTimeoutMs: number;
  private readonly maxAttempts: number;
  private readonly unavailableRetryMs: number;

  constructor(private readonly options: OutboxOptions<P>) {
    this.timers = options.timers ?? systemTimers;
    this.ackTimeoutMs = options.ackTimeoutMs ?? 10_000;
    this.maxAttempts = options.maxAttempts ?? 3;
    this.unavailableRetryMs = options.unavailableRetryMs ?? 1_000;
  }

  /** Queues a message (a new id unless one is given) and sends it when its turn comes. */
  enqueue(payload: P, clientMessageId?: string): OutgoingMessage<P> {
    const id = clientMessageId ?? (this.options.newId ?? randomId)();
    const existing = this.queue.find((e) => e.clientMessageId === id);
    if (existing) return this.handle(existing);
    const entry = this.createEntry(id, payload);
    this.failed.delete(id);
    const problem = this.options.validate?.(id, payload);
    if (problem) {
      this.fail(entry, problem);
      return this.handle(entry);
    }
    this.queue.push(entry);
    this.update(entry, { status: 'sending' });
    this.pump();
    return this.handle(entry);
  }

  /** Puts back messages kept from an earlier run (e.g. after a page reload), in order. */
  restore(messages: readonly PendingMessage<P>[]): OutgoingMessage<P>[] {
    return messages.map((m) => {
      if (m.status === 'failed') {
        const entry = this.createEntry(m.clientMessageId, m.payload);
        this.failed.set(entry.clientMessageId, entry);
        entry.reject(new DeliveryError(entry.clientMessageId, 'timeout'));
        return this.handle(entry);
      }
      return this.enqueue(m.payload, m.clientMessageId);
    });
  }

  /** Queues a failed message again, with the same clientMessageId. */
  retry(clientMessageId: string): OutgoingMessage<P> | undefined {
    const entry = this.failed.get(clientMessageId);
    if (!entry) {
      const queued = this.queue.find((e) => e.clientMessageId === clientMessageId);
      return queued ? this.handle(queued) : undefined;
    }
    this.failed.delete(clientMessageId);
    return this.enqueue(entry.payload, clientMessageId);
  }

  /** Forgets a failed message (the user gave up on it). */
  discard(clientMessageId: string): boolean {
    return this.failed.delete(clientMessageId);
  }

  /** Messages not yet acknowledged, in order (failed ones last). */
  pending(): PendingMessage<P>[] {
    return [
      ...this.queue.map((e) => ({
        clientMessageId: e.clientMessageId,
        payload: e.payload,
        status: 'sending' as const,
      })),
      ...[...this.failed.values()].map((e) => ({
        clientMessageId: e.clientMessageId,
        payload: e.payload,
        status: 'failed' as const,
      })),
    ];
  }

  /** The transport is ready (after `connection:success`): (re)send from the head of the queue. */
  connectionOpened(): void {
    this.connected = true;
    this.pump();
  }

  /** The transport is gone: the message in flight will be resent on the next connection. */
  connectionLost(): void {
    this.connected = false;
    this.inFlight = undefined;
    this.clearAckTimer();
  }

  /** Handles `message:ack`. Returns true when the ack matched a queued or failed message. */
  acknowledge(ack: {
    clientMessageId?: string;
    messageId: string;
    createdAt: string;
    text: string;
    duplicate?: boolean;
  }): boolean {
    const id = ack.clientMessageId;
    if (id === undefined) return false;
    let entry: Entry<P> | undefined;
    const index = this.queue.findIndex((e) => e.clientMessageId === id);
    if (index >= 0) {
      entry = this.queue.splice(index, 1)[0];
    } else {
      entry = this.failed.get(id);
      this.failed.delete(id);
    }
    if (!entry) return false;
    if (this.inFlight === entry) {
      this.inFlight = undefined;
      this.clearAckTimer();
    }
    const result: Acknowledgement = {
      clientMessageId: id,
      messageId: ack.messageId,
      createdAt: ack.createdAt,
      text: ack.text,
      duplicate: ack.duplicate === true,
    };
    this.update(entry, {
      status: 'sent',
      messageId: ack.messageId,
      createdAt: ack.createdAt,
      text: ack.text,
      duplicate: result.duplicate,
    });
    entry.resolve(result);
    this.pump();
    return true;
  }

  /**
   * `error:invalid_payload` (or `error:session_ended`, `reason`) about a
   * message: it will never be accepted, so it fails now.
   */
  rejectInvalid(clientMessageId: string, message: string, reason: FailureReason = 'invalid'): boolean {
    const entry = this.take(clientMessageId);
    if (!entry) return false;
    this.fail(entry, reason, message);
    this.pump();
    return true;
  }

  /** `error:rate_limited` about a message: not stored; wait `retryAfterMs`, then resend it (still first in line). */
  rateLimited(clientMessageId: string, retryAfterMs: number): boolean {
    const entry = this.queue.find((e) => e.clientMessageId === clientMessageId);
    if (!entry) return false;
    this.pause(entry, Math.max(retryAfterMs, 50));
    return true;
  }

  /** `error:unavailable` about a message: not stored; resend after a growing wait, failing after maxAttempts. */
  unavailable(clientMessageId: string, message: string): boolean {
    const entry = this.queue.find((e) => e.clientMessageId === clientMessageId);
    if (!entry) return false;
    entry.misses += 1;
    if (entry.misses >= this.maxAttempts) {
      this.take(clientMessageId);
      this.fail(entry, 'timeout', message);
      this.pump();
      return true;
    }
    this.pause(entry, this.unavailableRetryMs * 2 ** (entry.misses - 1));
    return true;
  }

  /** Stops everything: pending acks reject with reason "closed"; `pending()` still lists the messages. */
  close(): void {
    this.connectionLost();
    if (this.pauseTimer !== undefined) this.timers.clearTimeout(this.pauseTimer);
    this.pauseTimer = undefined;
    for (const entry of this.queue) entry.reject(new DeliveryError(entry.clientMessageId, 'closed'));
  }

  get size(): number {
    return this.queue.length;
  }

  // -------------------------------------------------------------------------

  private pump(): void {
    if (!this.connected || this.inFlight || this.pauseTimer !== undefined) return;
    const head = this.queue[0];
    if (!head) return;
    if (!this.options.transmit(head.clientMessageId, head.payload)) return;
    head.attempts += 1;
    this.inFlight = head;
    this.ackTimer = this.timers.setTimeout(() => this.onAckTimeout(head), this.ackTimeoutMs);
  }

  private onAckTimeout(entry: Entry<P>): void {
    this.ackTimer = undefined;
    if (this.inFlight !== entry) return;
    this.inFlight = undefined;
    entry.misses += 1;
    if (entry.misses >= this.maxAttempts) {
      this.take(entry.clientMessageId);
      this.fail(entry, 'timeout');
    } else {
      this.update(entry, { status: 'sending' });
    }
    this.pump();
  }

  private pause(entry: Entry<P>, ms: number): void {
    if (this.inFlight === entry) {
      this.inFlight = undefined;
      this.clearAckTimer();
    }
    if (this.pauseTimer !== undefined) this.timers.clearTimeout(this.pauseTimer);
    this.update(entry, { status: 'sending', retryAfterMs: ms });
    this.pauseTimer = this.timers.setTimeout(() => {
      this.pauseTimer = undefined;
      this.pump();
    }, ms);
  }

  private take(clientMessageId: string): Entry<P> | undefined {
    const index = this.queue.findIndex((e) => e.clientMessageId === clientMessageId);
    if (index < 0) return undefined;
    const [entry] = this.queue.splice(index, 1);
    if (this.inFlight === entry) {
      this.inFlight = undefined;
      this.clearAckTimer();
    }
    return entry;
  }

  private fail(entry: Entry<P>, reason: FailureReason, message?: string): void {
    this.failed.set(entry.clientMessageId, entry);
    this.update(entry, { status: 'failed', reason, ...(message !== undefined ? { message } : {}) });
    entry.reject(new DeliveryError(entry.clientMessageId, reason, message));
  }

  private clearAckTimer(): void {
    if (this.ackTimer !== undefined) this.timers.clearTimeout(this.ackTimer);
    this.ackTimer = undefined;
  }

  private createEntry(clientMessageId: string, payload: P): Entry<P> {
    let resolve!: (ack: Acknowledgement) => void;
    let reject!: (error: DeliveryError) => void;
    const ack = new Promise<Acknowledgement>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    // Nobody may be waiting on this promise; a failure must not become an unhandled rejection.
    ack.catch(() => undefined);
    return { clientMessageId, payload, attempts: 0, misses: 0, resolve, reject, ack };
  }

  private handle(entry: Entry<P>): OutgoingMessage<P> {
    return { clientMessageId: entry.clientMessageId, payload: entry.payload, ack: entry.ack };
  }

  private update(entry: Entry<P>, change: Omit<DeliveryUpdate<P>, 'clientMessageId' | 'payload' | 'attempts'>): void {
    this.options.onUpdate?.({
      clientMessageId: entry.clientMessageId,
      payload: entry.payload,
      attempts: entry.attempts,
      ...change,
    });
  }
}
