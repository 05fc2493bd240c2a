/**
 * What a batch writer (./sqlite/message-batch.ts, ./postgres/message-batch.ts)
 * reports for each message, as plain data, and how it becomes the storage
 * interface's results and errors.
 */
import { UnknownSessionError } from './errors.js';
import type { WriteOutcome } from './group-commit.js';
import { formatRowId, parseRowId } from './ids.js';
import type { MessageRow } from './schema.js';
import type { InsertResult, NewMessage, StoredMessage } from './types.js';

/**
 * The outcome of one message of a batch. A message stored now is what was
 * given plus its id and creation time: only those cross back (from the SQLite
 * writer's thread, a copy per message), not the row. A duplicate brings its
 * first copy, as stored.
 */
export type MessageWriteOutcome =
  | { ok: true; duplicate: false; id: number; createdAt: number; previousMessageId?: string | undefined }
  | { ok: true; duplicate: true; row: MessageRow }
  | { ok: false; reason: 'unknown_session' | 'invalid_admin' | 'rejected'; detail: string };

/**
 * The `admin_id` column of a message (null for a listener's), or the outcome
 * refusing it when `adminId` is not a row id.
 */
export function adminIdColumn(message: NewMessage): { adminId: number | null } | MessageWriteOutcome {
  if (message.adminId === undefined) return { adminId: null };
  const adminId = parseRowId(message.adminId);
  return adminId === undefined
    ? { ok: false, reason: 'invalid_admin', detail: `adminId must be a decimal id, got "${message.adminId}"` }
    : { adminId };
}

/** A conflicting insert whose first copy cannot be read: the batch fails rather than guess. */
export function firstCopyGone(message: NewMessage): Error {
  return new Error(`message ${message.senderKey}/${message.clientMessageId} conflicted, but its first copy is gone`);
}

export function toStored(row: MessageRow): StoredMessage {
  return {
    messageId: formatRowId(row.id),
    sessionId: row.session_id,
    direction: row.direction,
    from: row.sender_name,
    text: row.text,
    createdAt: new Date(row.created_at),
    ...(row.hidden_reason === null ? {} : { hiddenReason: row.hidden_reason }),
  };
}

/** Whether a new message moves its session's last activity: a muted session's messages do not. */
export function touchesSession(message: NewMessage): boolean {
  return message.hiddenReason === undefined || message.hiddenReason === 'filter';
}

/** A message stored now: as given, with the id and creation time the store gave it. */
function storedNow(message: NewMessage, id: number, createdAt: number): StoredMessage {
  return {
    messageId: formatRowId(id),
    sessionId: message.sessionId,
    direction: message.direction,
    from: message.from,
    text: message.text,
    createdAt: new Date(createdAt),
    ...(message.hiddenReason === undefined ? {} : { hiddenReason: message.hiddenReason }),
  };
}

export function toInsertResults(
  messages: readonly NewMessage[],
  outcomes: readonly MessageWriteOutcome[],
): Array<WriteOutcome<InsertResult>> {
  return outcomes.map((outcome, index): WriteOutcome<InsertResult> => {
    if (outcome.ok && outcome.duplicate) {
      return { ok: true, value: { message: toStored(outcome.row), duplicate: true } };
    }
    if (outcome.ok) {
      const message = storedNow(messages[index]!, outcome.id, outcome.createdAt);
      return { ok: true, value: { message, duplicate: false, previousMessageId: outcome.previousMessageId } };
    }
    if (outcome.reason === 'unknown_session') {
      return { ok: false, error: new UnknownSessionError(messages[index]!.sessionId) };
    }
    if (outcome.reason === 'invalid_admin') return { ok: false, error: new RangeError(outcome.detail) };
    return { ok: false, error: new Error(outcome.detail) };
  });
}
