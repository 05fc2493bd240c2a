/**
 * The message writer's thread: its own handle on the SQLite file, writing the
 * batches the main thread sends (./message-writer.ts). Commits, their fsync
 * (`synchronous=FULL`) and WAL checkpoints happen here, off the event loop
 * that serves the connections. With FULL the WAL is synced beside the commits
 * (./wal-sync.ts): a batch is answered once it is on disk, and the next
 * batches are written meanwhile.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type Database from 'better-sqlite3';
import { openSqliteHandle, type SqliteOptions } from './dialect.js';
import { MessageBatchWriter, type MessageBatchStatements } from './message-batch.js';
import type { WriterReply, WriterRequest } from './message-writer.js';
import { SearchIndexer } from './search-index.js';
import { WalSync } from './wal-sync.js';

/** While messages come, the search index is brought up to date this often, between batches. */
const SEARCH_INDEX_INTERVAL_MS = 1000;

const { options, statements } = workerData as { options: SqliteOptions; statements: MessageBatchStatements };
const port = parentPort!;
const walSync = options.synchronous === 'FULL' ? new WalSync(`${options.path}-wal`) : undefined;
// The commits themselves skip the sync that walSync does for them.
const database = openSqliteHandle(walSync ? { ...options, synchronous: 'NORMAL' } : options);
const writer = new MessageBatchWriter(database, statements);
const indexer = new SearchIndexer(database);
let lastIndexedAt = Date.now();
let indexing = false;

/** One chunk of the search index per turn of this thread's loop, so batches that arrive meanwhile go first. */
function indexInTurns(): void {
  try {
    if (indexer.step() > 0) {
      setImmediate(indexInTurns);
      return;
    }
  } catch {
    // Left for the next turn or the next search (which reports its own error).
  }
  indexing = false;
  lastIndexedAt = Date.now();
}

/** The reply for a batch that failed: the error's message (after `context`, if given) and SQLite's or the OS's code. */
function failed(id: number, error: unknown, context = ''): WriterReply {
  const { message, code } = error as { message?: unknown; code?: unknown };
  return {
    id,
    error: { message: `${context}${String(message ?? error)}`, code: typeof code === 'string' ? code : undefined },
  };
}

port.on('message', (request: WriterRequest) => {
  if (request.type === 'close') {
    walSync?.close();
    database.close();
    port.close();
    return;
  }
  if (request.type === 'index') {
    try {
      indexer.catchUp();
      port.postMessage({ id: request.id, outcomes: [] } satisfies WriterReply);
    } catch (error) {
      port.postMessage(failed(request.id, error, 'updating the search index failed: '));
    }
    return;
  }
  if (request.type === 'execute') {
    let rows: unknown[];
    try {
      rows = execute(request.sql, request.parameters);
    } catch (error) {
      port.postMessage(failed(request.id, error));
      return;
    }
    answerWhenDurable({ id: request.id, rows });
    return;
  }
  let reply: WriterReply;
  const now = Date.now();
  try {
    reply = { id: request.id, outcomes: writer.write(request.messages, now) };
  } catch (error) {
    port.postMessage(failed(request.id, error));
    return;
  }
  if (!indexing && now - lastIndexedAt >= SEARCH_INDEX_INTERVAL_MS) {
    indexing = true;
    setImmediate(indexInTurns);
  }
  answerWhenDurable(reply);
});

/** Statements of `execute` requests, prepared once per SQL text (Kysely emits the same text for the same query). */
const executeStatements = new Map<string, Database.Statement>();

function execute(sql: string, parameters: readonly unknown[]): unknown[] {
  let statement = executeStatements.get(sql);
  if (statement === undefined) {
    statement = database.prepare(sql);
    executeStatements.set(sql, statement);
  }
  if (statement.reader) return statement.all(parameters);
  statement.run(parameters);
  return [];
}

/** Posts the reply once what was committed is on disk (at once without `synchronous=FULL`). */
function answerWhenDurable(reply: WriterReply): void {
  if (walSync === undefined) {
    port.postMessage(reply);
    return;
  }
  walSync.afterCommit((error) => {
    if (error === undefined) {
      port.postMessage(reply);
      return;
    }
    // Committed but maybe not on disk, and after a failed sync the file's state
    // is unknown: fail the batch (the client resends; a copy that did survive is
    // acked as a duplicate) and stop this thread; the next write starts a new one.
    port.postMessage(failed(reply.id, error, 'syncing the WAL failed: '));
    process.exit(1);
  });
}
