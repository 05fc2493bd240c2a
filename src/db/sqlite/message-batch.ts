/**
 * SQLite: one batch of messages in one transaction, synchronously on a
 * better-sqlite3 handle. It runs on the message writer's thread
 * (./message-writer-worker.ts), or on the main thread for an in-memory
 * database. The SQL comes compiled from Kysely (../messages.ts); only the
 * control flow is here, and everything it returns is plain data.
 *
 * The transaction holds the database's write lock (BEGIN IMMEDIATE), so ids
 * are drawn and committed in order without a row lock, and no savepoint is
 * needed: lastMessageAt is only set once the insert went through, and a failed
 * statement (an account's foreign key pointing nowhere) is undone on its own.
 */
import type Database from 'better-sqlite3';
import type { MessageRow } from '../schema.js';
import { formatRowId } from '../ids.js';
import { adminIdColumn, firstCopyGone, touchesSession, type MessageWriteOutcome } from '../message-write.js';
import { bindParameters, type CompiledStatement, type Slot } from '../prepared-query.js';
import type { NewMessage } from '../types.js';

/** The bound values of the message insert, by name. */
export type InsertParam =
  | 'sessionId'
  | 'direction'
  | 'senderKey'
  | 'from'
  | 'adminId'
  | 'clientMessageId'
  | 'text'
  | 'now'
  | 'hiddenReason'
  | 'requestTitle'
  | 'requestArtist'
  | 'requestKey';

/** The message path's statements, as compiled by Kysely for SQLite. */
export interface MessageBatchStatements {
  previousBroadcaster: CompiledStatement<'sessionId'>;
  insert: CompiledStatement<InsertParam>;
  touchSession: CompiledStatement<'sessionId' | 'now'>;
  firstCopy: CompiledStatement<'senderKey' | 'clientMessageId'>;
  sessionExists: CompiledStatement<'sessionId'>;
}

type Prepared = {
  [K in keyof MessageBatchStatements]: { statement: Database.Statement; compiled: MessageBatchStatements[K] };
};

/** Prepares the statements once per handle. */
export class MessageBatchWriter {
  private readonly prepared: Prepared;
  private readonly begin: Database.Statement;
  private readonly commit: Database.Statement;
  private readonly rollback: Database.Statement;

  constructor(
    private readonly database: Database.Database,
    statements: MessageBatchStatements,
  ) {
    const prepare = <K extends keyof MessageBatchStatements>(key: K) => ({
      statement: database.prepare(statements[key].sql),
      compiled: statements[key],
    });
    this.prepared = {
      previousBroadcaster: prepare('previousBroadcaster'),
      insert: prepare('insert'),
      touchSession: prepare('touchSession'),
      firstCopy: prepare('firstCopy'),
      sessionExists: prepare('sessionExists'),
    } as Prepared;
    this.begin = database.prepare('begin immediate');
    this.commit = database.prepare('commit');
    this.rollback = database.prepare('rollback');
  }

  /**
   * Writes the batch and commits it; one outcome per message, in order. Throws
   * (after rolling back: nothing of the batch is stored) on any error other
   * than a message refused on its own.
   */
  write(messages: readonly NewMessage[], now: number): MessageWriteOutcome[] {
    this.begin.run();
    try {
      const outcomes = messages.map((message) => this.writeOne(message, now));
      this.commit.run();
      return outcomes;
    } catch (error) {
      if (this.database.inTransaction) this.rollback.run();
      throw error;
    }
  }

  private writeOne(message: NewMessage, now: number): MessageWriteOutcome {
    const admin = adminIdColumn(message);
    if (!('adminId' in admin)) return admin;
    // The session first: a message into a session that does not exist is
    // refused even when its key repeats an earlier message (as on PostgreSQL).
    if (this.get('sessionExists', { sessionId: message.sessionId }) === undefined) {
      return { ok: false, reason: 'unknown_session', detail: message.sessionId };
    }
    const previousMessageId =
      message.direction === 'broadcaster' ? this.previousBroadcasterId(message.sessionId) : undefined;
    let inserted: { id: number } | undefined;
    try {
      inserted = this.get<{ id: number }>('insert', {
        sessionId: message.sessionId,
        direction: message.direction,
        senderKey: message.senderKey,
        from: message.from,
        adminId: admin.adminId,
        clientMessageId: message.clientMessageId ?? null,
        text: message.text,
        now,
        hiddenReason: message.hiddenReason ?? null,
        requestTitle: message.request?.title ?? null,
        requestArtist: message.request?.artist ?? null,
        requestKey: message.request?.key ?? null,
      });
    } catch (error) {
      if ((error as { code?: unknown }).code !== 'SQLITE_CONSTRAINT_FOREIGNKEY') throw error;
      // The broadcaster's account is gone; the statement alone was undone.
      return { ok: false, reason: 'rejected', detail: (error as Error).message };
    }
    if (inserted === undefined) {
      const first = this.get<MessageRow>('firstCopy', {
        senderKey: message.senderKey,
        clientMessageId: message.clientMessageId ?? null,
      });
      // Impossible while the write lock is held.
      if (first === undefined) throw firstCopyGone(message);
      return { ok: true, row: first, duplicate: true };
    }
    if (touchesSession(message)) {
      this.prepared.touchSession.statement.run(
        bindParameters(this.prepared.touchSession.compiled.slots, { sessionId: message.sessionId, now }),
      );
    }
    return { ok: true, duplicate: false, id: inserted.id, createdAt: now, previousMessageId };
  }

  /** The session's newest broadcaster messageId ('0' when none). */
  private previousBroadcasterId(sessionId: string): string {
    const row = this.get<{ id: number }>('previousBroadcaster', { sessionId });
    return row === undefined ? '0' : formatRowId(row.id);
  }

  private get<Row>(key: keyof MessageBatchStatements, values: Record<string, unknown>): Row | undefined {
    const { statement, compiled } = this.prepared[key];
    return statement.get(bindParameters(compiled.slots as ReadonlyArray<Slot>, values)) as Row | undefined;
  }
}
