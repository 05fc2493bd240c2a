import { Kysely, Migrator, sql, type Dialect } from 'kysely';
import { InFlight } from '../in-flight.js';
import { KyselyAdminRepository } from './admins.js';
import { KyselyMessageRepository } from './messages.js';
import { LiveChatSqliteDialect } from './sqlite/dialect.js';
import { migrationProvider } from './migrations/index.js';
import type { DatabaseSchema } from './schema.js';
import { KyselyOnAirRepository } from './onair.js';
import { KyselyRequestRepository } from './requests.js';
import { KyselySessionRepository } from './sessions.js';
import { KyselyModerationRepository } from './moderation.js';
import { KyselyRetentionRepository } from './retention.js';
import { KyselyAnnouncementRepository } from './announcements.js';
import { KyselyMessageSearch } from './message-search.js';
import { onConnection } from './write-statement.js';
import { KyselyQuickReplyRepository } from './quick-replies.js';
import { KyselyShowCounts } from './show-counts.js';
import type {
  AdminRepository,
  AnnouncementRepository,
  MessageRepository,
  MessageSearch,
  ModerationRepository,
  OnAirRepository,
  QuickReplyRepository,
  RequestRepository,
  RetentionRepository,
  SessionRepository,
  ShowCounts,
  Store,
} from './types.js';

/**
 * Calls in progress, so that close() lets them finish before the connections
 * go away (instead of failing them half-way), and refuses calls after it.
 */
class CallTracker {
  readonly #inFlight = new InFlight();
  #closed = false;

  run<T>(call: () => Promise<T>): Promise<T> {
    if (this.#closed) return Promise.reject(new Error('the store is closed'));
    return this.#inFlight.track(call());
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.#inFlight.idle();
  }
}

/** The one Store implementation: the same queries on both dialects. */
export class KyselyStore implements Store {
  readonly sessions: SessionRepository;
  readonly messages: MessageRepository;
  readonly admins: AdminRepository;
  readonly moderation: ModerationRepository;
  readonly retention: RetentionRepository;
  readonly quickReplies: QuickReplyRepository;
  readonly announcements: AnnouncementRepository;
  readonly search: MessageSearch;
  readonly counts: ShowCounts;
  readonly requests: RequestRepository;
  readonly onair: OnAirRepository;
  readonly #db: Kysely<DatabaseSchema>;
  readonly #calls = new CallTracker();
  readonly #messages: KyselyMessageRepository;
  #closing: Promise<void> | undefined;

  constructor(
    readonly dialect: 'sqlite' | 'postgres',
    kyselyDialect: Dialect,
  ) {
    const db = new Kysely<DatabaseSchema>({ dialect: kyselyDialect });
    this.#db = db;
    // On SQLite with FULL, a call that committed is answered once the WAL is on disk (see ./sqlite/dialect.ts).
    const durable = kyselyDialect instanceof LiveChatSqliteDialect ? kyselyDialect : undefined;
    const run = <T>(call: () => Promise<T>): Promise<T> =>
      this.#calls.run(durable === undefined ? call : () => durable.durableAfter(call));

    const messages = new KyselyMessageRepository(
      db,
      kyselyDialect instanceof LiveChatSqliteDialect ? kyselyDialect : undefined,
    );
    this.#messages = messages;
    // On a SQLite file, a listener's arrival writes on the writer's thread (see ./write-statement.ts).
    const write = messages.writeStatement() ?? onConnection(db as Kysely<unknown>);
    const sessions = new KyselySessionRepository(db, dialect, write);
    this.sessions = {
      create: (session) => run(() => sessions.create(session)),
      get: (id) => run(() => sessions.get(id)),
      listRecent: (options) => run(() => sessions.listRecent(options)),
      newestLinked: (id) => run(() => sessions.newestLinked(id)),
      erase: (id) => run(() => sessions.erase(id)),
    };
    this.messages = {
      // A file's messages are committed and synced on the writer's thread, never on this handle.
      insert: (message, options) => this.#calls.run(() => messages.insert(message, options)),
      listAfter: (sessionId, options) => run(() => messages.listAfter(sessionId, options)),
      latestId: (sessionId, direction) => run(() => messages.latestId(sessionId, direction)),
      findByClientId: (senderKey, clientMessageId) => run(() => messages.findByClientId(senderKey, clientMessageId)),
      latestIds: (sessionIds, direction) => run(() => messages.latestIds(sessionIds, direction)),
      get: (messageId) => run(() => messages.get(messageId)),
      setHidden: (messageId, reason) => run(() => messages.setHidden(messageId, reason)),
    };
    const admins = new KyselyAdminRepository(db);
    this.admins = {
      upsert: (admin) => run(() => admins.upsert(admin)),
      create: (admin) => run(() => admins.create(admin)),
      update: (id, change) => run(() => admins.update(id, change)),
      list: () => run(() => admins.list()),
      findByUsername: (username) => run(() => admins.findByUsername(username)),
      findById: (id) => run(() => admins.findById(id)),
      count: () => run(() => admins.count()),
      displayNames: () => run(() => admins.displayNames()),
    };
    const moderation = new KyselyModerationRepository(db, write);
    this.moderation = {
      recordClient: (client) => run(() => moderation.recordClient(client)),
      clientOf: (sessionId) => run(() => moderation.clientOf(sessionId)),
      block: (block) => run(() => moderation.block(block)),
      addBlock: (block) => run(() => moderation.addBlock(block)),
      unblock: (sessionId) => run(() => moderation.unblock(sessionId)),
      activeBlocks: (now) => run(() => moderation.activeBlocks(now)),
      revokeToken: (tokenId, expiresAt) => run(() => moderation.revokeToken(tokenId, expiresAt)),
      revokedTokens: (now) => run(() => moderation.revokedTokens(now)),
      audit: (entry) => run(() => moderation.audit(entry)),
      auditLog: (limit) => run(() => moderation.auditLog(limit)),
    };
    const retention = new KyselyRetentionRepository(db);
    this.retention = {
      deleteOlderThan: (cutoff, batchSize) => run(() => retention.deleteOlderThan(cutoff, batchSize)),
    };
    const quickReplies = new KyselyQuickReplyRepository(db);
    this.quickReplies = {
      list: () => run(() => quickReplies.list()),
      count: () => run(() => quickReplies.count()),
      create: (reply) => run(() => quickReplies.create(reply)),
      update: (id, change) => run(() => quickReplies.update(id, change)),
      remove: (id) => run(() => quickReplies.remove(id)),
    };
    const announcements = new KyselyAnnouncementRepository(db);
    this.announcements = {
      create: (announcement) => run(() => announcements.create(announcement)),
      latestSince: (since) => run(() => announcements.latestSince(since)),
    };
    const search = new KyselyMessageSearch(db, dialect, () => messages.catchUpSearchIndex());
    this.search = {
      search: (words, limit) => run(() => search.search(words, limit)),
      exportPage: (range, after, limit) => run(() => search.exportPage(range, after, limit)),
    };
    const counts = new KyselyShowCounts(db);
    this.counts = {
      sessionsCreatedSince: (since) => run(() => counts.sessionsCreatedSince(since)),
      messagesSince: (since) => run(() => counts.messagesSince(since)),
    };
    const requests = new KyselyRequestRepository(db, dialect);
    this.requests = {
      list: (status) => run(() => requests.list(status)),
      setStatus: (requestId, status) => run(() => requests.setStatus(requestId, status)),
      countOpen: () => run(() => requests.countOpen()),
    };
    const onair = new KyselyOnAirRepository(db, dialect);
    this.onair = {
      queue: () => run(() => onair.queue()),
      setState: (messageId, state, by) => run(() => onair.setState(messageId, state, by)),
      reorder: (messageIds) => run(() => onair.reorder(messageIds)),
    };
  }

  /**
   * Kysely's Migrator serialises concurrent runs: a session advisory lock on
   * PostgreSQL, the IMMEDIATE transaction on SQLite (see ./sqlite/dialect.ts).
   */
  migrate(): Promise<void> {
    return this.#calls.run(async () => {
      const migrator = new Migrator({ db: this.#db, provider: migrationProvider(this.dialect) });
      const { error, results } = await migrator.migrateToLatest();
      if (error !== undefined) {
        const failed = results?.find((result) => result.status === 'Error')?.migrationName;
        const what = failed === undefined ? 'database migration failed' : `database migration ${failed} failed`;
        throw new Error(`${what}: ${describe(error)}`, { cause: error });
      }
      // Ready for messages: the writer's start-up is not left to the first one.
      this.#messages.warmUp();
    });
  }

  ping(): Promise<void> {
    return this.#calls.run(async () => {
      await sql`select 1`.execute(this.#db);
    });
  }

  /** Lets calls in progress finish, refuses new ones, then closes the connections. */
  close(): Promise<void> {
    this.#closing ??= this.#calls
      .close()
      .then(() => this.#messages.close())
      .then(() => this.#db.destroy());
    return this.#closing;
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
