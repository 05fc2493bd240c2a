/**
 * The storage interface the rest of the service uses. One implementation
 * (./store.ts) serves both dialects through Kysely; only connection set-up
 * differs per dialect (./sqlite, ./postgres).
 */

export type Direction = 'listener' | 'broadcaster';
export type AdminRole = 'penyiar' | 'manager';
export type BlockMode = 'mute' | 'ban';
/** Why a message is hidden: its session was muted, the word filter held it, or a broadcaster hid it. */
export type HiddenReason = 'mute' | 'filter' | 'moderator';

export interface SessionRecord {
  id: string;
  name: string;
  city: string;
  createdAt: Date;
  expiresAt: Date;
  lastMessageAt: Date | null;
  /** The client's device id, when it sent one. */
  deviceId: string | null;
  /** The session this one follows (linked at creation), when any. */
  previousSessionId: string | null;
}

export interface AdminRecord {
  id: string;
  username: string;
  displayName: string;
  passwordHash: string;
  role: AdminRole;
  disabled: boolean;
  /** Raised when the password changes or the account is disabled: tokens signed with an older one are refused. */
  tokenVersion: number;
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
  /** Present when the message is hidden. */
  hiddenReason?: HiddenReason | undefined;
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
  /** Stored hidden, for this reason (a muted session, the word filter). */
  hiddenReason?: HiddenReason | undefined;
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

export interface NewSession {
  id: string;
  name: string;
  city: string;
  createdAt: Date;
  expiresAt: Date;
  deviceId?: string | null | undefined;
  previousSessionId?: string | null | undefined;
}

export interface SessionRepository {
  create(session: NewSession): Promise<SessionRecord>;
  get(id: string): Promise<SessionRecord | undefined>;
  /**
   * The newest session that follows `sessionId` through links (its successor's
   * successor, and so on), undefined when none follows it.
   */
  newestLinked(sessionId: string): Promise<string | undefined>;
  /**
   * Erases a session and all its messages in one transaction; sessions linked
   * to it lose the link. False when there was no such session. Live
   * connections are the caller's (see src/chat/session-eraser.ts).
   */
  erase(sessionId: string): Promise<boolean>;
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
    options: {
      afterMessageId?: string | undefined;
      limit: number;
      direction?: Direction | undefined;
      /** Leave hidden messages out. */
      visibleOnly?: boolean | undefined;
    },
  ): Promise<StoredMessage[]>;
  /** One message by id, hidden or not. */
  get(messageId: string): Promise<StoredMessage | undefined>;
  /** Hides (with a reason) or shows a message; the message as it is now, undefined when there is none. */
  setHidden(messageId: string, reason: HiddenReason | null): Promise<StoredMessage | undefined>;
}

export interface AdminRepository {
  /**
   * Creates the account, or updates its password hash and display name (and
   * role, when given). Its tokens stay valid: use `update` to end them.
   */
  upsert(admin: {
    username: string;
    displayName: string;
    passwordHash: string;
    role?: AdminRole;
  }): Promise<AdminRecord>;
  /** Creates an account; undefined when the username is taken. */
  create(admin: {
    username: string;
    displayName: string;
    passwordHash: string;
    role: AdminRole;
  }): Promise<AdminRecord | undefined>;
  /** Changes an account; a new password hash or disabling raises its token version. Undefined when unknown. */
  update(
    id: string,
    change: { displayName?: string; passwordHash?: string; role?: AdminRole; disabled?: boolean },
  ): Promise<AdminRecord | undefined>;
  list(): Promise<AdminRecord[]>;
  findByUsername(username: string): Promise<AdminRecord | undefined>;
  findById(id: string): Promise<AdminRecord | undefined>;
  count(): Promise<number>;
  /** Every account's display name. */
  displayNames(): Promise<string[]>;
}

/** A mute or ban, by session, device and (optionally) client address. */
export interface BlockRecord {
  id: string;
  sessionId: string | null;
  deviceId: string | null;
  ip: string | null;
  mode: BlockMode;
  reason: string | null;
  /** null: no end. */
  until: Date | null;
  adminId: string;
  createdAt: Date;
}

export interface AuditEntry {
  at: Date;
  adminId: string;
  action: string;
  target: string;
  detail: Record<string, unknown> | null;
}

export interface ModerationRepository {
  /** The client address a session was opened from, kept as long as the session. */
  recordClient(client: { sessionId: string; ip: string }): Promise<void>;
  clientOf(sessionId: string): Promise<{ ip: string } | undefined>;
  /** Replaces the session's blocks with this one. */
  block(block: Omit<BlockRecord, 'id' | 'createdAt'> & { sessionId: string }): Promise<BlockRecord>;
  /** Adds a block without touching others (a muted device's new session). */
  addBlock(block: Omit<BlockRecord, 'id' | 'createdAt'>): Promise<BlockRecord>;
  /** Lifts the session's blocks; how many there were. */
  unblock(sessionId: string): Promise<number>;
  /** Blocks in force at `now` (no end, or ending later). */
  activeBlocks(now: Date): Promise<BlockRecord[]>;
  /** Adds a token id to the deny-list until it expires. */
  revokeToken(tokenId: string, expiresAt: Date): Promise<void>;
  /** Token ids still denied at `now`. */
  revokedTokens(now: Date): Promise<string[]>;
  audit(entry: Omit<AuditEntry, 'at'>): Promise<void>;
  auditLog(limit: number): Promise<AuditEntry[]>;
}

export interface RetentionRepository {
  /**
   * Deletes at most `batchSize` rows older than `cutoff`: messages first, then
   * sessions without activity since (their remaining rows go with them), then
   * expired blocks, denied tokens and audit entries. How many rows it deleted.
   */
  deleteOlderThan(cutoff: Date, batchSize: number): Promise<number>;
}

export interface Store {
  readonly dialect: 'sqlite' | 'postgres';
  readonly sessions: SessionRepository;
  readonly messages: MessageRepository;
  readonly admins: AdminRepository;
  readonly moderation: ModerationRepository;
  readonly retention: RetentionRepository;
  /** Runs pending migrations; safe when several instances start at once. */
  migrate(): Promise<void>;
  /** Resolves when the database answers a trivial query. */
  ping(): Promise<void>;
  /** Lets calls in progress finish, then closes the connections; later calls reject. */
  close(): Promise<void>;
}
