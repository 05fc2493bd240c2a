/**
 * Song requests (contract v1.1 D): the cleaning of a requested title and
 * artist, and the key requests are grouped by.
 *
 * The key is case-, accent- and space-insensitive: "Bento", "BENTO" and
 * "Bénto" are one song, so are "Sheila on 7" and "SheilaOn7". It is computed
 * once, when the request is stored, never at read time.
 */
import { normalizeName } from './names.js';

export const MAX_SONG_TITLE_LENGTH = 100;
export const MAX_SONG_ARTIST_LENGTH = 100;

/** Combining marks left by NFKD: the accents. */
const MARKS = /\p{M}/gu;
const WHITESPACE = /\s/g;

/** Title or artist, folded: compatibility forms, accents, case and every space gone. */
function fold(value: string): string {
  return value.normalize('NFKD').replace(MARKS, '').toLowerCase().replace(WHITESPACE, '').normalize('NFC');
}

/** The grouping key of a song: folded title and artist, kept apart by a control character (U+001F) that cleaning removes from every text. */
export function songKey(title: string, artist: string): string {
  return `${fold(title)}\u001f${fold(artist)}`;
}

export type SongFieldResult = { ok: true; value: string } | { ok: false; reason: 'empty' | 'too_long' };

/**
 * A title or artist as shown to everyone: cleaned like a name (markup, controls,
 * invisible characters and line breaks gone, spaces collapsed, NFC); then
 * `1..max` code points, or `0..max` with `allowEmpty` (the artist).
 */
export function cleanSongField(input: string, max: number, options: { allowEmpty?: boolean } = {}): SongFieldResult {
  const value = normalizeName(input);
  if (value === '' && !options.allowEmpty) return { ok: false, reason: 'empty' };
  if ([...value].length > max) return { ok: false, reason: 'too_long' };
  return { ok: true, value };
}
