/**
 * Row ids are numbers inside the storage layer and decimal strings outside it.
 * Ids stay far below 2^53, so a JS number holds them exactly.
 */

/** The row id for a decimal string; undefined when it is not one, or too large to be an id. */
export function parseRowId(value: string): number | undefined {
  if (!/^\d+$/.test(value)) return undefined;
  const id = Number(value);
  return Number.isSafeInteger(id) ? id : undefined;
}

export const formatRowId = (id: number): string => String(id);
