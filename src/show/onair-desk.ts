/**
 * The on-air queue, broadcaster side (contract v1.1 D): every change is
 * stored, then the whole queue goes to every broadcaster as `onair:update`
 * (one publication on the broadcasters' channel, every instance), and to the
 * on-air screens of every instance through the same publication (./onair-feed.ts).
 */
import type { Logger } from 'pino';
import { toMessage } from '../chat/chat-service.js';
import type { OnAirChange, OnAirQueue, OnAirState, Store } from '../db/types.js';
import type { Hub } from '../hub/hub.js';
import type { BroadcasterServerEvents } from '../protocol/events.js';

export type OnAirPayload = BroadcasterServerEvents['onair:update'];

export class OnAirDesk {
  constructor(private readonly deps: { store: Store; hub: Hub; logger: Logger }) {}

  async queue(): Promise<OnAirPayload> {
    return toOnAirPayload(await this.deps.store.onair.queue());
  }

  async setState(
    messageId: string,
    state: OnAirState | 'removed',
    by: string,
  ): Promise<{ ok: true; queue: OnAirPayload } | Extract<OnAirChange, { ok: false }>> {
    const change = await this.deps.store.onair.setState(messageId, state, by);
    if (!change.ok) return change;
    return { ok: true, queue: await this.publish(change.queue) };
  }

  async reorder(messageIds: readonly string[]): Promise<OnAirPayload> {
    return this.publish(await this.deps.store.onair.reorder(messageIds));
  }

  private async publish(queue: OnAirQueue): Promise<OnAirPayload> {
    const payload = toOnAirPayload(queue);
    try {
      await this.deps.hub.toBroadcasters('onair:update', payload);
    } catch (error) {
      // Stored: dashboards and screens catch up from GET /livechat/admin/onair (screens on reconnect).
      this.deps.logger.warn({ err: error }, 'publishing onair:update failed');
    }
    return payload;
  }
}

export function toOnAirPayload(queue: OnAirQueue): OnAirPayload {
  return {
    revision: queue.revision,
    items: queue.items.map((item) => ({
      message: toMessage(item.message),
      state: item.state,
      by: item.by,
      city: item.city,
    })),
  };
}
