/**
 * The storage interface the rest of the service uses. One implementation
 * (./store.ts) serves both dialects through Kysely; only connection set-up
 * differs per dialect (./sqlite, ./postgres).
 */
import type { AnnouncementRepository, MessageSearch, QuickReplyRepository, ShowCounts } from './live-show-types.js';

export type * from './live-show-types.js';
import type { OnAirRepository } from './onair.js';
import type { RequestRepository } from './requests.js';

export type { OnAirChange, OnAirEntry, OnAirQueue, OnAirRepository, OnAirState } from './onair.js';
export type { RequestGroup, RequestRepository, RequestStatus } from './requests.js';

export type Direction = 'listener' | 'broadcaster';

export interface SessionRecord {
  id: string;
  name: string;
  city: string;
  createdAt: Date;
  expiresAt: Date;
  lastMessageAt: Date | null;
}

export interface AdminRecord {
  id: string;
  username: string;
  displayName: string;
  passwordHash: string;
}

export interface StoredMessage {
  /** Decimal string of the row id: increases with storage order within a session. */
  messageId: string;
  sessionId: string;
  direction: Direction;
  /** Listener name or broadcaster display name at the time of sending. */
  from: string;
  text: string;
  createdAt: Date;
  /** The song asked for with the message, when it is a request. */
  request?: SongRequest | undefined;
}

/** A song request as the listener typed it (cleaned); `artist` may be empty. */
export interface SongRequest {
  title: string;
  artist: string;
}

export interface NewMessage {
  sessionId: string;
  direction: Direction;
  /** Dedup key space: `session:<sessionId>` for listeners, `admin:<adminId>` for broadcasters. */
  senderKey: string;
  from: string;
  adminId?: string | undefined;
  clientMessageId?: string | undefined;
  text: string;
  /** A song request sent with the message, with its grouping key. */
  request?: (SongRequest & { key: string }) | undefined;
}

export interface InsertResult {
  message: StoredMessage;
  /** True when (senderKey, clientMessageId) was already stored: `message` is that first row. */
  duplicate: boolean;
  /**
   * New broadcaster messages only: the messageId of the session's broadcaster
   * message stored just before this one (`'0'` when this is the first), read
   * under the same lock as the insert. Receivers use it to notice a missed
   * publication.
   */
  previousMessageId?: string | undefined;
}

export interface InsertOptions {
  /**
   * Runs after the commit while this session's writes are still held back on
   * every instance (PostgreSQL: a session-scoped advisory lock; SQLite: one
   * process). The caller acks and publishes here, so that publications of one
   * session leave in stored order even when several instances write to it.
   */
  afterCommit?: (result: InsertResult) => Promise<void>;
}

export interface SessionRepository {
  create(session: { id: string; name: string; city: string; createdAt: Date; expiresAt: Date }): Promise<SessionRecord>;
  get(id: string): Promise<SessionRecord | undefined>;
  /**
   * One page of the listing, most recent activity first (last message; with
   * `includeEmpty`, sessions without messages by creation), then by id.
   * `next` is where the following page starts, absent at the end.
   */
  listRecent(options: SessionListOptions): Promise<SessionPage>;
}

/** A position in the session listing: the activity time (epoch ms) and id of the last session of a page. */
export interface SessionCursor {
  activityAt: number;
  id: string;
}

export interface SessionListOptions {
  limit: number;
  /** Also list sessions without messages. */
  includeEmpty?: boolean | undefined;
  /** Start after this position. */
  after?: SessionCursor | undefined;
  /** Only sessions whose newest message is the listener's. */
  unanswered?: boolean | undefined;
  /** Only sessions with a song request. */
  withRequests?: boolean | undefined;
  /** Only these sessions (e.g. the ones online). */
  onlyIds?: readonly string[] | undefined;
}

export interface SessionPage {
  sessions: SessionRecord[];
  next?: SessionCursor | undefined;
}

export interface MessageRepository {
  /**
   * Stores one message (in one transaction with the other messages stored at
   * the same moment; committed when the promise resolves), updating the
   * session's lastMessageAt. Race-safe dedup: a second
   * insert with the same (senderKey, clientMessageId), even from another
   * process, resolves with the first row and `duplicate: true` (for a
   * broadcaster that row may belong to another session) and changes nothing.
   * Rejects with UnknownSessionError when the session does not exist; any
   * database error rejects too, and then nothing was stored.
   */
  insert(message: NewMessage, options?: InsertOptions): Promise<InsertResult>;
  /** The message stored with this dedup key, if any. */
  findByClientId(senderKey: string, clientMessageId: string): Promise<StoredMessage | undefined>;
  /** The newest messageId of a session (optionally of one direction), undefined when it has none. */
  latestId(sessionId: string, direction?: Direction): Promise<string | undefined>;
  /**
   * The newest messageId of one direction for each of several sessions, in
   * one query: sessionId → messageId, sessions without such a message absent.
   */
  latestIds(sessionIds: readonly string[], direction: Direction): Promise<Map<string, string>>;
  /**
   * Messages of one session stored after `afterMessageId` (all when undefined),
   * in stored order (ascending messageId), at most `limit`. `afterMessageId`
   * must be a decimal messageId (RangeError otherwise); validate input first.
   */
  listAfter(
    sessionId: string,
    options: { afterMessageId?: string | undefined; limit: number; direction?: Direction | undefined },
  ): Promise<StoredMessage[]>;
}

export interface AdminRepository {
  /** Creates the account, or updates its password hash and display name. */
  upsert(admin: { username: string; displayName: string; passwordHash: string }): Promise<AdminRecord>;
  findByUsername(username: string): Promise<AdminRecord | undefined>;
  findById(id: string): Promise<AdminRecord | undefined>;
  count(): Promise<number>;
  /** Every account's display name. */
  displayNames(): Promise<string[]>;
}

export interface Store {
  readonly dialect: 'sqlite' | 'postgres';
  readonly sessions: SessionRepository;
  readonly messages: MessageRepository;
  readonly admins: AdminRepository;
  readonly quickReplies: QuickReplyRepository;
  readonly announcements: AnnouncementRepository;
  readonly search: MessageSearch;
  readonly counts: ShowCounts;
  /** Song requests grouped by song (./requests.ts). */
  readonly requests: RequestRepository;
  /** The on-air queue (./onair.ts). */
  readonly onair: OnAirRepository;
  /** Runs pending migrations; safe when several instances start at once. */
  migrate(): Promise<void>;
  /** Resolves when the database answers a trivial query. */
  ping(): Promise<void>;
  /** Lets calls in progress finish, then closes the connections; later calls reject. */
  close(): Promise<void>;
}
