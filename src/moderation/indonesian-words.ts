/**
 * The project's own part of the default word list: Indonesian (and common
 * regional) profanity and slurs, which the filter library's English list
 * lacks. Whole words only, so everyday words that contain one stay untouched.
 * Words that are also ordinary vocabulary (anjing "dog", babi "pig", tahi
 * lalat "mole") are left out: a held message costs a broadcaster's attention.
 */
export const INDONESIAN_BLOCKED_WORDS: readonly string[] = [
  'kontol',
  'memek',
  'ngentot',
  'entot',
  'ngewe',
  'jembut',
  'pepek',
  'peler',
  'itil',
  'toket',
  'coli',
  'colmek',
  'bangsat',
  'bajingan',
  'keparat',
  'kampret',
  'goblok',
  'goblog',
  'tolol',
  'jancuk',
  'jancok',
  'dancuk',
  'asu',
  'pantek',
  'puki',
  'pukimak',
  'kimak',
  'lonte',
  'sundal',
  'perek',
  'bencong',
  'ngehe',
  'tai',
];
