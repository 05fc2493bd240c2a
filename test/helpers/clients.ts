/**
 * Test clients: a WebSocket wrapper that records frames and waits for events,
 * a probe that reports the HTTP status of a refused upgrade, and REST shortcuts.
 */
import WebSocket from 'ws';
import type { TestServer } from './server.js';

export interface ReceivedFrame {
  event: string;
  data: Record<string, unknown>;
}

export class TestSocket {
  readonly frames: ReceivedFrame[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  private waiters: (() => void)[] = [];

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (raw, isBinary) => {
      if (isBinary) throw new Error('server sent a binary frame');
      this.frames.push(JSON.parse(raw.toString()) as ReceivedFrame);
      this.wake();
    });
    this.closed = new Promise((resolve) =>
      ws.on('close', (code, reason) => {
        resolve({ code, reason: reason.toString() });
        this.wake();
      }),
    );
  }

  static open(url: string, options: { origin?: string; headers?: Record<string, string> } = {}): Promise<TestSocket> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, {
        headers: options.headers,
        ...(options.origin ? { origin: options.origin } : {}),
      });
      const socket = new TestSocket(ws);
      ws.once('open', () => resolve(socket));
      ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused with HTTP ${res.statusCode}`)));
      ws.once('error', reject);
    });
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }

  /**
   * The next not yet consumed frame with this event (and matching `where`, when given); frames of
   * other events are skipped over, not consumed.
   */
  async next(
    event: string,
    timeoutMs = 5000,
    where: (data: Record<string, unknown>) => boolean = () => true,
  ): Promise<Record<string, unknown>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const index = this.frames.findIndex((f, i) => f.event === event && !this.taken.has(i) && where(f.data));
      if (index !== -1) {
        this.taken.add(index);
        return this.frames[index]!.data;
      }
      if (this.ws.readyState === WebSocket.CLOSED) throw new Error(`socket closed while waiting for ${event}`);
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(`timed out waiting for ${event}; got ${JSON.stringify(this.frames.map((f) => f.event))}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }
  private readonly taken = new Set<number>();

  /** Frames of one event received so far. */
  all(event: string): Record<string, unknown>[] {
    return this.frames.filter((f) => f.event === event).map((f) => f.data);
  }

  /** Waits `ms` and returns the frames of `event` that arrived meanwhile. */
  async collect(event: string, ms: number): Promise<Record<string, unknown>[]> {
    const before = this.frames.length;
    await new Promise((resolve) => setTimeout(resolve, ms));
    return this.frames
      .slice(before)
      .filter((f) => f.event === event)
      .map((f) => f.data);
  }

  send(event: string, data: unknown): void {
    this.ws.send(JSON.stringify({ event, data }));
  }

  sendRaw(raw: string | Buffer, binary = false): void {
    this.ws.send(raw, { binary });
  }

  async close(): Promise<void> {
    if (this.ws.readyState !== WebSocket.CLOSED) this.ws.close();
    await this.closed;
  }
}

/** The HTTP status an upgrade gets: 101 when a WebSocket opened, else the refusal's status. */
export function upgradeStatus(url: string, options: { origin?: string } = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, options.origin ? { origin: options.origin } : {});
    ws.once('open', () => {
      ws.terminate();
      resolve(101);
    });
    ws.once('unexpected-response', (_req, res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
      ws.terminate();
    });
    ws.once('error', (error) => reject(error));
  });
}

export async function json(
  url: string,
  init: { method?: string; body?: unknown; token?: string; headers?: Record<string, string> } = {},
): Promise<{ status: number; body: any; headers: Headers }> {
  const response = await fetch(url, {
    method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
    headers: {
      ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(init.token ? { authorization: `Bearer ${init.token}` } : {}),
      ...init.headers,
    },
    body: init.body === undefined ? undefined : typeof init.body === 'string' ? init.body : JSON.stringify(init.body),
  });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON (e.g. metrics)
  }
  return { status: response.status, body, headers: response.headers };
}

export async function createSession(
  server: Pick<TestServer, 'baseUrl'>,
  name = 'Budi',
  city = 'Bandung',
): Promise<{ sessionId: string; sessionToken: string; expiresAt: string }> {
  const { status, body } = await json(`${server.baseUrl}/livechat/session`, { body: { name, city } });
  if (status !== 201) throw new Error(`session creation failed: ${status} ${JSON.stringify(body)}`);
  return body;
}

export async function loginAdmin(server: Pick<TestServer, 'baseUrl' | 'admin'>): Promise<string> {
  const { status, body } = await json(`${server.baseUrl}/livechat/admin/login`, {
    body: { username: server.admin.username, password: server.admin.password },
  });
  if (status !== 200) throw new Error(`login failed: ${status} ${JSON.stringify(body)}`);
  return body.token;
}

export const listenerUrl = (server: Pick<TestServer, 'wsUrl'>, token: string, lastMessageId?: string): string =>
  `${server.wsUrl}/livechat/ws?token=${encodeURIComponent(token)}${lastMessageId ? `&lastMessageId=${encodeURIComponent(lastMessageId)}` : ''}`;
export const adminUrl = (server: Pick<TestServer, 'wsUrl'>, token: string): string =>
  `${server.wsUrl}/livechat/admin/ws?token=${encodeURIComponent(token)}`;

/** A new listener session with its socket open and `connection:success` received. */
export async function connectListener(
  server: Pick<TestServer, 'baseUrl' | 'wsUrl'>,
  name?: string,
): Promise<{ session: Awaited<ReturnType<typeof createSession>>; socket: TestSocket }> {
  const session = await createSession(server, name);
  const socket = await TestSocket.open(listenerUrl(server, session.sessionToken));
  await socket.next('connection:success');
  return { session, socket };
}
