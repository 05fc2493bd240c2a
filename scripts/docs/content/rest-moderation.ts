/** REST operations of broadcaster accounts and moderation (contract v1.1 C). */
import { z } from 'zod';
import {
  accountListResponseSchema,
  accountSchema,
  auditQuerySchema,
  auditResponseSchema,
  blockRequestSchema,
  blockResponseSchema,
  createAccountRequestSchema,
  hideResponseSchema,
  messageIdSchema,
  sessionIdSchema,
  updateAccountRequestSchema,
} from '../../../src/protocol/events.js';
import { example } from '../schema-set.js';
import { ex } from './examples.js';
import type { RestOperation } from './rest.js';

const noContent = (description: string) => ({ status: 204, description, schema: z.null(), example: null });
const adminErrors = ['unauthorized', 'forbidden', 'origin_forbidden', 'internal_error', 'unavailable'] as const;
const managerErrors = [
  'unauthorized',
  'forbidden',
  'manager_only',
  'origin_forbidden',
  'internal_error',
  'unavailable',
] as const;
const sessionParam = {
  name: 'sessionId',
  in: 'path' as const,
  schema: sessionIdSchema,
  required: true,
  example: ex.sessionId,
};
const messageParam = {
  name: 'messageId',
  in: 'path' as const,
  schema: messageIdSchema,
  required: true,
  example: ex.listenerMessageId,
};
const account = example(
  accountSchema,
  { adminId: '8', username: 'dodi', name: 'Dodi (Malam Minggu)', role: 'penyiar', disabled: false },
  'Account',
);

export const moderationOperations: RestOperation[] = [
  {
    method: 'post',
    path: '/livechat/admin/logout',
    operationId: 'adminLogout',
    tag: 'broadcaster',
    summary: 'Log out: end this admin token',
    description:
      'Puts the bearer token on the deny-list until it expires, on every instance (kept in the database, so a restart does ' +
      'not forget it). From then on the token is refused: REST 401, WebSocket upgrade 401, and its open admin connections get ' +
      '`error:invalid_token` and close with 4401.',
    admin: true,
    success: noContent('Logged out.'),
    errors: [...adminErrors],
  },
  {
    method: 'post',
    path: '/livechat/admin/sessions/{sessionId}/block',
    operationId: 'blockSession',
    tag: 'moderation',
    summary: 'Mute or ban a session',
    description:
      'Replaces any block the session had. **mute** (shadow): the listener notices nothing, its messages are acknowledged and ' +
      'stored hidden, never sent as `message:new`, and left out of admin listings unless `includeHidden=true`. **ban**: its ' +
      'connections get `error:banned` and close with 4403, its token is refused at upgrade with 403, and `POST ' +
      '/livechat/session` from the same `deviceId` (and, with `includeIp`, the same client address) answers `403 banned`. ' +
      'A new session from a muted device is muted too. Both last `minutes` (absent: until lifted), take effect on every ' +
      'instance within a second, and survive restarts. Broadcasters get `session:moderated`; the audit log records it.',
    admin: true,
    parameters: [sessionParam],
    request: {
      name: 'BlockRequest',
      schema: blockRequestSchema,
      example: example(blockRequestSchema, { mode: 'mute', minutes: 60, reason: 'spam' }, 'BlockRequest'),
    },
    success: {
      status: 200,
      description: 'The block in force.',
      name: 'BlockResponse',
      schema: blockResponseSchema,
      example: { sessionId: ex.sessionId, mode: 'mute', until: '2025-06-01T08:15:02.481Z' },
    },
    errors: ['invalid_payload', ...adminErrors, 'not_found'],
    notes: {
      invalid_payload:
        '`mode` is not `mute` or `ban`, `minutes` is not a whole number from 1 to 527040, or `reason` is over 500 characters.',
    },
  },
  {
    method: 'delete',
    path: '/livechat/admin/sessions/{sessionId}/block',
    operationId: 'unblockSession',
    tag: 'moderation',
    summary: "Lift a session's block",
    description: 'Lifts the mute or ban on every instance. Broadcasters get `session:moderated` with `mode: null`.',
    admin: true,
    parameters: [sessionParam],
    success: noContent('Lifted (also when there was none).'),
    errors: [...adminErrors, 'not_found'],
  },
  {
    method: 'post',
    path: '/livechat/admin/messages/{messageId}/hide',
    operationId: 'hideMessage',
    tag: 'moderation',
    summary: 'Hide a message',
    description:
      'The message leaves the admin listings (unless `includeHidden=true`); broadcasters on every instance get ' +
      '`message:hidden` with `hidden: true`.',
    admin: true,
    parameters: [messageParam],
    success: {
      status: 200,
      description: 'Hidden.',
      name: 'HideResponse',
      schema: hideResponseSchema,
      example: { messageId: ex.listenerMessageId, sessionId: ex.sessionId, hidden: true },
    },
    errors: [...adminErrors, 'not_found'],
  },
  {
    method: 'delete',
    path: '/livechat/admin/messages/{messageId}/hide',
    operationId: 'unhideMessage',
    tag: 'moderation',
    summary: 'Show a message again (release)',
    description:
      'Also releases a message the word filter held. Broadcasters on every instance get `message:hidden` with `hidden: false`.',
    admin: true,
    parameters: [messageParam],
    success: noContent('Shown again.'),
    errors: [...adminErrors, 'not_found'],
  },
  {
    method: 'delete',
    path: '/livechat/admin/sessions/{sessionId}',
    operationId: 'eraseSessionAsManager',
    tag: 'accounts',
    summary: "Erase a listener's session (managers only)",
    description:
      "For a listener's request made to the station: the session, its messages and where it was opened from are deleted " +
      'on every database at once, its connections get `session:erased` and close with 1000, and broadcasters get ' +
      '`session:erased`. A ban keeps the device id (and address) it was given, without the session. Recorded in the audit log.',
    admin: true,
    parameters: [sessionParam],
    success: noContent('Erased.'),
    errors: [...managerErrors, 'not_found'],
  },
  {
    method: 'get',
    path: '/livechat/admin/accounts',
    operationId: 'listAccounts',
    tag: 'accounts',
    summary: 'List broadcaster accounts (managers only)',
    description: 'Every account, oldest first.',
    admin: true,
    success: {
      status: 200,
      description: 'The accounts.',
      name: 'AccountList',
      schema: accountListResponseSchema,
      example: { accounts: [account] },
    },
    errors: [...managerErrors],
  },
  {
    method: 'post',
    path: '/livechat/admin/accounts',
    operationId: 'createAccount',
    tag: 'accounts',
    summary: 'Create a broadcaster account (managers only)',
    description: 'A new account, `penyiar` unless `role` says `manager`. Recorded in the audit log.',
    admin: true,
    request: {
      name: 'CreateAccountRequest',
      schema: createAccountRequestSchema,
      example: example(
        createAccountRequestSchema,
        { username: 'dodi', name: 'Dodi (Malam Minggu)', password: 'kata-sandi-panjang' },
        'CreateAccountRequest',
      ),
    },
    success: { status: 201, description: 'Created.', schema: accountSchema, example: account },
    errors: ['invalid_payload', ...managerErrors, 'username_taken'],
  },
  {
    method: 'patch',
    path: '/livechat/admin/accounts/{adminId}',
    operationId: 'updateAccount',
    tag: 'accounts',
    summary: 'Rename, change role, disable or reset the password of an account (managers only)',
    description:
      "Any of the fields. Disabling or a new password ends the account's tokens (REST 401) and open connections " +
      '(`error:invalid_token`, close 4401) on every instance. The last active manager cannot be demoted or disabled.',
    admin: true,
    parameters: [{ name: 'adminId', in: 'path', schema: z.string(), required: true, example: '8' }],
    request: {
      name: 'UpdateAccountRequest',
      schema: updateAccountRequestSchema,
      example: example(updateAccountRequestSchema, { disabled: true }, 'UpdateAccountRequest'),
    },
    success: {
      status: 200,
      description: 'The account now.',
      schema: accountSchema,
      example: { ...account, disabled: true },
    },
    errors: ['invalid_payload', ...managerErrors, 'not_found', 'last_manager'],
  },
  {
    method: 'get',
    path: '/livechat/admin/audit',
    operationId: 'auditLog',
    tag: 'accounts',
    summary: 'The audit log (managers only)',
    description:
      'Every moderation and account action, newest first: who (`adminId`), what (`action`), on what (`target`) and the details. ' +
      'Entries older than `LIVECHAT_RETENTION_DAYS` are deleted.',
    admin: true,
    parameters: [{ name: 'limit', in: 'query', schema: auditQuerySchema.shape.limit, required: false, example: 100 }],
    success: {
      status: 200,
      description: 'The entries.',
      name: 'AuditLog',
      schema: auditResponseSchema,
      example: {
        entries: [
          {
            at: '2025-06-01T07:16:00.000Z',
            adminId: ex.adminId,
            action: 'session.block',
            target: ex.sessionId,
            detail: { mode: 'mute', minutes: 60, reason: 'spam', device: true, ip: false },
          },
        ],
      },
    },
    errors: ['invalid_payload', ...managerErrors],
  },
];
