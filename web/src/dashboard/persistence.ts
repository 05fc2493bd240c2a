/**
 * What the dashboard keeps in localStorage beyond the login: the replies not
 * stored yet (the outbox, so closing the page loses none) and the drafts per
 * conversation with the open one (so a re-login finds them). Both belong to
 * the account that wrote them: another account logging in on the same
 * browser never sends or sees them.
 */
import { store } from '../shared/dom.js';
import { validSavedReplies, type SavedReply } from './model.js';
import { DRAFTS_KEY, OUTBOX_KEY } from './state.js';

interface SavedOutbox {
  username: string;
  replies: SavedReply[];
}

interface SavedDrafts {
  username: string;
  drafts: Record<string, string>;
  selected?: string;
}

/** At most this many drafts are kept (the most recent). */
const MAX_DRAFTS = 200;

export function saveOutbox(username: string | undefined, replies: SavedReply[]): void {
  if (!username) return;
  if (replies.length === 0) store.remove(OUTBOX_KEY);
  else store.set(OUTBOX_KEY, { username, replies } satisfies SavedOutbox);
}

export function loadOutbox(username: string | undefined): SavedReply[] {
  const saved = store.get<SavedOutbox>(OUTBOX_KEY);
  if (!username || !saved || saved.username !== username) return [];
  return validSavedReplies(saved.replies);
}

export function saveDrafts(username: string | undefined, drafts: ReadonlyMap<string, string>, selected?: string): void {
  if (!username) return;
  const kept = [...drafts].filter(([, text]) => text.trim() !== '').slice(-MAX_DRAFTS);
  store.set(DRAFTS_KEY, {
    username,
    drafts: Object.fromEntries(kept),
    ...(selected ? { selected } : {}),
  } satisfies SavedDrafts);
}

export function loadDrafts(username: string | undefined): { drafts: Map<string, string>; selected?: string } {
  const saved = store.get<SavedDrafts>(DRAFTS_KEY);
  if (!username || !saved || saved.username !== username || typeof saved.drafts !== 'object' || !saved.drafts)
    return { drafts: new Map() };
  const drafts = new Map(Object.entries(saved.drafts).filter((e): e is [string, string] => typeof e[1] === 'string'));
  return typeof saved.selected === 'string' ? { drafts, selected: saved.selected } : { drafts };
}
