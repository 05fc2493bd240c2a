/**
 * The widget's start form: name (required) and city. `onStart` resolves once
 * the session is started, or rejects with the message to show.
 */
import { MAX_CITY_LENGTH, MAX_NAME_LENGTH } from '../../../src/client/index.js';
import { el, setText } from '../shared/dom.js';
import type { Strings } from '../shared/i18n.js';

/** What the form holds between renders (a language switch rebuilds it). */
export interface StartDraft {
  name: string;
  city: string;
  error: string;
}

export function startForm(
  t: Strings,
  draft: StartDraft,
  onStart: (name: string, city: string) => Promise<void>,
): HTMLFormElement {
  const name = el('input', {
    attrs: {
      id: 'name',
      name: 'name',
      maxlength: String(MAX_NAME_LENGTH),
      autocomplete: 'name',
      placeholder: t.namePlaceholder,
      required: '',
    },
  });
  name.value = draft.name;
  const city = el('input', {
    attrs: {
      id: 'city',
      name: 'city',
      maxlength: String(MAX_CITY_LENGTH),
      autocomplete: 'address-level2',
      placeholder: t.cityPlaceholder,
    },
  });
  city.value = draft.city;
  const error = el('p', { className: 'form-error', text: draft.error, attrs: { role: 'alert' } });
  error.hidden = !draft.error;
  const showError = (message: string) => {
    draft.error = message;
    setText(error, message);
    error.hidden = false;
  };
  const submit = el('button', { className: 'primary', text: t.start, attrs: { type: 'submit' } });
  const form = el(
    'form',
    { className: 'start-form stack-form', attrs: { novalidate: '' } },
    el('p', { className: 'intro', text: t.intro }),
    el('label', { attrs: { for: 'name' }, text: t.nameLabel }),
    name,
    el('label', { attrs: { for: 'city' }, text: t.cityLabel }),
    city,
    error,
    submit,
  );
  name.addEventListener('input', () => (draft.name = name.value));
  city.addEventListener('input', () => (draft.city = city.value));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const n = name.value.trim();
    if (!n) {
      showError(t.nameRequired);
      name.focus();
      return;
    }
    submit.disabled = true;
    setText(submit, t.starting);
    draft.error = '';
    onStart(n, city.value.trim()).catch((message: unknown) => {
      showError(String(message));
      submit.disabled = false;
      setText(submit, t.start);
      // The disabled button dropped the focus: give it back to the field the answer is mostly about.
      name.focus();
    });
  });
  queueMicrotask(() => name.focus());
  return form;
}
