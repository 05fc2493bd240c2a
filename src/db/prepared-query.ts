/**
 * Queries that Kysely builds and compiles once and that then run many times
 * with new parameter values: the SQL text is the same every time, only the
 * parameters change. The SQLite message writer uses them (on its own thread,
 * with statements prepared once), which saves building and compiling the same
 * query trees for every message.
 *
 * The builder receives `param(name)`, which stands for a value given at run
 * time; every other value in the builder is fixed. The compiled parameters are
 * mapped back to their names once, at compile time.
 */
import type { Compilable, Kysely } from 'kysely';

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

/**
 * Builds the query with Kysely and compiles it once; `param(name)` stands for
 * a value given at run time (see `bindParameters`).
 */
export function compileStatement<Schema, Name extends string>(
  db: Kysely<Schema>,
  build: (db: Kysely<Schema>, param: (name: Name) => never) => Compilable,
): CompiledStatement<Name> {
  const param = (name: Name) => `${PLACEHOLDER}${name}` as never;
  const compiled = build(db, param).compile();
  return {
    sql: compiled.sql,
    slots: compiled.parameters.map((value) =>
      typeof value === 'string' && value.startsWith(PLACEHOLDER)
        ? { name: value.slice(PLACEHOLDER.length) as Name }
        : { fixed: value },
    ),
  };
}
