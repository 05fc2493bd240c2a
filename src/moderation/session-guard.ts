/**
 * What `POST /livechat/session` asks of moderation: a device or client
 * address under a ban gets `403 banned` (checked in memory); a new session's
 * address is recorded (for later address blocks), and a session
 * opened from a muted device or address is muted as well.
 */
import type { Store } from '../db/types.js';
import { HttpError } from '../errors.js';
import type { ModerationState } from './state.js';

export class SessionGuard {
  constructor(
    private readonly store: Store,
    private readonly moderation: ModerationState,
  ) {}

  /** Throws `403 banned` when the device or address is banned. */
  refuseBanned(origin: { deviceId: string | null; ip: string | null }): void {
    const ban = this.moderation.banOf(origin);
    if (!ban) return;
    const until = ban.until === null ? '' : ` sampai ${ban.until.toISOString()}`;
    throw new HttpError('banned', `Anda diblokir dari obrolan ini${until}.`);
  }

  /** Records where a new session came from; carries a device's or address's mute over to it. */
  async opened(client: { sessionId: string; deviceId: string | null; ip: string | null }): Promise<void> {
    if (client.ip !== null) await this.store.moderation.recordClient({ sessionId: client.sessionId, ip: client.ip });
    const block = this.moderation.blockOf({ deviceId: client.deviceId, ip: client.ip });
    if (block?.mode !== 'mute') return;
    await this.store.moderation.addBlock({
      sessionId: client.sessionId,
      deviceId: client.deviceId,
      ip: block.ip,
      mode: 'mute',
      reason: block.reason,
      until: block.until,
      adminId: block.adminId,
    });
    await this.moderation.changed('blocks');
  }
}
