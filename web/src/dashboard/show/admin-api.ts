/** The live show's admin REST calls, with the logged-in broadcaster's token. */
import type { Message } from '../../../../src/client/index.js';
import type { QuickReply, Stats } from '../../../../src/protocol/live-show.js';

export type SessionFilter = 'unanswered' | 'online' | 'requests' | 'blocked';

export class AdminApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export class AdminApi {
  constructor(private readonly token: () => string | undefined) {}

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const token = this.token();
    const response = await fetch(path, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (response.status === 204) return undefined as T;
    const data = (await response.json().catch(() => ({}))) as Record<string, unknown>;
    if (!response.ok) {
      throw new AdminApiError(response.status, String(data['error'] ?? 'error'), String(data['message'] ?? ''));
    }
    return data as T;
  }

  stats(): Promise<Stats> {
    return this.call('GET', '/livechat/admin/stats');
  }

  async filteredSessionIds(filter: SessionFilter): Promise<Set<string>> {
    const page = await this.call<{ sessions: { sessionId: string }[] }>(
      'GET',
      `/livechat/admin/sessions?filter=${filter}&limit=500`,
    );
    return new Set(page.sessions.map((s) => s.sessionId));
  }

  async search(q: string): Promise<Message[]> {
    const params = new URLSearchParams({ q, limit: '50' });
    return (await this.call<{ messages: Message[] }>('GET', `/livechat/admin/search?${params}`)).messages;
  }

  announce(text: string): Promise<{ announcementId: string; createdAt: string }> {
    return this.call('POST', '/livechat/admin/announcements', { text });
  }

  async quickReplies(): Promise<QuickReply[]> {
    return (await this.call<{ quickReplies: QuickReply[] }>('GET', '/livechat/admin/quick-replies')).quickReplies;
  }

  createQuickReply(reply: { shortcut: string; text: string }): Promise<QuickReply> {
    return this.call('POST', '/livechat/admin/quick-replies', reply);
  }

  updateQuickReply(id: string, change: { shortcut?: string; text?: string }): Promise<QuickReply> {
    return this.call('PATCH', `/livechat/admin/quick-replies/${encodeURIComponent(id)}`, change);
  }

  deleteQuickReply(id: string): Promise<void> {
    return this.call('DELETE', `/livechat/admin/quick-replies/${encodeURIComponent(id)}`);
  }

  /** The export as a file (fetched with the token, so it cannot be a plain link). */
  async exportCsv(from: string, to: string): Promise<Blob> {
    const token = this.token();
    const params = new URLSearchParams({ from, to });
    const response = await fetch(`/livechat/admin/export?${params}`, {
      headers: token ? { authorization: `Bearer ${token}` } : {},
    });
    if (!response.ok) throw new AdminApiError(response.status, 'export_failed', '');
    return response.blob();
  }
}
