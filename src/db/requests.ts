/**
 * Song requests grouped by song (contract v1.1 D). A request is a message with
 * a `request_key` (written with the message, see ../text/song-key.ts); groups
 * are read from those, so storing a plain message or a request never touches
 * this module.
 *
 * A song's requests since its newest `song_requests` row are its open group
 * (no row yet); a row is written when a broadcaster gives the group a status,
 * and holds the song's requests up to `last_message_id`. The group's id is the
 * messageId of its first request, stable while it grows.
 */
import { sql, type ExpressionBuilder, type Kysely } from 'kysely';
import { formatRowId, parseRowId } from './ids.js';
import { lockLiveShow } from './live-show-lock.js';
import type { DatabaseSchema } from './schema.js';

export type RequestStatus = 'open' | 'played' | 'skipped';

export interface RequestGroup {
  requestId: string;
  title: string;
  artist: string;
  status: RequestStatus;
  /** Distinct sessions that asked. */
  count: number;
  /** The group's request messages in stored order, with their sessions. */
  members: Array<{ messageId: string; sessionId: string }>;
}

export interface RequestRepository {
  /** Groups with the status, most asked first (then the earliest asked first). */
  list(status: RequestStatus): Promise<RequestGroup[]>;
  /** Gives a group a status; undefined when `requestId` names no group. */
  setStatus(requestId: string, status: RequestStatus): Promise<RequestGroup | undefined>;
  /** Open groups (for stats): how many songs wait. */
  countOpen(): Promise<number>;
}

/** Groups with a status other than open: only the most recently changed are listed. */
const CLOSED_LISTED = 200;

interface MemberRow {
  id: number;
  session_id: string;
  request_title: string | null;
  request_artist: string | null;
  request_key: string | null;
}

type Db = Kysely<DatabaseSchema>;
type SelectScope = DatabaseSchema & { m: DatabaseSchema['messages'] };

export class KyselyRequestRepository implements RequestRepository {
  constructor(
    private readonly db: Db,
    private readonly dialect: 'sqlite' | 'postgres',
  ) {}

  async list(status: RequestStatus): Promise<RequestGroup[]> {
    const groups =
      status === 'open'
        ? [...(await this.openGroups(this.db)), ...(await this.groupsWithRow(this.db, 'open'))]
        : await this.groupsWithRow(this.db, status);
    return sortByDemand(groups);
  }

  async countOpen(): Promise<number> {
    const open = await this.db
      .selectFrom('messages as m')
      .select((eb) => eb.fn.count<number>('m.request_key').distinct().as('songs'))
      .where('m.request_key', 'is not', null)
      .where('m.hidden_reason', 'is', null)
      .where(({ eb, selectFrom }) => eb('m.id', '>', this.newestGroupEnd(selectFrom)))
      .executeTakeFirst();
    const reopened = await this.db
      .selectFrom('song_requests')
      .select((eb) => eb.fn.countAll<number>().as('groups'))
      .where('status', '=', 'open')
      .executeTakeFirst();
    return Number(open?.songs ?? 0) + Number(reopened?.groups ?? 0);
  }

  /** For a request `m`: the last messageId of its song's newest group with a row (0 when none). */
  private newestGroupEnd(selectFrom: ExpressionBuilder<SelectScope, 'm'>['selectFrom']) {
    return sql<number>`coalesce((${selectFrom('song_requests as r')
      .select((inner) => inner.fn.max('r.last_message_id').as('last'))
      .whereRef('r.song_key', '=', 'm.request_key')}), 0)`;
  }

  async setStatus(requestId: string, status: RequestStatus): Promise<RequestGroup | undefined> {
    const id = parseRowId(requestId);
    if (id === undefined) return undefined;
    return this.db.transaction().execute(async (trx) => {
      await lockLiveShow(trx, this.dialect, 'requests');
      const first = await trx
        .selectFrom('messages')
        .select(['request_key'])
        .where('id', '=', id)
        .where('request_key', 'is not', null)
        .executeTakeFirst();
      const key = first?.request_key;
      if (key === undefined || key === null) return undefined;
      const newest = await trx
        .selectFrom('messages')
        .select((eb) => eb.fn.max('id').as('id'))
        .where('request_key', '=', key)
        .executeTakeFirst();
      const lastOfSong = Number(newest?.id ?? id);
      const row = await trx.selectFrom('song_requests').selectAll().where('id', '=', id).executeTakeFirst();
      const now = Date.now();
      if (row === undefined) {
        // Only the first request of the song's open group names it.
        const bound = await this.closedUpTo(trx, key);
        const start = await trx
          .selectFrom('messages')
          .select((eb) => eb.fn.min('id').as('id'))
          .where('request_key', '=', key)
          .where('id', '>', bound)
          .executeTakeFirst();
        if (start?.id === undefined || start.id === null || Number(start.id) !== id) return undefined;
        if (status !== 'open') {
          await trx
            .insertInto('song_requests')
            .values({ id, song_key: key, last_message_id: lastOfSong, status, updated_at: now })
            .execute();
        }
      } else {
        const later = await trx
          .selectFrom('song_requests')
          .select('id')
          .where('song_key', '=', key)
          .where('id', '>', id)
          .executeTakeFirst();
        if (later === undefined && status === 'open') {
          // Reopening the song's newest group: back to the open group, with whoever asked since.
          await trx.deleteFrom('song_requests').where('id', '=', id).execute();
        } else {
          // The newest group takes in the requests that came after its status was last set.
          const last = later === undefined ? lastOfSong : Number(row.last_message_id);
          await trx
            .updateTable('song_requests')
            .set({ status, last_message_id: last, updated_at: now })
            .where('id', '=', id)
            .execute();
        }
      }
      const group = await this.groupOf(trx, id, key);
      return group === undefined ? undefined : { ...group, status };
    });
  }

  /** The largest messageId of the song's requests that already belong to a group with a row (0: none). */
  private async closedUpTo(db: Db, key: string): Promise<number> {
    const row = await db
      .selectFrom('song_requests')
      .select((eb) => eb.fn.max('last_message_id').as('last'))
      .where('song_key', '=', key)
      .executeTakeFirst();
    return row?.last === undefined || row.last === null ? 0 : Number(row.last);
  }

  /** The group that starts at `id`: with a row, the row's range; else the open group. */
  private async groupOf(db: Db, id: number, key: string): Promise<Omit<RequestGroup, 'status'> | undefined> {
    const row = await db.selectFrom('song_requests').select('last_message_id').where('id', '=', id).executeTakeFirst();
    let query = db
      .selectFrom('messages')
      .select(['id', 'session_id', 'request_title', 'request_artist', 'request_key'])
      .where('request_key', '=', key)
      .where('id', '>=', id);
    if (row !== undefined) query = query.where('id', '<=', Number(row.last_message_id));
    const members = (await query.orderBy('id').execute()) as MemberRow[];
    return members.length === 0 ? undefined : toGroup(members, 'open');
  }

  /** The songs' open groups without a row: each song's requests after its newest row. */
  private async openGroups(db: Db): Promise<RequestGroup[]> {
    const rows = (await db
      .selectFrom('messages as m')
      .select(['m.id', 'm.session_id', 'm.request_title', 'm.request_artist', 'm.request_key'])
      .where('m.request_key', 'is not', null)
      .where('m.hidden_reason', 'is', null)
      .where(({ eb, selectFrom }) => eb('m.id', '>', this.newestGroupEnd(selectFrom)))
      .orderBy('m.id')
      .execute()) as MemberRow[];
    const byKey = new Map<string, MemberRow[]>();
    for (const row of rows) {
      const members = byKey.get(row.request_key!);
      if (members) members.push(row);
      else byKey.set(row.request_key!, [row]);
    }
    return [...byKey.values()].map((members) => toGroup(members, 'open'));
  }

  /** Groups with a row and this status (open: reopened groups that newer ones followed). */
  private async groupsWithRow(db: Db, status: RequestStatus): Promise<RequestGroup[]> {
    const groups = await db
      .selectFrom('song_requests')
      .select(['id', 'song_key', 'last_message_id'])
      .where('status', '=', status)
      .orderBy('updated_at', 'desc')
      .limit(CLOSED_LISTED)
      .execute();
    if (groups.length === 0) return [];
    const rows = (await db
      .selectFrom('messages as m')
      .innerJoin('song_requests as r', (join) =>
        join
          .onRef('r.song_key', '=', 'm.request_key')
          .onRef('m.id', '>=', 'r.id')
          .onRef('m.id', '<=', 'r.last_message_id'),
      )
      .select(['r.id as group_id', 'm.id', 'm.session_id', 'm.request_title', 'm.request_artist', 'm.request_key'])
      .where(
        'r.id',
        'in',
        groups.map((group) => group.id),
      )
      .orderBy('m.id')
      .execute()) as Array<MemberRow & { group_id: number }>;
    const byGroup = new Map<number, MemberRow[]>();
    for (const row of rows) {
      const groupId = Number(row.group_id);
      const members = byGroup.get(groupId);
      if (members) members.push(row);
      else byGroup.set(groupId, [row]);
    }
    return [...byGroup.values()].map((members) => toGroup(members, status));
  }
}

function toGroup(members: readonly MemberRow[], status: RequestStatus): RequestGroup {
  const first = members[0]!;
  return {
    requestId: formatRowId(Number(first.id)),
    title: first.request_title ?? '',
    artist: first.request_artist ?? '',
    status,
    count: new Set(members.map((member) => member.session_id)).size,
    members: members.map((member) => ({ messageId: formatRowId(Number(member.id)), sessionId: member.session_id })),
  };
}

/** Most asked first; of equally asked songs, the one asked first. */
function sortByDemand(groups: RequestGroup[]): RequestGroup[] {
  return groups.sort((a, b) => b.count - a.count || Number(a.requestId) - Number(b.requestId));
}
