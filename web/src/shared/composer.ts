/**
 * The message box of both pages: Enter sends (Shift+Enter is a new line, and
 * Enter that confirms an IME composition is left alone), the text is trimmed
 * and never sent empty, and typing is signalled while there is text.
 */
import type { TypingIndicator } from '../../../src/client/index.js';

export interface ComposerOptions {
  /**
   * Sends the text (trimmed, never empty). Returns false when it cannot be
   * sent now (no connection, no conversation): the text then stays in the box.
   */
  onSend(text: string): boolean;
  /** The typing indicator of the conversation being written in, if there is one now. */
  typing(): Pick<TypingIndicator, 'input' | 'stop'> | undefined;
}

export function wireComposer(form: HTMLFormElement, input: HTMLTextAreaElement, options: ComposerOptions): void {
  const submit = () => {
    const text = input.value.trim();
    if (!text || !options.onSend(text)) return;
    input.value = '';
    input.focus();
  };
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    submit();
  });
  input.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      submit();
    }
  });
  input.addEventListener('input', () => {
    const typing = options.typing();
    if (!typing) return;
    if (input.value.trim()) typing.input();
    else typing.stop();
  });
  input.addEventListener('blur', () => options.typing()?.stop());
}
