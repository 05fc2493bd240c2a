/**
 * What goes over Redis Pub/Sub for one publication: a header (a JSON array on
 * one line), `\n`, then the frame as sent to clients. The header is
 *
 *   `[2, origin instance, messageId|null, publish time (ms), trace context|null, previousMessageId|null]`
 *
 * optionally followed by `exceptConnectionId|null, closeCode|null` (written
 * only when one of them is set; older readers ignore them).
 *
 * The origin lets an instance drop its own echo; previousMessageId lets a
 * receiving listener connection notice a publication it missed. Pure: no Redis.
 */
import type { Publication } from '../types.js';

/** Envelope format version, first element of the header; the only one ever written. */
export const ENVELOPE_VERSION = 2;

export interface Envelope {
  /** Instance that published it. */
  origin: string;
  /** The publication without its channel (`publishedAt` is set from the header). */
  publication: Omit<Publication, 'channel'>;
}

export function encodeEnvelope(publication: Publication, origin: string, publishedAt: number): string {
  const fields: unknown[] = [
    ENVELOPE_VERSION,
    origin,
    publication.messageId ?? null,
    publishedAt,
    publication.trace ?? null,
    publication.previousMessageId ?? null,
  ];
  if (publication.exceptConnectionId !== undefined || publication.closeCode !== undefined) {
    fields.push(publication.exceptConnectionId ?? null, publication.closeCode ?? null);
  }
  const header = JSON.stringify(fields);
  return `${header}\n${publication.frame}`;
}

/** The envelope in a payload, or undefined when it is malformed or of another version. */
export function decodeEnvelope(payload: string): Envelope | undefined {
  const newline = payload.indexOf('\n');
  if (newline < 0) return undefined;
  let header: unknown;
  try {
    header = JSON.parse(payload.slice(0, newline));
  } catch {
    return undefined;
  }
  if (!Array.isArray(header) || header[0] !== ENVELOPE_VERSION) return undefined;
  const [, origin, messageId, publishedAt, trace, previousMessageId, exceptConnectionId, closeCode] =
    header as unknown[];
  // Receivers compare previousMessageId with messageIds as a number.
  if (typeof origin !== 'string' || !isOptionalMessageId(previousMessageId)) return undefined;
  const publication: Envelope['publication'] = { frame: payload.slice(newline + 1) };
  if (typeof messageId === 'string') publication.messageId = messageId;
  if (typeof previousMessageId === 'string') publication.previousMessageId = previousMessageId;
  if (typeof publishedAt === 'number') publication.publishedAt = publishedAt;
  if (isCarrier(trace)) publication.trace = trace;
  if (typeof exceptConnectionId === 'string') publication.exceptConnectionId = exceptConnectionId;
  if (typeof closeCode === 'number' && Number.isInteger(closeCode) && closeCode >= 1000 && closeCode <= 4999) {
    publication.closeCode = closeCode;
  }
  return { origin, publication };
}

/** A messageId (decimal digits), null or absent. */
function isOptionalMessageId(value: unknown): boolean {
  return value === undefined || value === null || (typeof value === 'string' && /^\d{1,30}$/.test(value));
}

/** A W3C trace-context carrier: string values only. */
function isCarrier(value: unknown): value is Record<string, string> {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    Object.values(value).every((v) => typeof v === 'string')
  );
}
