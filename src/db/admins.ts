import { type Kysely, type Selectable } from 'kysely';
import { formatRowId, parseRowId } from './ids.js';
import type { AdminsTable, DatabaseSchema } from './schema.js';
import type { AdminRecord, AdminRepository, AdminRole } from './types.js';

function toRecord(row: Selectable<AdminsTable>): AdminRecord {
  return {
    id: formatRowId(row.id),
    username: row.username,
    displayName: row.display_name,
    passwordHash: row.password_hash,
    role: row.role,
    disabled: row.disabled_at !== null,
    tokenVersion: Number(row.token_version),
  };
}

export class KyselyAdminRepository implements AdminRepository {
  constructor(private readonly db: Kysely<DatabaseSchema>) {}

  async upsert(admin: {
    username: string;
    displayName: string;
    passwordHash: string;
    role?: AdminRole;
  }): Promise<AdminRecord> {
    const now = Date.now();
    const row = await this.db
      .insertInto('admins')
      .values({
        username: admin.username,
        display_name: admin.displayName,
        password_hash: admin.passwordHash,
        created_at: now,
        updated_at: now,
        ...(admin.role === undefined ? {} : { role: admin.role }),
      })
      .onConflict((oc) =>
        oc.column('username').doUpdateSet((eb) => ({
          display_name: eb.ref('excluded.display_name'),
          password_hash: eb.ref('excluded.password_hash'),
          updated_at: eb.ref('excluded.updated_at'),
          ...(admin.role === undefined ? {} : { role: eb.ref('excluded.role') }),
        })),
      )
      .returningAll()
      .executeTakeFirstOrThrow();
    return toRecord(row);
  }

  async create(admin: {
    username: string;
    displayName: string;
    passwordHash: string;
    role: AdminRole;
  }): Promise<AdminRecord | undefined> {
    const now = Date.now();
    const row = await this.db
      .insertInto('admins')
      .values({
        username: admin.username,
        display_name: admin.displayName,
        password_hash: admin.passwordHash,
        role: admin.role,
        created_at: now,
        updated_at: now,
      })
      .onConflict((oc) => oc.column('username').doNothing())
      .returningAll()
      .executeTakeFirst();
    return row === undefined ? undefined : toRecord(row);
  }

  async update(
    id: string,
    change: { displayName?: string; passwordHash?: string; role?: AdminRole; disabled?: boolean },
  ): Promise<AdminRecord | undefined> {
    const rowId = parseRowId(id);
    if (rowId === undefined) return undefined;
    const now = Date.now();
    const endsTokens = change.passwordHash !== undefined || change.disabled === true;
    const row = await this.db
      .updateTable('admins')
      .set((eb) => ({
        updated_at: now,
        ...(change.displayName === undefined ? {} : { display_name: change.displayName }),
        ...(change.passwordHash === undefined ? {} : { password_hash: change.passwordHash }),
        ...(change.role === undefined ? {} : { role: change.role }),
        ...(change.disabled === undefined
          ? {}
          : { disabled_at: change.disabled ? eb.fn.coalesce('disabled_at', eb.val(now)) : null }),
        ...(endsTokens ? { token_version: eb('token_version', '+', 1) } : {}),
      }))
      .where('id', '=', rowId)
      .returningAll()
      .executeTakeFirst();
    return row === undefined ? undefined : toRecord(row);
  }

  async list(): Promise<AdminRecord[]> {
    const rows = await this.db.selectFrom('admins').selectAll().orderBy('id').execute();
    return rows.map(toRecord);
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
