/**
 * Where the widget keeps its session: in a cross-site iframe the browser
 * refuses (or partitions) the frame's own storage, so when embedded by the
 * loader (web/public/embed.js) the host page keeps it, in its first-party
 * localStorage, and hands it over with postMessage. Messages go only to the
 * embedding page's origin and are taken only from it (the parent window);
 * the loader likewise talks only to the chat server's origin. Outside a
 * frame, or without an answering loader, this origin's localStorage is used,
 * and without that, memory: the widget works without storage of its own.
 */
import { store } from '../shared/dom.js';

/** How long to wait for the loader to answer before using the frame's own storage. */
const HOST_ANSWER_MS = 700;
const PREFIX = 'suara-pendengar:';

export interface WidgetStorage {
  get<T>(key: string): T | undefined;
  set(key: string, value: unknown): void;
  remove(key: string): void;
  /** Where it keeps things: `host` (the embedding page), `local` or `memory`. */
  readonly where: 'host' | 'local' | 'memory';
}

/** The origin of the page embedding this frame, when there is one. */
function parentOrigin(): string | undefined {
  if (window.parent === window) return undefined;
  const ancestors = (location as Location & { ancestorOrigins?: DOMStringList }).ancestorOrigins;
  const origin = ancestors?.[0] ?? (document.referrer ? new URL(document.referrer).origin : undefined);
  return origin && origin !== 'null' ? origin : undefined;
}

/** Connects to the host page's storage; resolves once the values are known. */
export async function openWidgetStorage(): Promise<WidgetStorage> {
  const host = parentOrigin();
  if (host !== undefined) {
    const values = await askHost(host);
    if (values !== undefined) return hostStorage(host, values);
  }
  return localOrMemory();
}

function askHost(host: string): Promise<Record<string, unknown> | undefined> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => finish(undefined), HOST_ANSWER_MS);
    function finish(values: Record<string, unknown> | undefined): void {
      clearTimeout(timer);
      window.removeEventListener('message', onMessage);
      resolve(values);
    }
    function onMessage(event: MessageEvent): void {
      if (event.source !== window.parent || event.origin !== host) return;
      const data = event.data as { type?: unknown; values?: unknown } | null;
      if (data?.type !== `${PREFIX}state` || typeof data.values !== 'object' || data.values === null) return;
      finish(data.values as Record<string, unknown>);
    }
    window.addEventListener('message', onMessage);
    window.parent.postMessage({ type: `${PREFIX}hello` }, host);
  });
}

function hostStorage(host: string, values: Record<string, unknown>): WidgetStorage {
  const post = (message: object) => window.parent.postMessage(message, host);
  return {
    where: 'host',
    get: <T>(key: string) => values[key] as T | undefined,
    set(key, value) {
      values[key] = value;
      post({ type: `${PREFIX}set`, key, value: JSON.stringify(value) });
    },
    remove(key) {
      delete values[key];
      post({ type: `${PREFIX}remove`, key });
    },
  };
}

function localOrMemory(): WidgetStorage {
  let usable = false;
  try {
    localStorage.setItem(`${PREFIX}probe`, '1');
    localStorage.removeItem(`${PREFIX}probe`);
    usable = true;
  } catch {
    // Refused (a cross-site frame, privacy settings): keep it in memory.
  }
  if (usable) {
    const key = (name: string) => `${PREFIX}widget:${name}`;
    return {
      where: 'local',
      get: <T>(name: string) => store.get<T>(key(name)),
      set: (name, value) => store.set(key(name), value),
      remove: (name) => store.remove(key(name)),
    };
  }
  const memory = new Map<string, unknown>();
  return {
    where: 'memory',
    get: <T>(key: string) => memory.get(key) as T | undefined,
    set: (key, value) => void memory.set(key, value),
    remove: (key) => void memory.delete(key),
  };
}

/** Asks the embedding page to close the chat panel (Escape inside the frame). */
export function askHostToClose(): void {
  const host = parentOrigin();
  if (host !== undefined) window.parent.postMessage({ type: `${PREFIX}close` }, host);
}

/** A device id made once and kept: 22 random characters of [A-Za-z0-9_-]. */
export function newDeviceId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');
}
