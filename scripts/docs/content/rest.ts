/**
 * The REST operations: their schemas, validated examples and error notes. The bodies of the
 * operations routes (src/http/routes/operations.ts) are not part of the protocol module, so
 * they are described here.
 */
import { z } from 'zod';
import { type HttpErrorCode } from '../../../src/errors.js';
import {
  adminLoginRequestSchema,
  adminLoginResponseSchema,
  createSessionRequestSchema,
  createSessionResponseSchema,
  errorResponseSchema,
  messageListQuerySchema,
  messageListResponseSchema,
  sessionIdSchema,
  sessionListQuerySchema,
  sessionListResponseSchema,
} from '../../../src/protocol/events.js';
import { example, type JsonSchema, type SchemaSet } from '../schema-set.js';
import { broadcasterServerDocs } from './events.js';
import { ex } from './examples.js';
import { moderationOperations } from './rest-moderation.js';

export const createSessionRequestExample = example(
  createSessionRequestSchema,
  { name: ex.listenerName, city: ex.city, deviceId: 'Vt3k9Qx2LmB7pR4sW8yZ1a' },
  'POST /livechat/session',
);
export const createSessionResponseExample = example(
  createSessionResponseSchema,
  { sessionId: ex.sessionId, sessionToken: ex.sessionToken, expiresAt: ex.sessionExpiresAt },
  'POST /livechat/session response',
);
export const loginRequestExample = example(
  adminLoginRequestSchema,
  { username: 'rina', password: 'correct horse battery staple' },
  'POST /livechat/admin/login',
);
export const loginResponseExample = example(
  adminLoginResponseSchema,
  { token: ex.adminToken, name: ex.broadcasterName, role: 'penyiar', expiresAt: ex.adminExpiresAt },
  'POST /livechat/admin/login response',
);
const sessionListExample = example(
  sessionListResponseSchema,
  {
    sessions: [
      { sessionId: ex.sessionId, name: ex.listenerName, city: ex.city, online: true, lastMessageAt: ex.replyCreatedAt },
      { sessionId: ex.otherSessionId, name: 'Budi', city: '', online: false, lastMessageAt: ex.listenerCreatedAt },
    ],
    nextCursor: 'MTc0ODc2MjEwMjQ4MTo5YjJlNGQ3MS0wYzNhLTRmOGUtYjVkNi0xYTdjOWUzZjJiNDA',
  },
  'GET /livechat/admin/sessions response',
);
const messageListExample = example(
  messageListResponseSchema,
  {
    messages: [
      broadcasterServerDocs['message:new'].example,
      {
        messageId: ex.replyMessageId,
        sessionId: ex.sessionId,
        direction: 'broadcaster',
        from: ex.broadcasterName,
        text: ex.replyText,
        createdAt: ex.replyCreatedAt,
      },
    ],
  },
  'GET /livechat/admin/sessions/{sessionId}/messages response',
);

const checkStateSchema = z.enum(['ok', 'failed']);
const checksSchema = z
  .object({
    database: checkStateSchema.describe('The database answered within 2 s'),
    redis: checkStateSchema.optional().describe('Redis answered within 2 s (only when REDIS_URL is set)'),
  })
  .describe('Result of each dependency check');
const healthResponseSchema = z.object({ status: z.literal('ok').describe('Always `ok`') }).describe('The process runs');
const readyResponseSchema = z
  .object({ status: z.literal('ready').describe('Always `ready`'), checks: checksSchema })
  .describe('Ready to serve');
const notReadyResponseSchema = errorResponseSchema
  .extend({
    error: z.literal('unavailable').describe('Machine-readable error code'),
    failed: z.array(z.enum(['database', 'redis'])).describe('The dependencies that did not answer'),
    checks: checksSchema,
  })
  .describe('Not ready: a dependency did not answer');

export const errorNotes: Record<HttpErrorCode, string> = {
  invalid_payload: 'The request is not valid.',
  name_reserved: "The name is a broadcaster's display name (case- and space-insensitive); choose another.",
  invalid_credentials: 'Unknown username or wrong password.',
  unauthorized: 'The bearer token is missing, invalid or expired, or its account no longer exists.',
  forbidden: 'A valid token of the wrong kind (a listener session token).',
  origin_forbidden: 'The `Origin` header is not in `LIVECHAT_ALLOWED_ORIGINS` (when that is set).',
  not_found: 'No such session.',
  payload_too_large: 'The body is over 16 KiB.',
  rate_limited: 'Too many requests; retry after `Retry-After` seconds.',
  internal_error: 'Unexpected server error.',
  unavailable: 'The database (or Redis) did not answer; retry later.',
  manager_only: 'Only a `manager` account may do this.',
  banned: 'This device (or address) is banned; the message says until when.',
  account_disabled: 'The credentials are right, but a manager disabled the account.',
  username_taken: 'Another account has this username.',
  last_manager: 'The change would leave no active manager.',
};

export interface RestOperation {
  method: 'get' | 'post' | 'patch' | 'delete';
  path: string;
  operationId: string;
  tag: string;
  summary: string;
  description: string;
  admin?: boolean;
  parameters?: {
    name: string;
    in: 'query' | 'path';
    schema: z.ZodType;
    required: boolean;
    example: unknown;
    /** Instead of the schema's description. */
    description?: string;
  }[];
  request?: { name: string; schema: z.ZodType; example: unknown };
  success: {
    status: number;
    description: string;
    name?: string;
    schema: z.ZodType;
    example: unknown;
    mediaType?: string;
  };
  errors: HttpErrorCode[];
  notes?: Partial<Record<HttpErrorCode, string>>;
  extraResponses?: (schemas: SchemaSet) => Record<string, JsonSchema>;
  security?: JsonSchema[];
}

export const restOperations: RestOperation[] = [
  {
    method: 'post',
    path: '/livechat/session',
    operationId: 'createSession',
    tag: 'listener',
    summary: 'Create a listener session',
    description:
      'Opens a chat session for a listener and returns its token, used to connect to `/livechat/ws`. `name` must hold ' +
      '1–50 characters and `city` 0–50 after cleaning (trimmed, control characters and HTML markup removed). Both are ' +
      'also normalised: NFC, bidi controls, zero-width and invisible characters removed, line breaks and runs of ' +
      'whitespace made one space; a `name` needs a letter, digit or symbol. Limited per ' +
      'client IP (`LIVECHAT_SESSION_CREATE_LIMIT_PER_MINUTE`, default 60 per minute).',
    request: { name: 'CreateSessionRequest', schema: createSessionRequestSchema, example: createSessionRequestExample },
    success: {
      status: 201,
      description: 'The session is created.',
      name: 'CreateSessionResponse',
      schema: createSessionResponseSchema,
      example: createSessionResponseExample,
    },
    errors: [
      'invalid_payload',
      'name_reserved',
      'banned',
      'origin_forbidden',
      'payload_too_large',
      'rate_limited',
      'internal_error',
      'unavailable',
    ],
    notes: {
      invalid_payload:
        'The body is not JSON, or `name`/`city` are missing, too long or empty after cleaning, `name` has no letter, ' +
        'digit or symbol, a string holds a lone surrogate, `deviceId` is not 16–64 characters of `[A-Za-z0-9_-]`, or ' +
        '`previousSessionToken` is not a session token of this service or expired more than 30 days ago.',
    },
  },
  {
    method: 'get',
    path: '/livechat/session/messages',
    operationId: 'listOwnMessages',
    tag: 'listener',
    summary: "The listener's own history",
    description:
      "The session's messages, the listener's and the broadcasters', in stored order, after `after` when given: what a " +
      'listener shows after a reload or in a new tab. Page through a long history by passing the last messageId of a ' +
      'page as `after`.',
    security: [{ sessionBearer: [] }],
    parameters: [
      { name: 'after', in: 'query', schema: messageListQuerySchema.shape.after, required: false, example: '1040' },
      { name: 'limit', in: 'query', schema: messageListQuerySchema.shape.limit, required: false, example: 100 },
    ],
    success: {
      status: 200,
      description: 'The messages, in stored order.',
      name: 'MessageList',
      schema: messageListResponseSchema,
      example: messageListExample,
    },
    errors: ['invalid_payload', 'unauthorized', 'forbidden', 'origin_forbidden', 'internal_error', 'unavailable'],
    notes: {
      invalid_payload: '`after` is not a messageId, or `limit` is not an integer from 1 to 500.',
      unauthorized: 'No session token, an invalid or expired one, or its session was erased.',
      forbidden: 'An admin token.',
    },
  },
  {
    method: 'delete',
    path: '/livechat/session',
    operationId: 'eraseSession',
    tag: 'listener',
    summary: 'Erase the session',
    description:
      'Erases the session and all its messages for good. Its open connections get `session:erased` and are closed with ' +
      '1000, on every instance; broadcasters get `session:erased`. A token that expired (up to 30 days ago) may still ' +
      'erase its session. Erasing a session that is already gone answers 204 too.',
    security: [{ sessionBearer: [] }],
    success: {
      status: 204,
      description: 'The session is erased.',
      schema: z.null(),
      example: null,
    },
    errors: ['unauthorized', 'forbidden', 'origin_forbidden', 'internal_error', 'unavailable'],
    notes: {
      unauthorized: 'No session token, an invalid one, or one expired more than 30 days ago.',
      forbidden: 'An admin token.',
    },
  },
  {
    method: 'post',
    path: '/livechat/admin/login',
    operationId: 'adminLogin',
    tag: 'broadcaster',
    summary: 'Log a broadcaster in',
    description:
      'Checks the credentials and returns an admin token: the bearer token of the admin routes and the `token` of ' +
      '`/livechat/admin/ws`. Repeated failures for one username and IP, and too many attempts from one IP, are answered with 429.',
    request: { name: 'AdminLoginRequest', schema: adminLoginRequestSchema, example: loginRequestExample },
    success: {
      status: 200,
      description: 'Logged in.',
      name: 'AdminLoginResponse',
      schema: adminLoginResponseSchema,
      example: loginResponseExample,
    },
    errors: [
      'invalid_payload',
      'invalid_credentials',
      'account_disabled',
      'origin_forbidden',
      'payload_too_large',
      'rate_limited',
      'internal_error',
      'unavailable',
    ],
    notes: {
      invalid_payload: 'The body is not JSON, or `username`/`password` are missing, empty or too long.',
      rate_limited:
        'Too many failed logins for this username from this IP, or too many attempts from this IP; retry after `Retry-After` seconds.',
    },
  },
  {
    method: 'get',
    path: '/livechat/admin/sessions',
    operationId: 'listSessions',
    tag: 'broadcaster',
    summary: 'List recent listener sessions',
    description:
      'Sessions by last activity, the most recent first, with whether each is online now and when its last message was ' +
      'stored. Sessions without messages are left out unless `includeEmpty=true` (then they sort by creation time). ' +
      'Page through the rest by passing `nextCursor` as `cursor`: pages stay stable while new sessions arrive ' +
      '(a session that gets a new message meanwhile moves to the top and is announced live by `message:new`).',
    admin: true,
    parameters: [
      {
        name: 'limit',
        in: 'query',
        schema: sessionListQuerySchema.shape.limit,
        required: false,
        example: 50,
        description: 'How many sessions at most (1–500)',
      },
      {
        name: 'includeEmpty',
        in: 'query',
        schema: sessionListQuerySchema.shape.includeEmpty,
        required: false,
        example: 'true',
        description: '`true`: also list sessions without messages',
      },
      {
        name: 'cursor',
        in: 'query',
        schema: sessionListQuerySchema.shape.cursor,
        required: false,
        example: 'MTc0ODc2MjEwMjQ4MTo5YjJlNGQ3MS0wYzNhLTRmOGUtYjVkNi0xYTdjOWUzZjJiNDA',
        description: "The previous page's `nextCursor` (opaque)",
      },
    ],
    success: {
      status: 200,
      description: 'The sessions, most recent first.',
      name: 'SessionList',
      schema: sessionListResponseSchema,
      example: sessionListExample,
    },
    errors: ['invalid_payload', 'unauthorized', 'forbidden', 'origin_forbidden', 'internal_error', 'unavailable'],
    notes: {
      invalid_payload:
        '`limit` is not an integer from 1 to 500, `includeEmpty` is not `true` or `false`, or `cursor` is not a `nextCursor` of this service.',
    },
  },
  {
    method: 'get',
    path: '/livechat/admin/sessions/{sessionId}/messages',
    operationId: 'listSessionMessages',
    tag: 'broadcaster',
    summary: "A session's messages",
    description:
      "The session's messages (listener and broadcaster) in stored order, after `after` when given. Page through a long " +
      "history by passing the last messageId of a page as `after`. Hidden messages (a muted session's, held by the word " +
      'filter, hidden by a broadcaster) are left out unless `includeHidden=true`, which marks them `hidden` with a `reason`.',
    admin: true,
    parameters: [
      { name: 'sessionId', in: 'path', schema: sessionIdSchema, required: true, example: ex.sessionId },
      { name: 'after', in: 'query', schema: messageListQuerySchema.shape.after, required: false, example: '1040' },
      { name: 'limit', in: 'query', schema: messageListQuerySchema.shape.limit, required: false, example: 100 },
      {
        name: 'includeHidden',
        in: 'query',
        schema: messageListQuerySchema.shape.includeHidden,
        required: false,
        example: 'true',
      },
    ],
    success: {
      status: 200,
      description: 'The messages, in stored order.',
      name: 'MessageList',
      schema: messageListResponseSchema,
      example: messageListExample,
    },
    errors: [
      'invalid_payload',
      'unauthorized',
      'forbidden',
      'origin_forbidden',
      'not_found',
      'internal_error',
      'unavailable',
    ],
    notes: { invalid_payload: '`after` is not a messageId, or `limit` is not an integer from 1 to 500.' },
  },
  ...moderationOperations,
  {
    method: 'get',
    path: '/healthz',
    operationId: 'health',
    tag: 'operations',
    summary: 'Liveness',
    description: 'Answers 200 while the process runs.',
    success: { status: 200, description: 'The process runs.', schema: healthResponseSchema, example: { status: 'ok' } },
    errors: [],
  },
  {
    method: 'get',
    path: '/readyz',
    operationId: 'ready',
    tag: 'operations',
    summary: 'Readiness',
    description:
      'Answers 200 when the database (and Redis, when configured) answer; 503 naming the one that failed otherwise.',
    success: {
      status: 200,
      description: 'Every dependency answered.',
      schema: readyResponseSchema,
      example: { status: 'ready', checks: { database: 'ok' } },
    },
    errors: [],
    extraResponses: (schemas) => ({
      '503': {
        description: 'A dependency did not answer.',
        content: {
          'application/json': {
            schema: schemas.convert(notReadyResponseSchema, 'output'),
            example: example(
              notReadyResponseSchema,
              {
                error: 'unavailable',
                message: 'Tidak siap: database',
                failed: ['database'],
                checks: { database: 'failed', redis: 'ok' },
              },
              'GET /readyz 503',
            ),
          },
        },
      },
    }),
  },
  {
    method: 'get',
    path: '/metrics',
    operationId: 'metrics',
    tag: 'operations',
    summary: 'Prometheus metrics',
    description:
      'Metrics in the Prometheus text format. When `LIVECHAT_METRICS_TOKEN` is set, the request needs ' +
      '`Authorization: Bearer <LIVECHAT_METRICS_TOKEN>`; otherwise it is open.',
    success: {
      status: 200,
      description: 'The metrics.',
      schema: z.string().describe('Prometheus text exposition format'),
      example:
        '# HELP livechat_connections_total WebSocket connections opened\n# TYPE livechat_connections_total counter\n',
      mediaType: 'text/plain',
    },
    errors: ['unauthorized'],
    notes: { unauthorized: '`LIVECHAT_METRICS_TOKEN` is set and the bearer token is missing or different.' },
    security: [{}, { metricsToken: [] }],
  },
];
