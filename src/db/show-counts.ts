/** The counts behind the live show's stats (contract v1.1 D), each one indexed query. */
import type { Kysely } from 'kysely';
import type { ShowCounts } from './live-show-types.js';
import type { DatabaseSchema } from './schema.js';

export class KyselyShowCounts implements ShowCounts {
  constructor(private readonly db: Kysely<DatabaseSchema>) {}

  async sessionsCreatedSince(since: Date): Promise<number> {
    const row = await this.db
      .selectFrom('sessions')
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .where('created_at', '>=', since.getTime())
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async messagesSince(since: Date): Promise<number> {
    const row = await this.db
      .selectFrom('messages')
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .where('created_at', '>=', since.getTime())
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }
}
