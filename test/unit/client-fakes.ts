/**
 * Test doubles for the client SDK's unit tests: a manual clock, a scripted
 * WebSocket and a network monitor that can be switched off and on.
 */
import type { NetworkMonitor, Timers, WebSocketLike } from '../../src/client/index.js';

export class FakeClock implements Timers {
  private current = 1_700_000_000_000;
  private seq = 0;
  private readonly pending = new Map<number, { at: number; seq: number; callback: () => void }>();

  now(): number {
    return this.current;
  }

  setTimeout(callback: () => void, ms: number): unknown {
    const id = ++this.seq;
    this.pending.set(id, { at: this.current + Math.max(0, ms), seq: id, callback });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.pending.delete(handle as number);
  }

  /** Moves time forward, running due timers in order (including ones they schedule). */
  advance(ms: number): void {
    const target = this.current + ms;
    for (;;) {
      let next: { id: number; at: number; seq: number; callback: () => void } | undefined;
      for (const [id, t] of this.pending) {
        if (t.at <= target && (!next || t.at < next.at || (t.at === next.at && t.seq < next.seq))) next = { id, ...t };
      }
      if (!next) break;
      this.pending.delete(next.id);
      this.current = next.at;
      next.callback();
    }
    this.current = target;
  }

  /** Delay of the earliest pending timer (undefined when none). */
  nextDelay(): number | undefined {
    let min: number | undefined;
    for (const t of this.pending.values()) if (min === undefined || t.at < min) min = t.at;
    return min === undefined ? undefined : min - this.current;
  }

  get timerCount(): number {
    return this.pending.size;
  }
}

export interface SentFrame {
  event: string;
  data: Record<string, unknown>;
}

export class FakeSocket implements WebSocketLike {
  static instances: FakeSocket[] = [];
  static reset(): void {
    FakeSocket.instances = [];
  }
  static get last(): FakeSocket {
    const socket = FakeSocket.instances[FakeSocket.instances.length - 1];
    if (!socket) throw new Error('no socket was opened');
    return socket;
  }

  readyState = 0;
  readonly sent: SentFrame[] = [];
  closedWith: number | undefined;
  onopen: ((event: unknown) => void) | null = null;
  onmessage: ((event: { data: unknown }) => void) | null = null;
  onclose: ((event: { code: number; reason: string }) => void) | null = null;
  onerror: ((event: unknown) => void) | null = null;

  constructor(readonly url: string) {
    FakeSocket.instances.push(this);
  }

  get query(): URLSearchParams {
    return new URL(this.url).searchParams;
  }

  send(data: string): void {
    if (this.readyState !== 1) throw new Error('not open');
    this.sent.push(JSON.parse(data) as SentFrame);
  }

  close(code?: number): void {
    this.closedWith = code ?? 1005;
    this.readyState = 3;
  }

  // ---- what the "server" does ----

  open(): void {
    this.readyState = 1;
    this.onopen?.({});
  }

  deliver(event: string, data: unknown): void {
    this.onmessage?.({ data: JSON.stringify({ event, data }) });
  }

  deliverRaw(data: unknown): void {
    this.onmessage?.({ data });
  }

  /** Opens and sends a listener `connection:success`. */
  acceptListener(sessionId = '11111111-1111-4111-8111-111111111111'): void {
    this.open();
    this.deliver('connection:success', {
      sessionId,
      name: 'Rina',
      city: 'Bandung',
      connectionId: 'c1',
      expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
    });
  }

  acceptBroadcaster(): void {
    this.open();
    this.deliver('connection:success', { adminId: '1', name: 'Penyiar Budi', role: 'penyiar', connectionId: 'c2' });
  }

  serverClose(code: number): void {
    this.readyState = 3;
    this.onclose?.({ code, reason: '' });
  }

  /** A failed handshake the way the `ws` package reports it. */
  refuse(status: number): void {
    this.readyState = 3;
    this.onerror?.({ message: `Unexpected server response: ${status}` });
    this.onclose?.({ code: 1006, reason: '' });
  }

  messages(event: string): Record<string, unknown>[] {
    return this.sent.filter((f) => f.event === event).map((f) => f.data);
  }
}

export class FakeNetwork implements NetworkMonitor {
  online = true;
  private listeners: { on: () => void; off: () => void }[] = [];

  isOnline(): boolean {
    return this.online;
  }

  subscribe(onOnline: () => void, onOffline: () => void): () => void {
    const entry = { on: onOnline, off: onOffline };
    this.listeners.push(entry);
    return () => {
      this.listeners = this.listeners.filter((l) => l !== entry);
    };
  }

  goOffline(): void {
    this.online = false;
    for (const l of [...this.listeners]) l.off();
  }

  goOnline(): void {
    this.online = true;
    for (const l of [...this.listeners]) l.on();
  }

  get subscribers(): number {
    return this.listeners.length;
  }
}

export const SESSION_A = '11111111-1111-4111-8111-111111111111';
export const SESSION_B = '22222222-2222-4222-8222-222222222222';

export function ack(
  clientMessageId: unknown,
  messageId: string,
  duplicate = false,
  text = 'teks',
): Record<string, unknown> {
  return {
    messageId,
    clientMessageId,
    createdAt: new Date().toISOString(),
    text,
    ...(duplicate ? { duplicate: true } : {}),
  };
}

/** Lets pending promise callbacks run. */
export async function flush(): Promise<void> {
  for (let i = 0; i < 5; i++) await Promise.resolve();
}
