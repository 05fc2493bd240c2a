/**
 * Announcements to every listener (contract v1.1 D). One broker publication
 * per announcement reaches each instance once (the every-listener channel,
 * see Hub); each instance hands it to its own listener connections.
 *
 * Late joiners: every instance keeps the newest announcement in memory (read
 * from the database at start, then taken from the channel it always receives),
 * so a connection opened within 10 minutes gets it without a database query.
 */
import type { Logger } from 'pino';
import type { AnnouncementRecord, Store } from '../db/types.js';
import { allListenersChannel, type Hub } from '../hub/hub.js';
import { announcementSchema } from '../protocol/live-show.js';
import type { ListenerServerEvents } from '../protocol/events.js';

type Announcement = ListenerServerEvents['announcement'];

/** How long after an announcement a newly connected listener still gets it. */
export const LATE_JOINER_WINDOW_MS = 10 * 60_000;

export function toAnnouncement(record: AnnouncementRecord): Announcement {
  return {
    announcementId: record.announcementId,
    from: record.from,
    text: record.text,
    createdAt: record.createdAt.toISOString(),
  };
}

export class Announcements {
  private newest: Announcement | undefined;

  constructor(
    private readonly store: Store,
    private readonly hub: Hub,
    private readonly logger: Logger,
  ) {}

  /** Starts following the channel and reads the newest announcement still in its window. */
  async start(): Promise<void> {
    this.hub.observe(allListenersChannel, (publication) => this.observe(publication.frame));
    await this.hub.subscribeAllListeners();
    try {
      const latest = await this.store.announcements.latestSince(new Date(Date.now() - LATE_JOINER_WINDOW_MS));
      if (latest) this.remember(toAnnouncement(latest));
    } catch (error) {
      this.logger.warn({ err: error }, 'reading the newest announcement failed; late joiners get the next one');
    }
  }

  /** Stores the announcement, then publishes it to every listener on every instance. */
  async announce(by: { adminId: string; name: string }, text: string): Promise<Announcement> {
    const record = await this.store.announcements.create({
      adminId: by.adminId,
      from: by.name,
      text,
      createdAt: new Date(),
    });
    const announcement = toAnnouncement(record);
    this.remember(announcement);
    await this.hub.toAllListeners('announcement', announcement);
    return announcement;
  }

  /** The announcement a listener connecting now should get, if any. */
  forLateJoiner(now = Date.now()): Announcement | undefined {
    const newest = this.newest;
    if (!newest || now - Date.parse(newest.createdAt) > LATE_JOINER_WINDOW_MS) return undefined;
    return newest;
  }

  private observe(frame: string): void {
    try {
      const parsed = JSON.parse(frame) as { event?: unknown; data?: unknown };
      if (parsed.event !== 'announcement') return;
      const announcement = announcementSchema.safeParse(parsed.data);
      if (announcement.success) this.remember(announcement.data);
    } catch {
      // not an announcement frame
    }
  }

  private remember(announcement: Announcement): void {
    if (this.newest && Date.parse(this.newest.createdAt) > Date.parse(announcement.createdAt)) return;
    this.newest = announcement;
  }
}
