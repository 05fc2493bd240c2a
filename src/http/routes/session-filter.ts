/**
 * `filter=` of the session listing (contract v1.1 D) as listing options:
 * `unanswered` is a condition on the session's newest message, `requests` on
 * its messages holding a song request, `online` the sessions the shared
 * registry holds (on every instance), `blocked` the sessions muted or banned
 * (the moderation state every instance keeps in memory).
 */
import type { ConnectionRegistry } from '../../broker/registry.js';
import type { SessionListOptions } from '../../db/types.js';
import type { SessionFilter } from '../../protocol/live-show.js';

/** The most online sessions one listing considers. */
export const MAX_ONLINE_LISTED = 50_000;

export type FilterOptions = Pick<SessionListOptions, 'unanswered' | 'withRequests' | 'onlyIds'>;

/** The options of a filter. */
export async function sessionFilterOptions(
  filter: SessionFilter | undefined,
  registry: ConnectionRegistry,
  blockedSessionIds: () => string[],
): Promise<FilterOptions> {
  switch (filter) {
    case undefined:
      return {};
    case 'unanswered':
      return { unanswered: true };
    case 'online':
      return { onlyIds: await registry.onlineSessionIds(MAX_ONLINE_LISTED) };
    case 'requests':
      return { withRequests: true };
    case 'blocked':
      return { onlyIds: blockedSessionIds() };
  }
}
