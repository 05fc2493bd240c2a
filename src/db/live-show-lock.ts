import { sql, type Transaction } from 'kysely';
import type { DatabaseSchema } from './schema.js';

/** First key of the advisory locks that serialise live-show changes (PostgreSQL). */
const LIVE_SHOW_LOCK = 0x4c53;

/**
 * Serialises one kind of live-show change (the song requests, the on-air
 * queue) across instances for the rest of the transaction: PostgreSQL takes a
 * transaction-scoped advisory lock; SQLite transactions begin IMMEDIATE and so
 * hold the database's one write lock already.
 */
export async function lockLiveShow(
  trx: Transaction<DatabaseSchema>,
  dialect: 'sqlite' | 'postgres',
  which: 'requests' | 'onair',
): Promise<void> {
  if (dialect !== 'postgres') return;
  await sql`select pg_advisory_xact_lock(${LIVE_SHOW_LOCK}, ${which === 'requests' ? 1 : 2})`.execute(trx);
}
