/**
 * The live-show data of the dashboard: the open song requests and the on-air
 * queue, loaded over REST and kept current by `message:new` (a new request),
 * `request:update` and `onair:update` (the whole queue, newest revision wins).
 */
import type { BroadcasterServerEvents, Message } from '../../../../src/client/index.js';

export type OnAirQueue = BroadcasterServerEvents['onair:update'];
export type OnAirItem = OnAirQueue['items'][number];
export interface RequestGroup {
  requestId: string;
  title: string;
  artist: string;
  count: number;
  status: 'open' | 'played' | 'skipped';
  messageIds: string[];
}

/** Requests arriving together (a busy minute) reload the list once. */
const REQUESTS_RELOAD_MS = 400;

export class ShowData {
  requests: RequestGroup[] = [];
  queue: OnAirQueue = { items: [], revision: -1 };
  private reloadTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly token: () => string | undefined,
    private readonly changed: (what: 'requests' | 'queue') => void,
  ) {}

  /** Loads both (at start and after every reconnect: what was missed meanwhile). */
  async load(): Promise<void> {
    await Promise.all([this.loadRequests(), this.loadQueue()]);
  }

  async loadRequests(): Promise<void> {
    const body = await this.call<{ requests: RequestGroup[] }>('GET', '/livechat/admin/requests?status=open');
    this.requests = body.requests;
    this.changed('requests');
  }

  async loadQueue(): Promise<void> {
    this.applyQueue(await this.call<OnAirQueue>('GET', '/livechat/admin/onair'));
  }

  onMessage(message: Message): void {
    if (!message.request) return;
    clearTimeout(this.reloadTimer);
    this.reloadTimer = setTimeout(() => void this.loadRequests().catch(() => undefined), REQUESTS_RELOAD_MS);
  }

  onRequestUpdate(update: BroadcasterServerEvents['request:update']): void {
    if (update.status === 'open') {
      void this.loadRequests().catch(() => undefined);
      return;
    }
    const before = this.requests.length;
    this.requests = this.requests.filter((group) => group.requestId !== update.requestId);
    if (this.requests.length !== before) this.changed('requests');
  }

  /** A queue newer than the one shown replaces it (updates from two instances may cross). */
  applyQueue(queue: OnAirQueue): void {
    if (queue.revision < this.queue.revision) return;
    this.queue = queue;
    this.changed('queue');
  }

  async setRequestStatus(requestId: string, status: 'played' | 'skipped'): Promise<void> {
    await this.call('POST', `/livechat/admin/requests/${encodeURIComponent(requestId)}`, { status });
    this.onRequestUpdate({ requestId, status, count: 0 });
  }

  async setState(messageId: string, state: 'queued' | 'on_air' | 'used' | 'removed'): Promise<void> {
    this.applyQueue(
      await this.call<OnAirQueue>('POST', `/livechat/admin/messages/${encodeURIComponent(messageId)}/onair`, {
        state,
      }),
    );
  }

  /** Moves an item by `delta` places; false when it cannot move that way. */
  async move(messageId: string, delta: -1 | 1): Promise<boolean> {
    const ids = this.queue.items.map((item) => item.message.messageId);
    const from = ids.indexOf(messageId);
    const to = from + delta;
    if (from === -1 || to < 0 || to >= ids.length) return false;
    [ids[from], ids[to]] = [ids[to]!, ids[from]!];
    this.applyQueue(await this.call<OnAirQueue>('PUT', '/livechat/admin/onair/order', { messageIds: ids }));
    return true;
  }

  stop(): void {
    clearTimeout(this.reloadTimer);
    this.requests = [];
    this.queue = { items: [], revision: -1 };
  }

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const token = this.token();
    if (!token) throw new Error('not logged in');
    const response = await fetch(path, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    if (!response.ok) throw new Error(`${method} ${path}: ${response.status}`);
    return (await response.json()) as T;
  }
}
