/**
 * `conversation:focus` (contract v1.1 D): which conversation each broadcaster
 * connection has open, told to every broadcaster on every instance through the
 * broker, and cleared (`sessionId: null`) when that connection closes.
 */
import type { Hub } from '../hub/hub.js';

interface Focuser {
  readonly id: string;
  readonly adminId: string;
  readonly name: string;
}

export class ConversationFocus {
  /** Current focus by connection id (connections without one are absent). */
  private readonly focused = new Map<string, string>();

  constructor(private readonly hub: Hub) {}

  /** A broadcaster connection's new focus; nothing is published when it did not change. */
  async set(connection: Focuser, sessionId: string | null): Promise<void> {
    const current = this.focused.get(connection.id) ?? null;
    if (current === sessionId) return;
    if (sessionId === null) this.focused.delete(connection.id);
    else this.focused.set(connection.id, sessionId);
    await this.publish(connection, sessionId);
  }

  /** The connection closed: its focus, if any, is cleared for everyone. */
  async closed(connection: Focuser): Promise<void> {
    if (!this.focused.delete(connection.id)) return;
    await this.publish(connection, null);
  }

  private publish(connection: Focuser, sessionId: string | null): Promise<void> {
    return this.hub.toBroadcasters('conversation:focus', {
      adminId: connection.adminId,
      name: connection.name,
      sessionId,
    });
  }
}
