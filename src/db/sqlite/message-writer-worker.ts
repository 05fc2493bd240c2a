/**
 * The message writer's thread: its own handle on the SQLite file, writing the
 * batches the main thread sends (./message-writer.ts). Commits, their fsync
 * (`synchronous=FULL`) and WAL checkpoints happen here, off the event loop
 * that serves the connections.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { openSqliteHandle, type SqliteOptions } from './dialect.js';
import { MessageBatchWriter, type MessageBatchStatements } from './message-batch.js';
import type { WriterReply, WriterRequest } from './message-writer.js';

const { options, statements } = workerData as { options: SqliteOptions; statements: MessageBatchStatements };
const port = parentPort!;
const database = openSqliteHandle(options);
const writer = new MessageBatchWriter(database, statements);

port.on('message', (request: WriterRequest) => {
  if (request.type === 'close') {
    database.close();
    port.close();
    return;
  }
  let reply: WriterReply;
  try {
    reply = { id: request.id, outcomes: writer.write(request.messages, Date.now()) };
  } catch (error) {
    const { message, code } = error as { message?: unknown; code?: unknown };
    reply = {
      id: request.id,
      error: { message: String(message ?? error), code: typeof code === 'string' ? code : undefined },
    };
  }
  port.postMessage(reply);
});
