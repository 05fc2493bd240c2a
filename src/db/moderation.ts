/** Blocks, the token deny-list, the address sessions came from, and the audit log. */
import type { Kysely, Selectable } from 'kysely';
import { formatRowId } from './ids.js';
import type { BlocksTable, DatabaseSchema } from './schema.js';
import { assertLimit } from './sessions.js';
import { onConnection, type WriteStatement } from './write-statement.js';
import type { AuditEntry, BlockRecord, ModerationRepository } from './types.js';

function toBlock(row: Selectable<BlocksTable>): BlockRecord {
  return {
    id: formatRowId(row.id),
    sessionId: row.session_id,
    deviceId: row.device_id,
    ip: row.ip,
    mode: row.mode,
    reason: row.reason,
    until: row.until === null ? null : new Date(Number(row.until)),
    adminId: row.admin_id,
    createdAt: new Date(Number(row.created_at)),
  };
}

export class KyselyModerationRepository implements ModerationRepository {
  constructor(
    private readonly db: Kysely<DatabaseSchema>,
    /** Where recordClient's insert runs (see ./write-statement.ts). */
    private readonly write: WriteStatement = onConnection(db as Kysely<unknown>),
  ) {}

  async recordClient(client: { sessionId: string; ip: string }): Promise<void> {
    await this.write(
      this.db
        .insertInto('session_clients')
        .values({ session_id: client.sessionId, ip: client.ip })
        .onConflict((oc) => oc.column('session_id').doNothing())
        .compile(),
    );
  }

  async clientOf(sessionId: string): Promise<{ ip: string } | undefined> {
    const row = await this.db
      .selectFrom('session_clients')
      .select('ip')
      .where('session_id', '=', sessionId)
      .executeTakeFirst();
    return row === undefined ? undefined : { ip: row.ip };
  }

  async block(block: Omit<BlockRecord, 'id' | 'createdAt'> & { sessionId: string }): Promise<BlockRecord> {
    return this.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('blocks').where('session_id', '=', block.sessionId).execute();
      return toBlock(await insertBlock(trx, block));
    });
  }

  async addBlock(block: Omit<BlockRecord, 'id' | 'createdAt'>): Promise<BlockRecord> {
    return toBlock(await insertBlock(this.db, block));
  }

  async unblock(sessionId: string): Promise<number> {
    const result = await this.db.deleteFrom('blocks').where('session_id', '=', sessionId).executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  async activeBlocks(now: Date): Promise<BlockRecord[]> {
    const rows = await this.db
      .selectFrom('blocks')
      .selectAll()
      .where((eb) => eb.or([eb('until', 'is', null), eb('until', '>', now.getTime())]))
      .orderBy('id')
      .execute();
    return rows.map(toBlock);
  }

  async revokeToken(tokenId: string, expiresAt: Date): Promise<void> {
    await this.db
      .insertInto('revoked_tokens')
      .values({ token_id: tokenId, expires_at: expiresAt.getTime() })
      .onConflict((oc) => oc.column('token_id').doNothing())
      .execute();
  }

  async revokedTokens(now: Date): Promise<string[]> {
    const rows = await this.db
      .selectFrom('revoked_tokens')
      .select('token_id')
      .where('expires_at', '>', now.getTime())
      .execute();
    return rows.map((row) => row.token_id);
  }

  async audit(entry: Omit<AuditEntry, 'at'>): Promise<void> {
    await this.db
      .insertInto('audit_log')
      .values({
        at: Date.now(),
        admin_id: entry.adminId,
        action: entry.action,
        target: entry.target,
        detail: entry.detail === null ? null : JSON.stringify(entry.detail),
      })
      .execute();
  }

  async auditLog(limit: number): Promise<AuditEntry[]> {
    assertLimit(limit);
    const rows = await this.db.selectFrom('audit_log').selectAll().orderBy('id', 'desc').limit(limit).execute();
    return rows.map((row) => ({
      at: new Date(Number(row.at)),
      adminId: row.admin_id,
      action: row.action,
      target: row.target,
      detail: row.detail === null ? null : (JSON.parse(row.detail) as Record<string, unknown>),
    }));
  }
}

function insertBlock(
  db: Kysely<DatabaseSchema>,
  block: Omit<BlockRecord, 'id' | 'createdAt'>,
): Promise<Selectable<BlocksTable>> {
  return db
    .insertInto('blocks')
    .values({
      session_id: block.sessionId,
      device_id: block.deviceId,
      ip: block.ip,
      mode: block.mode,
      reason: block.reason,
      until: block.until === null ? null : block.until.getTime(),
      admin_id: block.adminId,
      created_at: Date.now(),
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}
