/**
 * The client's side of the wire format: `{event, data}` JSON frames, checked
 * against the shared zod schemas on the way in and against the frame size
 * limit on the way out.
 */
import type { z } from 'zod';
import { frameSchema, MAX_FRAME_BYTES } from '../protocol/index.js';
import type { FailureReason } from './outbox.js';

/** A frame the client could not use (not JSON, unknown event, fields not matching the schema). */
export interface ProtocolError {
  event?: string;
  message: string;
}

/** The schema of each server event, by event name. */
export type SchemaMap = Record<string, z.ZodType>;

export type DecodedFrame = { event: string; data: Record<string, unknown> } | { error: ProtocolError };

const textEncoder = new TextEncoder();

export function encodeFrame(event: string, data: unknown): string {
  return JSON.stringify({ event, data });
}

/** Parses and validates one incoming frame against the schema of its event. */
export function decodeFrame(raw: unknown, schemas: SchemaMap): DecodedFrame {
  if (typeof raw !== 'string') return { error: { message: 'binary frame' } };
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    return { error: { message: 'frame is not JSON' } };
  }
  const frame = frameSchema.safeParse(json);
  if (!frame.success) return { error: { message: 'frame is not {event, data}' } };
  const { event } = frame.data;
  const schema = schemas[event];
  if (!schema) return { error: { event, message: 'unknown event' } };
  const parsed = schema.safeParse(frame.data.data);
  if (!parsed.success) {
    return {
      error: { event, message: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') },
    };
  }
  return { event, data: parsed.data as Record<string, unknown> };
}

/** Why a chat message cannot be sent at all (empty text, frame over the size limit), or undefined when it can. */
export function chatMessageFailure(event: string, clientMessageId: string, payload: object): FailureReason | undefined {
  const text = (payload as { text?: unknown }).text;
  if (typeof text !== 'string' || text.trim() === '') return 'invalid';
  const frame = encodeFrame(event, { ...payload, clientMessageId });
  return textEncoder.encode(frame).length > MAX_FRAME_BYTES ? 'too_large' : undefined;
}
