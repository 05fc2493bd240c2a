/**
 * Song requests, broadcaster side (contract v1.1 D): a group's new status is
 * stored, then told to each listener who asked (`request:update
 * {messageId,status}` on their session's channel) and to every broadcaster
 * (`request:update {requestId,status,count}`), on every instance.
 */
import type { Logger } from 'pino';
import type { RequestGroup, RequestStatus, Store } from '../db/types.js';
import type { Hub } from '../hub/hub.js';

export class RequestDesk {
  constructor(private readonly deps: { store: Store; hub: Hub; logger: Logger }) {}

  list(status: RequestStatus): Promise<RequestGroup[]> {
    return this.deps.store.requests.list(status);
  }

  /** The group with its new status; undefined when there is no such group. */
  async setStatus(requestId: string, status: RequestStatus): Promise<RequestGroup | undefined> {
    const group = await this.deps.store.requests.setStatus(requestId, status);
    if (group === undefined) return undefined;
    const { hub, logger } = this.deps;
    // One publication per request of the group (those listeners asked), never one per listener online.
    const publications = [
      hub.toBroadcasters('request:update', { requestId: group.requestId, status, count: group.count }),
      ...group.members.map((member) =>
        hub.toSession(member.sessionId, 'request:update', { messageId: member.messageId, status }),
      ),
    ];
    for (const result of await Promise.allSettled(publications)) {
      if (result.status === 'rejected')
        logger.warn({ err: result.reason, requestId }, 'publishing request:update failed');
    }
    return group;
  }
}

/** The REST shape of a group. */
export function toRequestGroup(group: RequestGroup): {
  requestId: string;
  title: string;
  artist: string;
  count: number;
  status: RequestStatus;
  messageIds: string[];
} {
  return {
    requestId: group.requestId,
    title: group.title,
    artist: group.artist,
    count: group.count,
    status: group.status,
    messageIds: group.members.map((member) => member.messageId),
  };
}
