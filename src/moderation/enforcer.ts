/**
 * Applies moderation changes to this instance's open connections: the
 * connections of a banned session (or of another session from the banned
 * device or address) get `error:banned` and close with 4403; a broadcaster
 * connection whose token was logged out, or whose account was disabled or
 * given a new password, gets `error:invalid_token` and closes with 4401.
 */
import type { Logger } from 'pino';
import { wsMessages } from '../errors.js';
import type { Hub } from '../hub/hub.js';
import { CloseCode } from '../protocol/close-codes.js';
import { BroadcasterConnection, ListenerConnection } from '../ws/connection.js';
import type { AdminTokenClaims, ModerationPart, ModerationState } from './state.js';

export class ModerationEnforcer {
  /** The token each open broadcaster connection was opened with. */
  readonly #tokens = new WeakMap<BroadcasterConnection, AdminTokenClaims>();
  /** The device each open listener connection's session was opened from. */
  readonly #devices = new WeakMap<ListenerConnection, string>();

  constructor(
    private readonly state: ModerationState,
    private readonly hub: Hub,
    private readonly logger: Logger,
  ) {}

  /** Remembers which token a broadcaster connection holds. */
  track(connection: BroadcasterConnection, claims: AdminTokenClaims): void {
    this.#tokens.set(connection, claims);
  }

  /** Remembers which device a listener connection's session came from (a ban by device closes it too). */
  trackListener(connection: ListenerConnection, deviceId: string | null): void {
    if (deviceId !== null) this.#devices.set(connection, deviceId);
  }

  /** After `part` was reloaded: closes what it no longer allows. */
  readonly apply = (part: ModerationPart): void => {
    for (const connection of this.hub.connections()) {
      if (part === 'blocks' && connection instanceof ListenerConnection) this.#checkListener(connection);
      if (part !== 'blocks' && connection instanceof BroadcasterConnection) this.#checkBroadcaster(connection);
    }
  };

  #checkListener(connection: ListenerConnection): void {
    if (!connection.isOpen) return;
    const ban = this.state.banOf({
      sessionId: connection.sessionId,
      deviceId: this.#devices.get(connection),
      ip: connection.ip,
    });
    if (!ban) return;
    this.logger.info({ connectionId: connection.id, sessionId: connection.sessionId }, 'session banned; closing');
    connection.send('error:banned', {
      message: wsMessages.banned,
      until: ban.until === null ? null : ban.until.toISOString(),
    });
    connection.close(CloseCode.Banned, 'banned');
  }

  #checkBroadcaster(connection: BroadcasterConnection): void {
    const claims = this.#tokens.get(connection);
    if (!claims || !connection.isOpen || !this.state.hasEnded(claims)) return;
    this.logger.info({ connectionId: connection.id, adminId: connection.adminId }, 'admin token ended; closing');
    const loggedOut = this.state.isRevoked(claims.tokenId);
    connection.send('error:invalid_token', { message: loggedOut ? wsMessages.loggedOut : wsMessages.accountEnded });
    connection.close(CloseCode.TokenExpired, 'token ended');
  }
}
