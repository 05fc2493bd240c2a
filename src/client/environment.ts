/**
 * The few things the SDK needs from its environment, as small interfaces so
 * that browsers, Node 20 (with the `ws` package) and tests can all supply them.
 */

/**
 * An event handler property. Declared through a method so that its parameter
 * is checked bivariantly: the browser's and `ws`'s handlers, which take their
 * own richer event types, both fit.
 */
export type EventHandler<E> = { bivarianceHack(event: E): void }['bivarianceHack'];

/** The part of the WHATWG WebSocket interface the SDK uses (browsers and `ws` both fit). */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: EventHandler<unknown> | null;
  onmessage: EventHandler<{ data: unknown }> | null;
  onclose: EventHandler<{ code: number; reason: string }> | null;
  onerror: EventHandler<unknown> | null;
}

/** A WebSocket constructor: `globalThis.WebSocket` in browsers, `import { WebSocket } from 'ws'` in Node. */
export type WebSocketConstructor = new (url: string) => WebSocketLike;

/** `fetch` as far as the SDK uses it. */
export type FetchLike = (
  input: string,
  init?: { method?: string; headers?: Record<string, string>; body?: string; signal?: AbortSignal },
) => Promise<{ ok: boolean; status: number; json(): Promise<unknown>; text(): Promise<string> }>;

/** Timer functions; injectable so tests can drive time by hand. */
export interface Timers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  now(): number;
}

export const systemTimers: Timers = {
  setTimeout: (callback, ms) => globalThis.setTimeout(callback, ms),
  clearTimeout: (handle) => globalThis.clearTimeout(handle as ReturnType<typeof setTimeout>),
  now: () => Date.now(),
};

/**
 * Network reachability as the browser reports it (`navigator.onLine` and the
 * window's `online` / `offline` events). A page becoming visible again counts
 * as "online" too: a waiting reconnect happens at once rather than after the
 * backoff (browsers slow timers down in hidden tabs).
 */
export interface NetworkMonitor {
  isOnline(): boolean;
  /** Calls the callbacks on changes; returns an unsubscribe function. */
  subscribe(onOnline: () => void, onOffline: () => void): () => void;
}

interface EventTargetish {
  addEventListener(type: string, listener: () => void): void;
  removeEventListener(type: string, listener: () => void): void;
}

/** The browser's monitor, or `undefined` outside a browser (Node: always "online"). */
export function browserNetworkMonitor(): NetworkMonitor | undefined {
  const g = globalThis as unknown as {
    window?: EventTargetish;
    document?: EventTargetish & { visibilityState?: string };
    navigator?: { onLine?: boolean };
  };
  const target = g.window;
  if (!target || typeof target.addEventListener !== 'function') return undefined;
  const page = g.document;
  const isOnline = () => g.navigator?.onLine !== false;
  return {
    isOnline,
    subscribe(onOnline, onOffline) {
      const onVisible = () => {
        if (page?.visibilityState === 'visible' && isOnline()) onOnline();
      };
      target.addEventListener('online', onOnline);
      target.addEventListener('offline', onOffline);
      page?.addEventListener('visibilitychange', onVisible);
      return () => {
        target.removeEventListener('online', onOnline);
        target.removeEventListener('offline', onOffline);
        page?.removeEventListener('visibilitychange', onVisible);
      };
    },
  };
}

/** `globalThis.WebSocket` when there is one (browsers, and Node 22+). */
export function defaultWebSocket(): WebSocketConstructor | undefined {
  const ctor = (globalThis as { WebSocket?: unknown }).WebSocket;
  return typeof ctor === 'function' ? (ctor as WebSocketConstructor) : undefined;
}

export function defaultFetch(): FetchLike | undefined {
  const f = (globalThis as { fetch?: unknown }).fetch;
  return typeof f === 'function' ? (f.bind(globalThis) as FetchLike) : undefined;
}

/** A random clientMessageId (UUID v4 where the platform has one). */
export function randomId(): string {
  const c = (globalThis as { crypto?: { randomUUID?: () => string; getRandomValues?: (a: Uint8Array) => Uint8Array } })
    .crypto;
  if (c?.randomUUID) {
    try {
      return c.randomUUID();
    } catch {
      // randomUUID throws in insecure browser contexts; fall through.
    }
  }
  const bytes = new Uint8Array(16);
  if (c?.getRandomValues) c.getRandomValues(bytes);
  else for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(Math.random() * 256);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** `http(s)://host[:port][/prefix]` → `ws(s)://host[:port][/prefix]` + path. */
export function toWebSocketUrl(baseUrl: string, path: string, query: Record<string, string | undefined>): string {
  const url = new URL(path.replace(/^\//, ''), baseUrl.endsWith('/') ? baseUrl : baseUrl + '/');
  if (url.protocol === 'http:') url.protocol = 'ws:';
  else if (url.protocol === 'https:') url.protocol = 'wss:';
  for (const [key, value] of Object.entries(query)) if (value !== undefined) url.searchParams.set(key, value);
  return url.toString();
}

export function httpUrl(baseUrl: string, path: string): string {
  return new URL(path.replace(/^\//, ''), baseUrl.endsWith('/') ? baseUrl : baseUrl + '/').toString();
}
