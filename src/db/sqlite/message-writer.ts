/**
 * Where SQLite message batches are written. For a database file: on a worker
 * thread with its own handle (./message-writer-worker.ts), so that commits,
 * fsyncs and checkpoints never stop the event loop, and the SQLite work runs
 * on another core beside it. For an in-memory database (one handle only): on
 * the main thread, on Kysely's connection.
 *
 * The worker starts with the first write; if it dies, the batch it held fails
 * (nothing of it was committed, or all of it was and the client resends a
 * duplicate) and the next write starts a new one.
 */
import { Worker } from 'node:worker_threads';
import type Database from 'better-sqlite3';
import type { Kysely } from 'kysely';
import { compileStatement } from '../prepared-query.js';
import { messageColumns, type DatabaseSchema } from '../schema.js';
import type { NewMessage } from '../types.js';
import type { SqliteOptions } from './dialect.js';
import type { MessageWriteOutcome } from '../message-write.js';
import { MessageBatchWriter, type InsertParam, type MessageBatchStatements } from './message-batch.js';
import { SearchIndexer } from './search-index.js';

export type WriterRequest =
  | { type: 'write'; id: number; messages: readonly NewMessage[] }
  /** Bring the search index up to the newest message (answered with no outcomes). */
  | { type: 'index'; id: number }
  /** One write statement compiled by Kysely, committed on its own (answered with its rows). */
  | { type: 'execute'; id: number; sql: string; parameters: readonly unknown[] }
  | { type: 'close' };
export type WriterReply =
  | { id: number; outcomes: MessageWriteOutcome[] }
  | { id: number; rows: unknown[] }
  | { id: number; error: { message: string; code: string | undefined } };

/** The batch writer's statements, built and compiled by Kysely for SQLite once per store. */
export function compileMessageBatchStatements(db: Kysely<DatabaseSchema>): MessageBatchStatements {
  return {
    previousBroadcaster: compileStatement(db, (db, param: (name: 'sessionId') => never) =>
      db
        .selectFrom('messages')
        .select('id')
        .where('session_id', '=', param('sessionId'))
        .where('direction', '=', 'broadcaster')
        .orderBy('id', 'desc')
        .limit(1),
    ),
    insert: compileStatement(db, (db, param: (name: InsertParam) => never) =>
      db
        .insertInto('messages')
        .values({
          session_id: param('sessionId'),
          direction: param('direction'),
          sender_key: param('senderKey'),
          sender_name: param('from'),
          admin_id: param('adminId'),
          client_message_id: param('clientMessageId'),
          text: param('text'),
          created_at: param('now'),
          hidden_reason: param('hiddenReason'),
          request_title: param('requestTitle'),
          request_artist: param('requestArtist'),
          request_key: param('requestKey'),
        })
        .onConflict((oc) => oc.columns(['sender_key', 'client_message_id']).doNothing())
        // The rest of the row is the message as given (see MessageWriteOutcome).
        .returning('id'),
    ),
    touchSession: compileStatement(db, (db, param: (name: 'sessionId' | 'now') => never) =>
      db
        .updateTable('sessions')
        .set({ last_message_at: param('now') })
        .where('id', '=', param('sessionId')),
    ),
    firstCopy: compileStatement(db, (db, param: (name: 'senderKey' | 'clientMessageId') => never) =>
      db
        .selectFrom('messages')
        .select(messageColumns)
        .where('sender_key', '=', param('senderKey'))
        .where('client_message_id', '=', param('clientMessageId')),
    ),
    sessionExists: compileStatement(db, (db, param: (name: 'sessionId') => never) =>
      db.selectFrom('sessions').select('id').where('id', '=', param('sessionId')),
    ),
  };
}

interface Pending {
  resolve: (answer: MessageWriteOutcome[] | unknown[]) => void;
  reject: (error: Error) => void;
}

/** A database error from the writer's thread, with SQLite's code. */
export class MessageWriteError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
  ) {
    super(message);
    this.name = 'MessageWriteError';
  }
}

/** A running writer thread and the batches it was sent and has not answered. */
interface WriterThread {
  worker: Worker;
  pending: Map<number, Pending>;
}

export class SqliteMessageWriter {
  private thread: WriterThread | undefined;
  private inline: MessageBatchWriter | undefined;
  private inlineIndexer: SearchIndexer | undefined;
  private nextId = 1;

  constructor(
    private readonly options: SqliteOptions,
    private readonly handle: Database.Database,
    private readonly statements: MessageBatchStatements,
    /** Runs a synchronous task while Kysely's connection is not in use (in-memory databases). */
    private readonly onKyselyConnection: <T>(task: () => T) => Promise<T>,
  ) {}

  write(messages: readonly NewMessage[]): Promise<MessageWriteOutcome[]> {
    if (this.options.path === ':memory:') {
      return this.onKyselyConnection(() => {
        this.inline ??= new MessageBatchWriter(this.handle, this.statements);
        return this.inline.write(messages, Date.now());
      });
    }
    return this.request((id) => ({ type: 'write', id, messages })) as Promise<MessageWriteOutcome[]>;
  }

  /**
   * Commits one write statement on the writer's thread and answers once it is
   * on disk, with its rows (`returning`). For the writes of a listener's
   * arrival (its session, its address): on the main thread's own handle they
   * would wait, blocking the event loop, for the write lock the writer holds
   * during its batches. Only for a database file (in memory there is one handle).
   */
  execute<Row>(query: { sql: string; parameters: readonly unknown[] }): Promise<Row[]> {
    return this.request((id) => ({ type: 'execute', id, sql: query.sql, parameters: query.parameters })) as Promise<
      Row[]
    >;
  }

  /** Whether writes go to the writer's thread (a database file) rather than the main thread's handle. */
  get threaded(): boolean {
    return this.options.path !== ':memory:';
  }

  /**
   * Brings the full-text index up to the newest stored message (see
   * ./search-index.ts): on the writer's thread, which also does it once a
   * second while messages come, so little is left to do here.
   */
  async catchUpSearchIndex(): Promise<void> {
    if (this.options.path === ':memory:') {
      await this.onKyselyConnection(() => {
        this.inlineIndexer ??= new SearchIndexer(this.handle);
        this.inlineIndexer.catchUp();
      });
      return;
    }
    await this.request((id) => ({ type: 'index', id }));
  }

  /** Starts the writer's thread now rather than with the first message (its start-up is not on a message's path). */
  warmUp(): void {
    if (this.options.path !== ':memory:') this.thread ??= this.start();
  }

  private request(build: (id: number) => WriterRequest): Promise<MessageWriteOutcome[] | unknown[]> {
    const { worker, pending } = this.thread ?? this.start();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      // The thread keeps the process alive only while a request is pending.
      if (pending.size === 0) worker.ref();
      pending.set(id, { resolve, reject });
      worker.postMessage(build(id));
    });
  }

  /** Lets the writer's thread finish and close its handle. Call when no write is pending. */
  async close(): Promise<void> {
    const worker = this.thread?.worker;
    this.thread = undefined;
    if (worker === undefined) return;
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    worker.ref();
    worker.postMessage({ type: 'close' } satisfies WriterRequest);
    await exited;
  }

  private start(): WriterThread {
    const fromSource = import.meta.url.endsWith('.ts');
    const entry = new URL(`./message-writer-worker${fromSource ? '.ts' : '.js'}`, import.meta.url);
    const workerData = { options: this.options, statements: this.statements };
    // Running from TypeScript sources (tests, benchmark): the thread loads the
    // TypeScript loader first, as the main thread was started with it.
    const worker = fromSource
      ? new Worker(
          `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(entry.href)}); });`,
          {
            eval: true,
            workerData,
          },
        )
      : new Worker(entry, { workerData });
    worker.unref(); // until a request is pending
    const thread: WriterThread = { worker, pending: new Map() };
    const { pending } = thread;
    worker.on('message', (reply: WriterReply) => {
      const batch = pending.get(reply.id);
      if (batch === undefined) return;
      pending.delete(reply.id);
      if (pending.size === 0) worker.unref();
      if ('outcomes' in reply) batch.resolve(reply.outcomes);
      else if ('rows' in reply) batch.resolve(reply.rows);
      else batch.reject(new MessageWriteError(reply.error.message, reply.error.code));
    });
    const stopped = (error: Error) => {
      if (this.thread === thread) this.thread = undefined;
      for (const batch of pending.values()) batch.reject(error);
      pending.clear();
    };
    worker.on('error', (error) => stopped(new MessageWriteError(`message writer failed: ${error.message}`, undefined)));
    worker.on('exit', (code) =>
      stopped(new MessageWriteError(`message writer stopped (exit code ${code})`, undefined)),
    );
    this.thread = thread;
    return thread;
  }
}
