import type { Kysely, Selectable } from 'kysely';
import { formatRowId, parseRowId } from './ids.js';
import type { AdminsTable, DatabaseSchema } from './schema.js';
import type { AdminRecord, AdminRepository } from './types.js';

function toRecord(row: Selectable<AdminsTable>): AdminRecord {
  return {
    id: formatRowId(row.id),
    username: row.username,
    displayName: row.display_name,
    passwordHash: row.password_hash,
  };
}

export class KyselyAdminRepository implements AdminRepository {
  constructor(private readonly db: Kysely<DatabaseSchema>) {}

  async upsert(admin: { username: string; displayName: string; passwordHash: string }): Promise<AdminRecord> {
    const now = Date.now();
    const row = await this.db
      .insertInto('admins')
      .values({
        username: admin.username,
        display_name: admin.displayName,
        password_hash: admin.passwordHash,
        created_at: now,
        updated_at: now,
      })
      .onConflict((oc) =>
        oc.column('username').doUpdateSet((eb) => ({
          display_name: eb.ref('excluded.display_name'),
          password_hash: eb.ref('excluded.password_hash'),
          updated_at: eb.ref('excluded.updated_at'),
        })),
      )
      .returningAll()
      .executeTakeFirstOrThrow();
    return toRecord(row);
  }

  async findByUsername(username: string): Promise<AdminRecord | undefined> {
    const row = await this.db.selectFrom('admins').selectAll().where('username', '=', username).executeTakeFirst();
    return row === undefined ? undefined : toRecord(row);
  }

  async findById(id: string): Promise<AdminRecord | undefined> {
    const rowId = parseRowId(id);
    if (rowId === undefined) return undefined;
    const row = await this.db.selectFrom('admins').selectAll().where('id', '=', rowId).executeTakeFirst();
    return row === undefined ? undefined : toRecord(row);
  }

  async displayNames(): Promise<string[]> {
    const rows = await this.db.selectFrom('admins').select('display_name').execute();
    return rows.map((row) => row.display_name);
  }

  async count(): Promise<number> {
    const { n } = await this.db
      .selectFrom('admins')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    return Number(n);
  }
}
