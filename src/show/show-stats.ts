/**
 * The live show's stats (contract v1.1 D): `GET /livechat/admin/stats` and
 * `stats:update`. Each figure is one query, counted across instances (the
 * shared registry, the shared database).
 *
 * Each instance pushes `stats:update` to its own broadcaster connections only,
 * never through the broker and never to listeners: N instances send each
 * broadcaster exactly one update per interval, and an instance without a
 * broadcaster counts nothing.
 */
import type { Logger } from 'pino';
import type { ConnectionRegistry } from '../broker/registry.js';
import type { Store } from '../db/types.js';
import type { Hub } from '../hub/hub.js';
import type { Stats } from '../protocol/live-show.js';
import { startOfDay } from './start-of-day.js';

/** Open song requests; answers 0 until song requests are stored (one query to add here). */
export type OpenRequestsCounter = () => Promise<number>;

export interface ShowStatsDeps {
  store: Store;
  registry: ConnectionRegistry;
  timeZone: string;
  openRequests?: OpenRequestsCounter | undefined;
}

const HOUR_MS = 3600_000;

export class ShowStats {
  constructor(private readonly deps: ShowStatsDeps) {}

  async current(now = new Date()): Promise<Stats> {
    const { store, registry, timeZone, openRequests } = this.deps;
    const [listenersOnline, sessionsToday, messagesLastHour, requests] = await Promise.all([
      registry.countOnlineSessions(),
      store.counts.sessionsCreatedSince(startOfDay(now, timeZone)),
      store.counts.messagesSince(new Date(now.getTime() - HOUR_MS)),
      openRequests ? openRequests() : Promise.resolve(0),
    ]);
    return { listenersOnline, sessionsToday, messagesLastHour, openRequests: requests };
  }
}

/** Sends `stats:update` to this instance's broadcasters every `intervalMs`; returns the stop function. */
export function startStatsPush(stats: ShowStats, hub: Hub, intervalMs: number, logger: Logger): () => void {
  let running = false;
  const tick = async () => {
    if (running || hub.localBroadcasterCount() === 0) return;
    running = true;
    try {
      hub.toLocalBroadcasters('stats:update', await stats.current());
    } catch (error) {
      logger.warn({ err: error }, 'counting the stats failed');
    } finally {
      running = false;
    }
  };
  const timer = setInterval(() => void tick(), intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
