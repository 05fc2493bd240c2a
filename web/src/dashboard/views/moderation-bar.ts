/**
 * The moderation controls in a conversation's header: the session's state
 * (muted / banned, until when, by whom) and mute, ban, lift and, for
 * managers, erase. Mute and ban ask for a duration and a reason in one
 * dialog (which is also the confirmation); erase asks to confirm; lift, which
 * undoes, acts at once. Built once; `render` brings it up to date.
 */
import { el, setText } from '../../shared/dom.js';
import { formatTime } from '../../shared/i18n.js';
import type { BlockMode } from '../moderation-api.js';
import { activeBlock, defaultDuration, DURATIONS } from '../moderation-model.js';
import { moderationStrings, type ModerationStrings } from '../moderation-strings.js';
import type { BlockChoice } from '../moderation.js';
import type { Conversation, SessionBlock } from '../model.js';
import type { Dashboard } from '../state.js';
import { askDialog, dialogField } from './dialog.js';

export interface ModerationBarActions {
  onBlock(sessionId: string, mode: BlockMode, choice: BlockChoice): Promise<void>;
  onLift(sessionId: string): Promise<void>;
  onErase(sessionId: string): Promise<void>;
  /** Whether this broadcaster may erase sessions (a manager, and the server offers it). */
  canErase(): boolean;
}

/** "Dibisukan s.d. 10.45" (today) or with the date when another day; plain "Diblokir" without an end. */
export function blockLabel(block: SessionBlock, mt: ModerationStrings, lang: 'id' | 'en'): string {
  if (block.until === null) return block.mode === 'mute' ? mt.muted : mt.banned;
  const until = new Date(block.until);
  const sameDay = until.toDateString() === new Date().toDateString();
  const when = sameDay
    ? formatTime(block.until, lang)
    : `${until.toLocaleDateString(lang === 'id' ? 'id-ID' : 'en-GB', { day: 'numeric', month: 'short' })} ${formatTime(block.until, lang)}`;
  return block.mode === 'mute' ? mt.mutedUntil(when) : mt.bannedUntil(when);
}

export class ModerationBar {
  private readonly badge = el('span', { className: 'block-badge', attrs: { 'data-mode': '' } });
  private readonly mute = button('mod-mute');
  private readonly ban = button('mod-ban');
  private readonly lift = button('mod-lift');
  private readonly erase = button('mod-erase link-danger');
  private readonly notice = el('p', { className: 'modbar__notice', attrs: { role: 'status' } });
  private readonly group = el('div', { className: 'modbar__buttons', attrs: { role: 'group' } });
  readonly element = el('div', { className: 'modbar' }, this.badge, this.group, this.notice);
  private conv: Conversation | undefined;
  private busy = false;

  constructor(
    private readonly dash: Dashboard,
    private readonly actions: ModerationBarActions,
  ) {
    this.group.append(this.mute, this.ban, this.lift, this.erase);
    this.mute.addEventListener('click', () => void this.askBlock('mute'));
    this.ban.addEventListener('click', () => void this.askBlock('ban'));
    this.lift.addEventListener('click', () => void this.run(() => this.actions.onLift(this.conv!.sessionId)));
    this.erase.addEventListener('click', () => void this.askErase());
  }

  private get mt(): ModerationStrings {
    return moderationStrings(this.dash.state.lang);
  }

  render(conv: Conversation): void {
    const hadFocus = this.group.contains(document.activeElement);
    const { mt } = this;
    const { lang } = this.dash.state;
    if (this.conv?.sessionId !== conv.sessionId) setText(this.notice, '');
    this.conv = conv;
    const block = activeBlock(conv.block, Date.now());
    this.badge.hidden = !block;
    this.badge.dataset['mode'] = block?.mode ?? '';
    setText(this.badge, block ? blockLabel(block, mt, lang) + (block.by ? ` · ${mt.blockBy(block.by)}` : '') : '');
    this.group.setAttribute('aria-label', mt.moderationLabel);
    setText(this.mute, mt.mute);
    setText(this.ban, mt.ban);
    setText(this.lift, block?.mode === 'ban' ? mt.liftBan : mt.liftMute);
    setText(this.erase, mt.erase);
    this.mute.hidden = block !== undefined;
    this.ban.hidden = block?.mode === 'ban';
    this.lift.hidden = block === undefined;
    this.erase.hidden = !this.actions.canErase();
    for (const b of [this.mute, this.ban, this.lift, this.erase]) b.disabled = this.busy;
    if (hadFocus) this.keepFocus();
  }

  private async askBlock(mode: BlockMode): Promise<void> {
    const conv = this.conv;
    if (!conv) return;
    const { mt } = this;
    const chosen = defaultDuration(mode);
    const durations = el(
      'fieldset',
      { className: 'durations' },
      el('legend', { text: mt.duration }),
      ...DURATIONS.map((d) =>
        el(
          'label',
          { className: 'chip' },
          el('input', {
            attrs: {
              type: 'radio',
              name: 'duration',
              value: d.key,
              ...(d.key === chosen ? { checked: '' } : {}),
            },
          }),
          el('span', { text: mt[d.key] }),
        ),
      ),
    );
    const data = await askDialog({
      title: mode === 'mute' ? mt.muteTitle(conv.name) : mt.banTitle(conv.name),
      body: [
        mode === 'mute' ? mt.muteExplain : mt.banExplain,
        durations,
        dialogField(mt.reason, 'reason', { maxlength: '500', placeholder: mt.reasonPlaceholder, autocomplete: 'off' }),
        el(
          'label',
          { className: 'check' },
          el('input', { attrs: { type: 'checkbox', name: 'includeIp', 'aria-describedby': 'include-ip-hint' } }),
          el('span', { text: mt.includeIp }),
        ),
        el('p', { className: 'field__hint', text: mt.includeIpHint, attrs: { id: 'include-ip-hint' } }),
      ],
      confirmLabel: mode === 'mute' ? mt.mute : mt.ban,
      cancelLabel: mt.cancel,
      danger: mode === 'ban',
      focus: mode === 'mute' ? 'confirm' : 'first-field',
    });
    if (!data) return;
    const minutes = DURATIONS.find((d) => d.key === data.get('duration'))?.minutes;
    const reason = String(data.get('reason') ?? '').trim();
    const includeIp = data.get('includeIp') !== null;
    await this.run(() => this.actions.onBlock(conv.sessionId, mode, { minutes, reason, includeIp }));
  }

  private async askErase(): Promise<void> {
    const conv = this.conv;
    if (!conv) return;
    const { mt } = this;
    const data = await askDialog({
      title: mt.eraseTitle(conv.name),
      body: [mt.eraseExplain],
      confirmLabel: mt.eraseConfirm,
      cancelLabel: mt.cancel,
      danger: true,
      focus: 'cancel',
    });
    if (data) await this.run(() => this.actions.onErase(conv.sessionId));
  }

  /** Runs one action with the buttons disabled; a failure is said in the notice line. */
  private async run(action: () => Promise<void>): Promise<void> {
    this.busy = true;
    setText(this.notice, '');
    if (this.conv) this.render(this.conv);
    try {
      await action();
    } catch (error) {
      const status = (error as { status?: number }).status;
      setText(this.notice, status === 403 ? this.mt.forbidden : this.mt.actionFailed);
    } finally {
      this.busy = false;
      if (this.conv) this.render(this.conv);
      this.keepFocus();
    }
  }

  /** The button that had the focus may be gone (mute became lift): the focus stays in the group. */
  keepFocus(): void {
    const active = document.activeElement;
    const lost =
      !active ||
      active === document.body ||
      (active instanceof HTMLElement && active.hidden && this.group.contains(active));
    if (!lost || !this.element.isConnected) return;
    // The counterpart first: lift after a mute or ban, mute after a lift.
    [this.lift, this.mute, this.ban, this.erase].find((b) => !b.hidden)?.focus();
  }
}

function button(className: string): HTMLButtonElement {
  return el('button', { className: `link-button ${className}`, attrs: { type: 'button' } });
}
