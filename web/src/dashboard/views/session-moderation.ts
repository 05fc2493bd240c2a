/** Moderation in a session-list row: a "muted" / "banned" badge, and the preview of a hidden last message. */
import { el, setText } from '../../shared/dom.js';
import type { Lang } from '../../shared/i18n.js';
import { activeBlock } from '../moderation-model.js';
import { moderationStrings } from '../moderation-strings.js';
import type { Conversation } from '../model.js';
import { blockLabel } from './moderation-bar.js';

const badges = new WeakMap<HTMLElement, HTMLSpanElement>();

/** Shows (or removes) the row's block badge, placed after `anchor` (the city). */
export function showBlockBadge(anchor: HTMLElement, conv: Conversation, lang: Lang): void {
  const block = activeBlock(conv.block, Date.now());
  let badge = badges.get(anchor);
  if (!block) {
    badge?.remove();
    return;
  }
  if (!badge) {
    badge = el('span', { className: 'block-badge block-badge--small' });
    badges.set(anchor, badge);
  }
  const mt = moderationStrings(lang);
  badge.dataset['mode'] = block.mode;
  setText(badge, block.mode === 'mute' ? mt.muted : mt.banned);
  const full = blockLabel(block, mt, lang);
  if (badge.title !== full) badge.title = full;
  if (badge.previousSibling !== anchor) anchor.after(badge);
}

export function previewOfHidden(held: boolean, lang: Lang): string {
  const mt = moderationStrings(lang);
  return held ? mt.previewHeld : mt.previewHidden;
}
