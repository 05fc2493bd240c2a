/** Request validation against the protocol schemas; failures become 400 invalid_payload. */
import type { z } from 'zod';
import { HttpError } from '../errors.js';

export function validate<S extends z.ZodType>(schema: S, value: unknown): z.infer<S> {
  const parsed = schema.safeParse(value ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const detail = issue ? `${issue.path.join('.') || 'body'}: ${issue.message}` : '';
    throw new HttpError('invalid_payload', `Data yang dikirim tidak valid. ${detail}`.trim());
  }
  return parsed.data;
}
