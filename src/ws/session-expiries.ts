/**
 * When each session's token expires, remembered per instance (it never
 * changes), so that checking a reply against it costs a database read only
 * the first time a session is replied to here, never per message.
 */
import type { Store } from '../db/types.js';

/** Sessions remembered; the oldest entry goes first beyond it. */
const CAPACITY = 10_000;

export class SessionExpiries {
  /** sessionId → expiry (epoch ms), or the read in flight. Unknown sessions are not remembered. */
  private readonly known = new Map<string, number | Promise<number | undefined>>();

  constructor(private readonly store: Store) {}

  /** The session's expiry (epoch ms); undefined when the session does not exist or the database failed. */
  expiresAt(sessionId: string): number | undefined | Promise<number | undefined> {
    const known = this.known.get(sessionId);
    if (known !== undefined) return known;
    const read = this.store.sessions.get(sessionId).then(
      (session) => {
        if (session === undefined) {
          this.known.delete(sessionId);
          return undefined;
        }
        const at = session.expiresAt.getTime();
        this.known.set(sessionId, at);
        return at;
      },
      () => {
        this.known.delete(sessionId);
        return undefined;
      },
    );
    if (this.known.size >= CAPACITY) this.known.delete(this.known.keys().next().value!);
    this.known.set(sessionId, read);
    return read;
  }
}
