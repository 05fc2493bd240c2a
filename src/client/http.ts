/** The REST half of the contract: session creation, broadcaster login and history. */
import { z } from 'zod';
import {
  adminLoginResponseSchema,
  createSessionResponseSchema,
  errorResponseSchema,
  messageListResponseSchema,
  sessionListResponseSchema,
  type Message,
} from '../protocol/index.js';
import { defaultFetch, httpUrl, type FetchLike } from './environment.js';

export type SessionCredentials = z.infer<typeof createSessionResponseSchema>;
export type BroadcasterCredentials = z.infer<typeof adminLoginResponseSchema>;
export type SessionPage = z.infer<typeof sessionListResponseSchema>;
export type SessionSummary = SessionPage['sessions'][number];

/** A non-2xx answer (`error` is the contract's error code, e.g. `rate_limited`), or a network failure (`status` 0). */
export class LivechatHttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'LivechatHttpError';
  }
}

export interface HttpOptions {
  /** Where the server is, e.g. `https://chat.radio.example` (`location.origin` in the widget). */
  baseUrl: string;
  /** A fetch implementation; defaults to `globalThis.fetch`. */
  fetch?: FetchLike;
}

async function request<T>(
  options: HttpOptions,
  path: string,
  schema: z.ZodType<T>,
  init: { method?: string; body?: unknown; token?: string } = {},
): Promise<T> {
  const fetchImpl = options.fetch ?? defaultFetch();
  if (!fetchImpl) throw new Error('No fetch implementation: pass `fetch` in the options');
  const headers: Record<string, string> = { accept: 'application/json' };
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  if (init.token !== undefined) headers['authorization'] = `Bearer ${init.token}`;
  let response: Awaited<ReturnType<FetchLike>>;
  try {
    response = await fetchImpl(httpUrl(options.baseUrl, path), {
      method: init.method ?? 'GET',
      headers,
      ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
    });
  } catch (error) {
    throw new LivechatHttpError(0, 'network_error', (error as Error).message || 'network error');
  }
  let body: unknown;
  try {
    body = await response.json();
  } catch {
    body = undefined;
  }
  if (!response.ok) {
    const parsed = errorResponseSchema.safeParse(body);
    throw new LivechatHttpError(
      response.status,
      parsed.success ? parsed.data.error : `http_${response.status}`,
      parsed.success ? parsed.data.message : `HTTP ${response.status}`,
    );
  }
  const parsed = schema.safeParse(body);
  if (!parsed.success) throw new LivechatHttpError(response.status, 'invalid_response', 'unexpected response body');
  return parsed.data;
}

/**
 * `POST /livechat/session`: starts an anonymous listener session; with
 * `previousSessionToken` (expired or not), linked to that one.
 */
export function createSession(
  options: HttpOptions & { name: string; city?: string; deviceId?: string; previousSessionToken?: string },
): Promise<SessionCredentials> {
  const body: { name: string; city?: string; deviceId?: string; previousSessionToken?: string } = {
    name: options.name,
  };
  if (options.city !== undefined && options.city !== '') body.city = options.city;
  if (options.deviceId !== undefined) body.deviceId = options.deviceId;
  if (options.previousSessionToken !== undefined) body.previousSessionToken = options.previousSessionToken;
  return request(options, '/livechat/session', createSessionResponseSchema, { method: 'POST', body });
}

/** `GET /livechat/session/messages`: the session's own history, both directions, in stored order. */
export async function getOwnMessages(
  options: HttpOptions & { token: string; after?: string; limit?: number },
): Promise<Message[]> {
  const query = new URLSearchParams();
  if (options.after !== undefined) query.set('after', options.after);
  if (options.limit !== undefined) query.set('limit', String(options.limit));
  const suffix = query.size > 0 ? `?${query.toString()}` : '';
  const page = await request(options, `/livechat/session/messages${suffix}`, messageListResponseSchema, {
    token: options.token,
  });
  return page.messages;
}

/** `DELETE /livechat/session`: erases the session and its messages for good. */
export async function eraseSession(options: HttpOptions & { token: string }): Promise<void> {
  await request(options, '/livechat/session', z.unknown(), { method: 'DELETE', token: options.token });
}

/** `POST /livechat/admin/login`: a broadcaster logs in. */
export function loginBroadcaster(
  options: HttpOptions & { username: string; password: string },
): Promise<BroadcasterCredentials> {
  return request(options, '/livechat/admin/login', adminLoginResponseSchema, {
    method: 'POST',
    body: { username: options.username, password: options.password },
  });
}

/** `GET /livechat/admin/sessions`: one page, most recent activity first, and where the next one starts. */
export function getSessionsPage(
  options: HttpOptions & { token: string; cursor?: string; limit?: number; includeEmpty?: boolean },
): Promise<SessionPage> {
  const query = new URLSearchParams();
  if (options.limit !== undefined) query.set('limit', String(options.limit));
  if (options.includeEmpty) query.set('includeEmpty', 'true');
  if (options.cursor !== undefined) query.set('cursor', options.cursor);
  const qs = query.toString();
  return request(options, `/livechat/admin/sessions${qs ? `?${qs}` : ''}`, sessionListResponseSchema, {
    token: options.token,
  });
}

/**
 * The listed sessions (those with messages; all with `includeEmpty`), most
 * recent activity first, following `nextCursor` until the end or `max` sessions.
 */
export async function listSessions(
  options: HttpOptions & { token: string; includeEmpty?: boolean; max?: number; pageSize?: number },
): Promise<SessionSummary[]> {
  const max = options.max ?? Number.POSITIVE_INFINITY;
  const pageSize = options.pageSize ?? 500;
  const all: SessionSummary[] = [];
  let cursor: string | undefined;
  while (all.length < max) {
    const limit = Math.min(pageSize, max - all.length);
    const page = await getSessionsPage({ ...options, ...(cursor !== undefined ? { cursor } : {}), limit });
    all.push(...page.sessions);
    if (page.nextCursor === null) break;
    cursor = page.nextCursor;
  }
  return all;
}

/** `GET /livechat/admin/sessions/:id/messages`: one page, in stored order. */
export async function getMessages(
  options: HttpOptions & { token: string; sessionId: string; after?: string; limit?: number; includeHidden?: boolean },
): Promise<Message[]> {
  const query = new URLSearchParams();
  if (options.after !== undefined) query.set('after', options.after);
  if (options.limit !== undefined) query.set('limit', String(options.limit));
  if (options.includeHidden) query.set('includeHidden', 'true');
  const qs = query.toString();
  const path = `/livechat/admin/sessions/${encodeURIComponent(options.sessionId)}/messages${qs ? `?${qs}` : ''}`;
  const result = await request(options, path, messageListResponseSchema, { token: options.token });
  return result.messages;
}

/** Every message after `after` (all of them without it), following pages until the end. */
export async function getAllMessages(
  options: HttpOptions & {
    token: string;
    sessionId: string;
    after?: string;
    pageSize?: number;
    includeHidden?: boolean;
  },
): Promise<Message[]> {
  const pageSize = options.pageSize ?? 500;
  const all: Message[] = [];
  let after = options.after;
  for (;;) {
    const page = await getMessages({ ...options, ...(after !== undefined ? { after } : {}), limit: pageSize });
    all.push(...page);
    if (page.length < pageSize) return all;
    after = page[page.length - 1]!.messageId;
  }
}
