/**
 * When each session's token expires, remembered per instance (it never
 * changes), so that checking a reply against it costs a database read only
 * the first time a session is replied to here, never per message, and none
 * at all for a session whose listener connected here (its token carries it).
 */
import type { Store } from '../db/types.js';

/** Sessions remembered; the oldest entry goes first beyond it. */
const CAPACITY = 50_000;

export class SessionExpiries {
  /** sessionId → expiry (epoch ms), or the read in flight. Unknown sessions are not remembered. */
  private readonly known = new Map<string, number | Promise<number | undefined>>();

  constructor(private readonly store: Store) {}

  /** Remembers an expiry learnt elsewhere (a listener's verified token, which expires with its session). */
  remember(sessionId: string, expiresAt: number): void {
    if (typeof this.known.get(sessionId) === 'number') return;
    this.known.delete(sessionId);
    this.evictBeyondCapacity();
    this.known.set(sessionId, expiresAt);
  }

  /** The session's expiry (epoch ms); undefined when the session does not exist or the database failed. */
  expiresAt(sessionId: string): number | undefined | Promise<number | undefined> {
    const known = this.known.get(sessionId);
    if (known !== undefined) return known;
    // Settles the entry only while it is still this read's (a remembered expiry may have replaced it).
    const settle = (at: number | undefined): number | undefined => {
      if (this.known.get(sessionId) !== read) return at;
      if (at === undefined) this.known.delete(sessionId);
      else this.known.set(sessionId, at);
      return at;
    };
    const read: Promise<number | undefined> = this.store.sessions.get(sessionId).then(
      (session) => settle(session?.expiresAt.getTime()),
      () => settle(undefined),
    );
    this.evictBeyondCapacity();
    this.known.set(sessionId, read);
    return read;
  }

  private evictBeyondCapacity(): void {
    if (this.known.size >= CAPACITY) this.known.delete(this.known.keys().next().value!);
  }
}
