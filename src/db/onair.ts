/**
 * The on-air queue (contract v1.1 D): messages broadcasters picked to read out,
 * in their order, each `queued`, `on_air` (at most one: a unique partial index
 * says so whatever races) or `used`. Every change raises one revision counter
 * in the same transaction and answers the whole queue as of that revision.
 */
import type { Kysely, Transaction } from 'kysely';
import { parseRowId } from './ids.js';
import { lockLiveShow } from './live-show-lock.js';
import { toStored } from './message-write.js';
import type { DatabaseSchema } from './schema.js';
import type { StoredMessage } from './types.js';

export type OnAirState = 'queued' | 'on_air' | 'used';

export interface OnAirEntry {
  message: StoredMessage;
  state: OnAirState;
  /** Display name of the broadcaster who last changed it. */
  by: string;
  /** The listener's city. */
  city: string;
}

export interface OnAirQueue {
  items: OnAirEntry[];
  revision: number;
}

export type OnAirChange = { ok: true; queue: OnAirQueue } | { ok: false; reason: 'not_found' | 'not_listener' };

export interface OnAirRepository {
  queue(): Promise<OnAirQueue>;
  /** Queues, puts on air (the one on air before becomes `used`), marks used, or removes (`removed`) a message. */
  setState(messageId: string, state: OnAirState | 'removed', by: string): Promise<OnAirChange>;
  /** The given items first, in that order, then the others in their order; unknown ids are ignored. */
  reorder(messageIds: readonly string[]): Promise<OnAirQueue>;
}

type Db = Kysely<DatabaseSchema>;

export class KyselyOnAirRepository implements OnAirRepository {
  constructor(
    private readonly db: Db,
    private readonly dialect: 'sqlite' | 'postgres',
  ) {}

  queue(): Promise<OnAirQueue> {
    return readQueue(this.db);
  }

  async setState(messageId: string, state: OnAirState | 'removed', by: string): Promise<OnAirChange> {
    const id = parseRowId(messageId);
    if (id === undefined) return { ok: false, reason: 'not_found' };
    return this.db.transaction().execute(async (trx): Promise<OnAirChange> => {
      await lockLiveShow(trx, this.dialect, 'onair');
      const message = await trx
        .selectFrom('messages')
        .select(['direction', 'hidden_reason'])
        .where('id', '=', id)
        .executeTakeFirst();
      // A hidden message can leave the queue but not join it (nor go on air).
      if (message === undefined || (message.hidden_reason !== null && state !== 'removed')) {
        return { ok: false, reason: 'not_found' };
      }
      if (message.direction !== 'listener') return { ok: false, reason: 'not_listener' };
      const now = Date.now();
      if (state === 'removed') {
        await trx.deleteFrom('onair_items').where('message_id', '=', id).execute();
      } else {
        if (state === 'on_air') {
          await trx
            .updateTable('onair_items')
            .set({ state: 'used', updated_at: now })
            .where('state', '=', 'on_air')
            .where('message_id', '!=', id)
            .execute();
        }
        const updated = await trx
          .updateTable('onair_items')
          .set({ state, by_name: by, updated_at: now })
          .where('message_id', '=', id)
          .executeTakeFirst();
        if (Number(updated.numUpdatedRows) === 0) {
          const last = await trx
            .selectFrom('onair_items')
            .select((eb) => eb.fn.max('position').as('position'))
            .executeTakeFirst();
          await trx
            .insertInto('onair_items')
            .values({ message_id: id, state, position: Number(last?.position ?? 0) + 1, by_name: by, updated_at: now })
            .execute();
        }
      }
      await bumpRevision(trx);
      return { ok: true, queue: await readQueue(trx) };
    });
  }

  async reorder(messageIds: readonly string[]): Promise<OnAirQueue> {
    return this.db.transaction().execute(async (trx) => {
      await lockLiveShow(trx, this.dialect, 'onair');
      const current = await trx.selectFrom('onair_items').select('message_id').orderBy('position').execute();
      const present = new Set(current.map((row) => Number(row.message_id)));
      const first = messageIds.map((id) => parseRowId(id)).filter((id) => id !== undefined && present.has(id));
      const firstSet = new Set(first);
      const order = [...first, ...current.map((row) => Number(row.message_id)).filter((id) => !firstSet.has(id))];
      for (const [index, id] of order.entries()) {
        await trx
          .updateTable('onair_items')
          .set({ position: index + 1 })
          .where('message_id', '=', id!)
          .execute();
      }
      await bumpRevision(trx);
      return readQueue(trx);
    });
  }
}

async function bumpRevision(trx: Transaction<DatabaseSchema>): Promise<void> {
  await trx
    .updateTable('onair_revision')
    .set((eb) => ({ revision: eb('revision', '+', 1) }))
    .where('id', '=', 1)
    .execute();
}

async function readQueue(db: Db | Transaction<DatabaseSchema>): Promise<OnAirQueue> {
  const revision = await db.selectFrom('onair_revision').select('revision').where('id', '=', 1).executeTakeFirst();
  const rows = await db
    .selectFrom('onair_items as o')
    .innerJoin('messages as m', 'm.id', 'o.message_id')
    .innerJoin('sessions as s', 's.id', 'm.session_id')
    .select([
      'o.state',
      'o.by_name',
      's.city',
      'm.id',
      'm.session_id',
      'm.direction',
      'm.sender_name',
      'm.text',
      'm.created_at',
      'm.request_title',
      'm.request_artist',
      'm.hidden_reason',
    ])
    // Hidden messages (a broadcaster hid it, a muted session, held by the filter) leave the queue.
    .where('m.hidden_reason', 'is', null)
    .orderBy('o.position')
    .execute();
  return {
    revision: Number(revision?.revision ?? 0),
    items: rows.map((row) => ({
      message: toStored({ ...row, id: Number(row.id), created_at: Number(row.created_at) }),
      state: row.state,
      by: row.by_name,
      city: row.city,
    })),
  };
}
