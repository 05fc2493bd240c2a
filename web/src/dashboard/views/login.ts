/** The login form. `onLogin` resolves when logged in, or rejects with the message to show. */
import { el, setText } from '../../shared/dom.js';
import type { Lang } from '../../shared/i18n.js';
import { brand, langToggle } from '../../shared/page.js';
import type { DashboardState } from '../state.js';

export interface LoginActions {
  onLogin(username: string, password: string): Promise<void>;
  onLang(lang: Lang): void;
  /** A user gesture (browsers allow sound only after one). */
  onGesture(): void;
}

export function loginView(state: DashboardState, actions: LoginActions): HTMLElement {
  const { t } = state;
  const username = el('input', { attrs: { id: 'username', name: 'username', autocomplete: 'username', required: '' } });
  const password = el('input', {
    attrs: { id: 'password', name: 'password', type: 'password', autocomplete: 'current-password', required: '' },
  });
  const error = el('p', { className: 'form-error', text: state.loginMessage, attrs: { role: 'alert' } });
  error.hidden = !state.loginMessage;
  const submit = el('button', { className: 'primary', text: t.login, attrs: { type: 'submit' } });
  const form = el(
    'form',
    { className: 'login stack-form' },
    brand(t, t.dashboardTitle),
    el('label', { attrs: { for: 'username' }, text: t.username }),
    username,
    el('label', { attrs: { for: 'password' }, text: t.password }),
    password,
    error,
    submit,
    langToggle(state.lang, t, actions.onLang),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    actions.onGesture();
    submit.disabled = true;
    setText(submit, t.loggingIn);
    actions.onLogin(username.value.trim(), password.value).catch((message: unknown) => {
      setText(error, String(message));
      error.hidden = false;
      submit.disabled = false;
      setText(submit, t.login);
      password.select();
    });
  });
  queueMicrotask(() => username.focus());
  return el('main', { className: 'login-wrap' }, form);
}
