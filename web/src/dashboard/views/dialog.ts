/**
 * A modal question on a native `<dialog>`: the browser traps the focus
 * inside, Escape cancels, and the focus goes back to where it was. The form
 * answers with its fields (`FormData`) or `undefined` when cancelled.
 */
import { el } from '../../shared/dom.js';

export interface DialogOptions {
  title: string;
  /** Explanations and fields, in order. */
  body: (Node | string)[];
  confirmLabel: string;
  cancelLabel: string;
  /** A destructive action: the confirm button is red. */
  danger?: boolean;
  /** What takes the focus first: the confirm button (default), the cancel button, or the first field. */
  focus?: 'confirm' | 'cancel' | 'first-field';
  /** Checks the fields before closing; returns the message to show, or undefined when fine. */
  validate?: (data: FormData) => string | undefined;
}

let counter = 0;

export function askDialog(options: DialogOptions): Promise<FormData | undefined> {
  const id = `dlg-${++counter}`;
  const error = el('p', { className: 'form-error', attrs: { role: 'alert' } });
  error.hidden = true;
  const cancel = el('button', { className: 'secondary', text: options.cancelLabel, attrs: { type: 'button' } });
  const confirm = el('button', {
    className: options.danger ? 'danger' : 'primary',
    text: options.confirmLabel,
    attrs: { type: 'submit' },
  });
  const form = el(
    'form',
    { className: 'dialog__form stack-form' },
    el('h2', { className: 'dialog__title', text: options.title, attrs: { id: `${id}-title` } }),
    ...options.body.map((part) =>
      typeof part === 'string' ? el('p', { className: 'dialog__text', text: part }) : part,
    ),
    error,
    el('div', { className: 'dialog__buttons' }, cancel, confirm),
  );
  const dialog = el('dialog', { className: 'dialog', attrs: { 'aria-labelledby': `${id}-title` } }, form);
  const opener = document.activeElement instanceof HTMLElement ? document.activeElement : undefined;
  document.body.append(dialog);
  return new Promise((resolve) => {
    let answer: FormData | undefined;
    const close = () => {
      dialog.close();
    };
    cancel.addEventListener('click', close);
    dialog.addEventListener('close', () => {
      dialog.remove();
      if (opener?.isConnected) opener.focus();
      resolve(answer);
    });
    // A click on the backdrop (outside the form) cancels too.
    dialog.addEventListener('click', (event) => {
      if (event.target === dialog) close();
    });
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      const data = new FormData(form);
      const problem = options.validate?.(data);
      if (problem) {
        error.textContent = problem;
        error.hidden = false;
        return;
      }
      answer = data;
      close();
    });
    dialog.showModal();
    // In a radio group the chosen one takes the focus (arrow keys move from there).
    const first =
      form.querySelector<HTMLElement>('input:checked') ?? form.querySelector<HTMLElement>('input, select, textarea');
    const target = options.focus === 'cancel' ? cancel : options.focus === 'first-field' && first ? first : confirm;
    target.focus();
  });
}

/** A labelled text field for a dialog. */
export function dialogField(
  label: string,
  name: string,
  attrs: Record<string, string> = {},
  hint?: string,
): HTMLDivElement {
  const id = `fld-${++counter}`;
  const hintId = hint ? `${id}-hint` : undefined;
  return el(
    'div',
    { className: 'field' },
    el('label', { text: label, attrs: { for: id } }),
    el('input', { attrs: { id, name, ...(hintId ? { 'aria-describedby': hintId } : {}), ...attrs } }),
    hint ? el('p', { className: 'field__hint', text: hint, attrs: { id: hintId! } }) : null,
  );
}
