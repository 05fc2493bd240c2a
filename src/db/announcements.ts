/** Announcements to every listener (contract v1.1 D). */
import type { Kysely, Selectable } from 'kysely';
import type { AnnouncementRecord, AnnouncementRepository } from './live-show-types.js';
import type { AnnouncementsTable, DatabaseSchema } from './schema.js';

function toRecord(row: Selectable<AnnouncementsTable>): AnnouncementRecord {
  return {
    announcementId: String(row.id),
    adminId: row.admin_id === null ? null : String(row.admin_id),
    from: row.sender_name,
    text: row.text,
    createdAt: new Date(Number(row.created_at)),
  };
}

export class KyselyAnnouncementRepository implements AnnouncementRepository {
  constructor(private readonly db: Kysely<DatabaseSchema>) {}

  async create(announcement: {
    adminId: string;
    from: string;
    text: string;
    createdAt: Date;
  }): Promise<AnnouncementRecord> {
    const row = await this.db
      .insertInto('announcements')
      .values({
        admin_id: Number(announcement.adminId),
        sender_name: announcement.from,
        text: announcement.text,
        created_at: announcement.createdAt.getTime(),
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return toRecord(row);
  }

  async latestSince(since: Date): Promise<AnnouncementRecord | undefined> {
    const row = await this.db
      .selectFrom('announcements')
      .selectAll()
      .where('created_at', '>=', since.getTime())
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(1)
      .executeTakeFirst();
    return row === undefined ? undefined : toRecord(row);
  }
}
