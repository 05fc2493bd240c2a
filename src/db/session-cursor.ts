/**
 * The session listing's cursor: the position of the last session of a page
 * in the listing's order (last activity, then id). Opaque to clients, a
 * base64url string; a position instead of an offset keeps pages stable while
 * new sessions arrive.
 */
import type { SessionCursor } from './types.js';

const MAX_ENCODED_LENGTH = 200;
const ID_PATTERN = /^[A-Za-z0-9-]{1,64}$/;

export function encodeSessionCursor(cursor: SessionCursor): string {
  return Buffer.from(`${cursor.activityAt}:${cursor.id}`).toString('base64url');
}

/** The cursor, or undefined when `encoded` is not one this service hands out. */
export function decodeSessionCursor(encoded: string): SessionCursor | undefined {
  if (encoded.length > MAX_ENCODED_LENGTH || !/^[A-Za-z0-9_-]+$/.test(encoded)) return undefined;
  const match = /^(\d{1,16}):(.+)$/.exec(Buffer.from(encoded, 'base64url').toString());
  if (!match) return undefined;
  const activityAt = Number(match[1]);
  const id = match[2]!;
  if (!Number.isSafeInteger(activityAt) || !ID_PATTERN.test(id)) return undefined;
  return { activityAt, id };
}
