/**
 * Where a repository's single-statement writes run: on Kysely's connection,
 * or (a SQLite file) on the message writer's thread, which holds SQLite's
 * write lock for its batches: a write on the main thread's handle would wait
 * for it with the event loop blocked (./sqlite/message-writer.ts, `execute`).
 */
import type { CompiledQuery, Kysely } from 'kysely';

export type WriteStatement = <Row>(query: CompiledQuery) => Promise<Row[]>;

/** Runs the statement on Kysely's own connection. */
export function onConnection(db: Kysely<unknown>): WriteStatement {
  return async <Row>(query: CompiledQuery) => (await db.executeQuery<Row>(query)).rows as Row[];
}
