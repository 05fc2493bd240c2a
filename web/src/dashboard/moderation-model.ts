/**
 * Moderation in the dashboard's model: pure functions over conversations
 * (state in, state out) for a session's mute or ban and a message's hidden
 * flag. No DOM, no timers, no network.
 */
import type { Message } from '../../../src/client/index.js';
import type { BlockMode } from './moderation-api.js';
import type { Conversation, SessionBlock } from './model.js';

/** A message as admin views carry it: possibly hidden, with why (`filter`, …) and by whom. */
export type ModeratedMessage = Message & { hidden?: boolean; reason?: string; hiddenBy?: string };

export interface DurationChoice {
  key: 'minutes15' | 'hour1' | 'hours24' | 'days7' | 'forever';
  /** undefined: no end. */
  minutes: number | undefined;
}

export const DURATIONS: readonly DurationChoice[] = [
  { key: 'minutes15', minutes: 15 },
  { key: 'hour1', minutes: 60 },
  { key: 'hours24', minutes: 24 * 60 },
  { key: 'days7', minutes: 7 * 24 * 60 },
  { key: 'forever', minutes: undefined },
];

/** The duration offered first: a mute is short, a ban long enough to end a show. */
export function defaultDuration(mode: BlockMode): DurationChoice['key'] {
  return mode === 'mute' ? 'hour1' : 'hours24';
}

/** The block still in force at `now` (one whose `until` passed is no block). */
export function activeBlock(block: SessionBlock | undefined, now: number): SessionBlock | undefined {
  if (!block) return undefined;
  if (block.until === null) return block;
  const until = Date.parse(block.until);
  return Number.isNaN(until) || until > now ? block : undefined;
}

/** The conversation with its block set (undefined: lifted); the same object when nothing changed. */
export function withBlock(conv: Conversation, block: SessionBlock | undefined): Conversation {
  const before = conv.block;
  if (before?.mode === block?.mode && before?.until === block?.until && before?.by === block?.by) return conv;
  if (!block) {
    const { block: _lifted, ...rest } = conv;
    return rest;
  }
  return { ...conv, block };
}

/**
 * The conversation with one message hidden or shown again; the same object
 * when the message is unknown or already so. Showing again drops the reason
 * (a released filter hold is an ordinary message from then on).
 */
export function withMessageHidden(
  conv: Conversation,
  messageId: string,
  hidden: boolean,
  by: string | undefined,
): Conversation {
  if (!conv.ids.has(messageId)) return conv;
  const index = conv.messages.findIndex((m) => m.messageId === messageId);
  if (index < 0) return conv;
  const m = conv.messages[index] as ModeratedMessage;
  if (Boolean(m.hidden) === hidden && (!hidden || m.hiddenBy === by)) return conv;
  const { hidden: _h, reason: _r, hiddenBy: _b, ...plain } = m;
  const next: ModeratedMessage = hidden ? { ...plain, hidden: true, ...(by ? { hiddenBy: by } : {}) } : plain;
  if (hidden && m.reason) next.reason = m.reason;
  const messages = [...conv.messages];
  messages[index] = next;
  return { ...conv, messages };
}

/** How a hidden message is labelled: held by the word filter, from a muted listener, or hidden by someone. */
export function hiddenKind(m: ModeratedMessage): 'filter' | 'mute' | 'hidden' | undefined {
  if (!m.hidden) return undefined;
  if (m.reason === 'filter') return 'filter';
  if (m.reason === 'mute') return 'mute';
  return 'hidden';
}

/** The earliest `until` among blocks still running, to drop it from view when it passes. */
export function nextExpiry(conversations: Iterable<Conversation>, now: number): number | undefined {
  let next: number | undefined;
  for (const conv of conversations) {
    const until = conv.block?.until ? Date.parse(conv.block.until) : Number.NaN;
    if (!Number.isNaN(until) && until > now && (next === undefined || until < next)) next = until;
  }
  return next;
}
