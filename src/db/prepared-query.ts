/**
 * A query that Kysely builds and compiles once and that then runs many times
 * with new parameter values: the SQL text is the same every time, only the
 * parameters change. On the message path this saves building and compiling
 * the same query trees for every message (most of the store's CPU time once
 * the statements themselves are prepared once).
 *
 * The builder receives `param(name)`, which stands for a value given at run
 * time; every other value in the builder is fixed. The compiled parameters are
 * mapped back to their names once, at construction.
 */
import type { Compilable, CompiledQuery, Kysely, QueryResult } from 'kysely';

/** Stands for a run-time value while the query is compiled; never reaches a database. */
const PLACEHOLDER = '\u0000livechat-param:';

/** Where one compiled parameter comes from: a named run-time value, or fixed in the query. */
export type Slot<Name extends string = string> = { name: Name } | { fixed: unknown };

/** The compiled query as plain data (can cross to a worker thread). */
export interface CompiledStatement<Name extends string = string> {
  sql: string;
  slots: ReadonlyArray<Slot<Name>>;
}

/** The parameters of a compiled statement for these values, in placeholder order. */
export function bindParameters<Name extends string>(
  slots: ReadonlyArray<Slot<Name>>,
  values: Readonly<Record<Name, unknown>>,
): unknown[] {
  return slots.map((slot) => ('name' in slot ? values[slot.name] : slot.fixed));
}

export class PreparedQuery<Schema, Name extends string, Row> {
  private readonly compiled: CompiledQuery<Row>;
  private readonly slots: ReadonlyArray<Slot<Name>>;

  constructor(db: Kysely<Schema>, build: (db: Kysely<Schema>, param: (name: Name) => never) => Compilable<Row>) {
    const param = (name: Name) => `${PLACEHOLDER}${name}` as never;
    this.compiled = build(db, param).compile();
    this.slots = this.compiled.parameters.map((value) =>
      typeof value === 'string' && value.startsWith(PLACEHOLDER)
        ? { name: value.slice(PLACEHOLDER.length) as Name }
        : { fixed: value },
    );
  }

  get statement(): CompiledStatement<Name> {
    return { sql: this.compiled.sql, slots: this.slots };
  }

  /** Runs on `db` (the store or a transaction of it) with these values. */
  execute(db: Kysely<Schema>, values: Readonly<Record<Name, unknown>>): Promise<QueryResult<Row>> {
    return db.executeQuery<Row>({ ...this.compiled, parameters: bindParameters(this.slots, values) });
  }

  async first(db: Kysely<Schema>, values: Readonly<Record<Name, unknown>>): Promise<Row | undefined> {
    return (await this.execute(db, values)).rows[0];
  }
}
