/**
 * Parsing of incoming frames: one text frame, one JSON object
 * `{"event","data"}`, the event known to this endpoint, the data valid for
 * its schema. JSON is parsed with secure-json-parse, which refuses
 * `__proto__` and `constructor.prototype` keys.
 */
import secureJson from 'secure-json-parse';
import type { z } from 'zod';
import { wsMessages } from '../errors.js';
import { frameSchema } from '../protocol/events.js';

export type EventMap = Record<string, z.ZodType>;

export type ParsedFrame<M extends EventMap> =
  | { [K in keyof M & string]: { ok: true; event: K; data: z.infer<M[K]> } }[keyof M & string]
  | { ok: false; message: string; clientMessageId?: string };

export function parseFrame<M extends EventMap>(
  raw: Buffer | ArrayBuffer | Buffer[],
  isBinary: boolean,
  events: M,
): ParsedFrame<M> {
  if (isBinary) return { ok: false, message: wsMessages.binary };
  const text = Buffer.isBuffer(raw)
    ? raw.toString('utf8')
    : Array.isArray(raw)
      ? Buffer.concat(raw).toString('utf8')
      : Buffer.from(raw).toString('utf8');
  let json: unknown;
  try {
    json = secureJson.parse(text, undefined, { protoAction: 'error', constructorAction: 'error' });
  } catch {
    return { ok: false, message: wsMessages.notJson };
  }
  const envelope = frameSchema.safeParse(json);
  if (!envelope.success) return { ok: false, message: wsMessages.notJson };
  const { event, data } = envelope.data;
  const echo = echoOf(data);
  const schema = Object.hasOwn(events, event) ? events[event] : undefined;
  if (!schema) return { ok: false, message: wsMessages.unknownEvent(event), ...echo };
  const parsed = schema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const detail = issue ? `${issue.path.join('.') || 'data'}: ${issue.message}` : 'data';
    return { ok: false, message: wsMessages.invalidFields(detail), ...echo };
  }
  return { ok: true, event, data: parsed.data } as ParsedFrame<M>;
}

/** The clientMessageId to echo on an error, when the client sent a usable one. */
function echoOf(data: Record<string, unknown>): { clientMessageId?: string } {
  const id = data['clientMessageId'];
  return typeof id === 'string' && id.length >= 1 && id.length <= 64 ? { clientMessageId: id } : {};
}
