/**
 * Listener names and cities (contract v1.1 A): cleaned like message text, and
 * also stripped of what lets a name pass for another one on screen.
 *
 * Order: line breaks become spaces and the zero-width and invisible
 * characters go first (so that `<\u200Bscript>` cannot turn into markup after
 * cleaning); then {@link cleanText} removes controls, bidi controls and markup;
 * then runs of whitespace become one space, the result is NFC-normalised and
 * trimmed.
 */
import { cleanText } from './clean.js';

/** Line breaks: each becomes a space (then collapses), so `Budi\nSantoso` reads `Budi Santoso`. */
const LINE_BREAKS = /[\n\r\v\f\u0085\u2028\u2029]/g;
/** Zero-width and invisible characters of contract v1.1 A. */
const INVISIBLE = /[\u200B\u200C\u2060-\u2064\uFEFF\u00AD]/g;
const WHITESPACE_RUN = /\s+/g;
/** A name must show at least one letter, digit or symbol (not only punctuation or marks). */
const VISIBLE = /[\p{L}\p{N}\p{S}]/u;

/** A name or city as shown to everyone: see the module comment for the steps. */
export function normalizeName(input: string): string {
  const cleaned = cleanText(input.replace(LINE_BREAKS, ' ').replace(INVISIBLE, ''));
  return cleaned.replace(WHITESPACE_RUN, ' ').normalize('NFC').trim();
}

/**
 * The key two names are compared by: case- and space-insensitive. NFKC also
 * folds compatibility forms, so a full-width `Ｐｅｎｙｉａｒ` matches `Penyiar`.
 */
export function nameKey(name: string): string {
  return normalizeName(name).normalize('NFKC').toLowerCase().replace(WHITESPACE_RUN, '');
}

export type NameResult = { ok: true; value: string } | { ok: false; reason: 'empty' | 'too_long' | 'invisible' };

/**
 * Normalises `input` and checks it: `1..maxLength` code points (or
 * `0..maxLength` with `allowEmpty`, e.g. the optional city); with
 * `requireVisible`, at least one letter, digit or symbol (a listener name).
 */
export function checkName(
  input: string,
  maxLength: number,
  options: { allowEmpty?: boolean; requireVisible?: boolean } = {},
): NameResult {
  const value = normalizeName(input);
  if (value === '') return options.allowEmpty ? { ok: true, value } : { ok: false, reason: 'empty' };
  if ([...value].length > maxLength) return { ok: false, reason: 'too_long' };
  if (options.requireVisible && !VISIBLE.test(value)) return { ok: false, reason: 'invisible' };
  return { ok: true, value };
}
