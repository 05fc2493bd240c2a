/** Page furniture both pages show: the station's brand and the language switch. */
import { el } from './dom.js';
import { saveLang, type Lang, type Strings } from './i18n.js';

/** The station name above the page title. */
export function brand(t: Strings, title: string): HTMLDivElement {
  return el(
    'div',
    { className: 'brand' },
    el('span', { className: 'brand__name', text: t.station }),
    el('h1', { text: title }),
  );
}

/** The button that switches to the other language: saves the choice, then hands it to `onChange` to render with. */
export function langToggle(lang: Lang, t: Strings, onChange: (lang: Lang) => void): HTMLButtonElement {
  const other: Lang = lang === 'id' ? 'en' : 'id';
  const button = el('button', {
    className: 'link-button lang-toggle',
    text: t.langToggle,
    attrs: { type: 'button', 'aria-label': t.langToggleLabel, lang: other },
  });
  button.addEventListener('click', () => {
    saveLang(other);
    onChange(other);
  });
  return button;
}
