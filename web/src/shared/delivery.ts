/**
 * The delivery state under one's own messages (sending, sent, failed) with
 * "retry" and "remove" for a failed one: the same in the widget and the
 * dashboard.
 */
import { el, setText } from './dom.js';
import type { Strings } from './i18n.js';

export interface Delivery {
  status: 'sending' | 'sent' | 'failed';
  reason?: string;
}

export interface DeliveryActions {
  onRetry(): void;
  onRemove(): void;
}

/** The status row of an own message; `showDelivery` fills it in. */
export function deliveryRow(t: Strings, actions: DeliveryActions): HTMLDivElement {
  const retry = el('button', { className: 'link-button msg__retry', text: t.retry, attrs: { type: 'button' } });
  retry.addEventListener('click', () => actions.onRetry());
  const remove = el('button', { className: 'link-button msg__remove', text: t.remove, attrs: { type: 'button' } });
  remove.addEventListener('click', () => actions.onRemove());
  return el('div', { className: 'msg__status' }, el('span', { className: 'msg__state' }), retry, remove);
}

/**
 * Shows the delivery state on a message node holding a `deliveryRow`. A text
 * the server refused as invalid or too long would be refused again: no retry.
 */
export function showDelivery(node: HTMLElement, delivery: Delivery, t: Strings): void {
  node.dataset['status'] = delivery.status;
  const label =
    delivery.status === 'sending'
      ? t.sending
      : delivery.status === 'sent'
        ? t.sent
        : delivery.reason === 'invalid'
          ? t.failedInvalid
          : delivery.reason === 'too_large'
            ? t.failedTooLong
            : delivery.reason === 'session_ended'
              ? t.failedSessionEnded
              : t.failed;
  setText(node.querySelector('.msg__state')!, label);
  const failed = delivery.status === 'failed';
  (node.querySelector('.msg__retry') as HTMLElement).hidden =
    !failed || delivery.reason === 'invalid' || delivery.reason === 'too_large' || delivery.reason === 'session_ended';
  (node.querySelector('.msg__remove') as HTMLElement).hidden = !failed;
}
