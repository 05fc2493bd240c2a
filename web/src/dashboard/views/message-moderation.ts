/**
 * Moderation on one message row of the conversation: a "hide" button on a
 * shown message; a hidden one collapses to a line that says why (held by the
 * word filter, from a muted listener, hidden by someone) with "show text" (a
 * disclosure, nothing sent) and "release" / "show again" (unhide for
 * everyone). Patches the row the conversation view built; rows are patched
 * again only when what they show changed.
 */
import { el, setText } from '../../shared/dom.js';
import { hiddenKind, type ModeratedMessage } from '../moderation-model.js';
import type { ModerationStrings } from '../moderation-strings.js';

export interface MessageModerationActions {
  onHide(messageId: string): Promise<void>;
  onUnhide(messageId: string): Promise<void>;
  /** An action failed: say so. */
  onFailed(status: number): void;
}

interface Parts {
  hide: HTMLButtonElement;
  held: HTMLDivElement;
  label: HTMLSpanElement;
  reveal: HTMLButtonElement;
  unhide: HTMLButtonElement;
  shown: string;
  /** The hide or unhide button had the focus: give it to the other one once it shows. */
  refocus: boolean;
}

const partsOf = new WeakMap<HTMLLIElement, Parts>();

export function decorateMessage(
  node: HTMLLIElement,
  m: ModeratedMessage,
  mt: ModerationStrings,
  actions: MessageModerationActions,
): void {
  const parts = partsOf.get(node) ?? build(node, m.messageId, actions);
  const kind = hiddenKind(m);
  const key = `${kind ?? ''}|${m.hiddenBy ?? ''}|${mt.hide}`;
  if (parts.shown === key) return;
  parts.shown = key;
  const text = node.querySelector<HTMLElement>('.msg__text');
  node.classList.toggle('msg--hidden', kind !== undefined);
  if (kind) node.dataset['hidden'] = kind;
  else delete node.dataset['hidden'];
  setText(parts.hide, mt.hide);
  parts.hide.hidden = kind !== undefined;
  parts.held.hidden = kind === undefined;
  if (text) text.hidden = kind !== undefined;
  parts.reveal.setAttribute('aria-expanded', 'false');
  setText(parts.reveal, mt.showText);
  setText(
    parts.label,
    kind === 'filter'
      ? mt.heldByFilter
      : kind === 'mute'
        ? mt.hiddenMuted
        : m.hiddenBy
          ? mt.hiddenBy(m.hiddenBy)
          : mt.hiddenPlain,
  );
  setText(parts.unhide, kind === 'filter' ? mt.release : mt.unhide);
  if (parts.refocus) {
    parts.refocus = false;
    (kind ? parts.unhide : parts.hide).focus();
  }
}

function build(node: HTMLLIElement, messageId: string, actions: MessageModerationActions): Parts {
  const text = node.querySelector<HTMLElement>('.msg__text');
  if (text && !text.id) text.id = `msg-text-${messageId}`;
  const parts: Parts = {
    hide: el('button', { className: 'link-button msg__tool msg__hide', attrs: { type: 'button' } }),
    held: el('div', { className: 'msg__held' }),
    label: el('span', { className: 'msg__held-label' }),
    reveal: el('button', {
      className: 'link-button msg__reveal',
      attrs: { type: 'button', 'aria-expanded': 'false', ...(text ? { 'aria-controls': text.id } : {}) },
    }),
    unhide: el('button', { className: 'link-button msg__unhide', attrs: { type: 'button' } }),
    shown: '',
    refocus: false,
  };
  parts.held.append(parts.label, parts.reveal, parts.unhide);
  node.querySelector('.msg__meta')?.append(parts.hide);
  node.querySelector('.msg__meta')?.after(parts.held);
  parts.reveal.addEventListener('click', () => {
    if (!text) return;
    text.hidden = !text.hidden;
    parts.reveal.setAttribute('aria-expanded', String(!text.hidden));
  });
  const act = (button: HTMLButtonElement, run: () => Promise<void>) => {
    button.addEventListener('click', () => {
      parts.refocus = document.activeElement === button;
      button.disabled = true;
      run()
        .catch((error: unknown) => actions.onFailed((error as { status?: number }).status ?? 0))
        .finally(() => {
          button.disabled = false;
        });
    });
  };
  act(parts.hide, () => actions.onHide(messageId));
  act(parts.unhide, () => actions.onUnhide(messageId));
  partsOf.set(node, parts);
  return parts;
}
