/**
 * The REST calls of moderation and accounts (contract v1.1 part C): logout,
 * block / lift, hide / unhide, accounts, audit log, erasing a session. Every
 * call sends the admin bearer token; a non-2xx answer throws the SDK's
 * `LivechatHttpError` with the contract's error code.
 */
import { z } from 'zod';
import { LivechatHttpError } from '../../../src/client/index.js';

export const roleSchema = z.enum(['penyiar', 'manager']);
export type Role = z.infer<typeof roleSchema>;
export type BlockMode = 'mute' | 'ban';

const blockResultSchema = z.object({
  sessionId: z.string(),
  mode: z.enum(['mute', 'ban']),
  until: z.string().nullable(),
});
export type BlockResult = z.infer<typeof blockResultSchema>;

const accountSchema = z.object({
  adminId: z.string(),
  username: z.string(),
  name: z.string(),
  role: roleSchema,
  disabled: z.boolean(),
});
export type Account = z.infer<typeof accountSchema>;
const accountListSchema = z.object({ accounts: z.array(accountSchema) });

const auditEntrySchema = z.object({
  at: z.string(),
  adminId: z.string().nullable(),
  action: z.string(),
  target: z.string().nullable().optional(),
  detail: z.unknown().optional(),
});
export type AuditEntry = z.infer<typeof auditEntrySchema>;
const auditListSchema = z.object({ entries: z.array(auditEntrySchema) });

const errorSchema = z.object({ error: z.string(), message: z.string() });

export interface AccountChanges {
  name?: string;
  password?: string;
  role?: Role;
  disabled?: boolean;
}

export class ModerationApi {
  constructor(
    private readonly baseUrl: string,
    private readonly token: () => string | undefined,
  ) {}

  /** `POST /livechat/admin/logout`: the token is refused from then on. */
  async logout(): Promise<void> {
    await this.call('POST', '/livechat/admin/logout');
  }

  async block(
    sessionId: string,
    mode: BlockMode,
    options: { minutes?: number; reason?: string; includeIp?: boolean },
  ): Promise<BlockResult> {
    const body: { mode: BlockMode; minutes?: number; reason?: string; includeIp?: true } = { mode };
    if (options.minutes !== undefined) body.minutes = options.minutes;
    if (options.reason) body.reason = options.reason;
    if (options.includeIp) body.includeIp = true;
    return blockResultSchema.parse(await this.call('POST', `${sessionPath(sessionId)}/block`, body));
  }

  async lift(sessionId: string): Promise<void> {
    await this.call('DELETE', `${sessionPath(sessionId)}/block`);
  }

  /** Erases a session, its messages and its connections (manager only). */
  async erase(sessionId: string): Promise<void> {
    await this.call('DELETE', sessionPath(sessionId));
  }

  async hide(messageId: string): Promise<void> {
    await this.call('POST', `/livechat/admin/messages/${encodeURIComponent(messageId)}/hide`);
  }

  async unhide(messageId: string): Promise<void> {
    await this.call('DELETE', `/livechat/admin/messages/${encodeURIComponent(messageId)}/hide`);
  }

  async accounts(): Promise<Account[]> {
    return accountListSchema.parse(await this.call('GET', '/livechat/admin/accounts')).accounts;
  }

  async createAccount(account: { username: string; name: string; password: string; role: Role }): Promise<void> {
    await this.call('POST', '/livechat/admin/accounts', account);
  }

  async updateAccount(adminId: string, changes: AccountChanges): Promise<void> {
    await this.call('PATCH', `/livechat/admin/accounts/${encodeURIComponent(adminId)}`, changes);
  }

  async audit(limit = 100): Promise<AuditEntry[]> {
    return auditListSchema.parse(await this.call('GET', `/livechat/admin/audit?limit=${limit}`)).entries;
  }

  private async call(method: string, path: string, body?: unknown): Promise<unknown> {
    const headers: Record<string, string> = { accept: 'application/json' };
    const token = this.token();
    if (token) headers['authorization'] = `Bearer ${token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    try {
      response = await fetch(new URL(path, this.baseUrl), {
        method,
        headers,
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
    } catch (error) {
      throw new LivechatHttpError(0, 'network_error', (error as Error).message || 'network error');
    }
    const payload: unknown = response.status === 204 ? undefined : await response.json().catch(() => undefined);
    if (!response.ok) {
      const parsed = errorSchema.safeParse(payload);
      throw new LivechatHttpError(
        response.status,
        parsed.success ? parsed.data.error : `http_${response.status}`,
        parsed.success ? parsed.data.message : `HTTP ${response.status}`,
      );
    }
    return payload;
  }
}

function sessionPath(sessionId: string): string {
  return `/livechat/admin/sessions/${encodeURIComponent(sessionId)}`;
}
