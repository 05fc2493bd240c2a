/**
 * Cleaning of user-supplied text (chat messages, names, cities).
 *
 * Contract ("Cleaning"): text is trimmed; control characters other than
 * newline and bidi controls (contract v1.1 A) are removed; HTML markup (tags, comments, doctype / processing
 * instructions, and the content of script and style elements) is removed.
 * Nothing else changes: `Aku <3 lagu ini & "Sheila on 7"` comes out exactly as
 * it went in, and entities such as `&amp;` stay as typed.
 *
 * Why not sanitize-html (or any HTML sanitizer)? A sanitizer produces HTML meant
 * for innerHTML, so it escapes `<` and `&` in text (`&lt;3`, `&amp;`). We
 * deliver plain text that every client renders as text, so escaping would
 * corrupt what listeners typed. We only drop markup and keep the text nodes
 * verbatim; rendering as text (never as HTML) is the clients' side of the deal.
 *
 * How `<` and `>` in plain text fare (htmlparser2 follows the HTML tokenizer):
 * - kept: `a < b`, `x<3`, `<3`, `5 > 3`, `a <= b`, `x <- y`, `<>`, a lone `<`
 *   at the end, `</` at the end. A `<` that is not followed by an ASCII letter,
 *   `/`, `!` or `?` is text, and `>` on its own is always text.
 * - removed, because an HTML parser (and so a browser) reads them as markup:
 *   `I <love you` (an unterminated tag: everything from `<love` to the end is
 *   dropped, leaving `I`), `a <b c`, `a<<b` (leaves `a<`), `a <!b` (a bogus
 *   comment), `</ b>`, `</>`, `<?x ?>`.
 * - text inside raw-text elements other than script/style (`<title>`,
 *   `<textarea>`, `<xmp>`, `<iframe>`, `<noembed>`, `<noframes>`,
 *   `<plaintext>`) is kept as text, and the next pass strips any markup in it.
 */
import { Parser } from 'htmlparser2';

/** Elements whose content is removed together with their tags. */
const DROPPED_CONTENT = new Set(['script', 'style']);

/**
 * Upper bound on strip passes. Every pass that changes the text makes it
 * strictly shorter, and ordinary text settles after one or two passes; only
 * deliberately nested re-assembly tricks need more.
 */
const MAX_PASSES = 10;

/**
 * Every Unicode Cc character (C0, DEL, C1) except the newline, and the bidi
 * controls of contract v1.1 A (U+061C, U+200E, U+200F, U+202A–U+202E,
 * U+2066–U+2069), which let `"\u202EA raiyneP"` display as "Penyiar A".
 * Joiners such as U+200D (emoji sequences) stay.
 */
const CONTROLS = /(?!\n)\p{Cc}|[\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/gu;

/** One tokenizer pass: the text nodes outside script/style, verbatim. */
function stripMarkupOnce(input: string): string {
  let output = '';
  let droppedDepth = 0;
  const parser = new Parser(
    {
      onopentag(name) {
        if (DROPPED_CONTENT.has(name)) droppedDepth++;
      },
      onclosetag(name) {
        // Also called for elements left open at the end (implied close), and
        // only for elements that were opened, so the depth stays balanced.
        if (DROPPED_CONTENT.has(name) && droppedDepth > 0) droppedDepth--;
      },
      ontext(text) {
        if (droppedDepth === 0) output += text;
      },
      // Comments, CDATA, doctype and processing instructions have no handler:
      // they are dropped.
    },
    { decodeEntities: false, xmlMode: false },
  );
  parser.write(input);
  parser.end();
  return output;
}

/**
 * Cleans user text per the contract: removes control characters other than
 * `\n` and bidi controls, removes HTML markup (repeating until the result stops changing, so
 * that `<<b>script>` or `<scr<script>x</script>ipt>` cannot re-assemble a tag),
 * and trims. The result is a fixed point: `cleanText(cleanText(s)) === cleanText(s)`.
 */
export function cleanText(input: string): string {
  // Controls go first, so `<scr\u0000ipt>` is seen as the tag it would become.
  // Stripping markup only ever removes characters, so none come back later.
  let current = input.replace(CONTROLS, '').trim();
  // Without a `<` nothing can start markup (entities are not decoded): the
  // tokenizer would hand the whole text back as one text node.
  if (!current.includes('<')) return current;
  for (let pass = 0; pass < MAX_PASSES; pass++) {
    const next = stripMarkupOnce(current).trim();
    if (next === current) return current;
    current = next;
  }
  // Did not settle within the bound: only crafted nesting gets here. Removing
  // every `<` leaves nothing that can start markup, and the result is stable.
  return current.replaceAll('<', '').trim();
}

export type CleanFieldResult = { ok: true; value: string } | { ok: false; reason: 'empty' | 'too_long' };

/**
 * Cleans `input` with {@link cleanText}, then checks its length in Unicode code
 * points (an emoji such as 🎵 counts as one): `1..maxLength`, or
 * `0..maxLength` with `allowEmpty` (e.g. the optional city).
 *
 * `empty` means nothing was left after cleaning (blank, or markup only);
 * `too_long` means more than `maxLength` code points were left.
 */
export function cleanField(input: string, maxLength: number, options: { allowEmpty?: boolean } = {}): CleanFieldResult {
  const value = cleanText(input);
  if (value === '' && !options.allowEmpty) return { ok: false, reason: 'empty' };
  if (codePointsExceed(value, maxLength)) return { ok: false, reason: 'too_long' };
  return { ok: true, value };
}

/** Whether `value` has more than `max` Unicode code points (an emoji such as 🎵 counts as one). */
function codePointsExceed(value: string, max: number): boolean {
  // Every code point takes one or two UTF-16 units.
  if (value.length <= max) return false;
  if (value.length > 2 * max) return true;
  let count = 0;
  // The string iterator walks code points, not UTF-16 units.
  for (const _ of value) if (++count > max) return true;
  return false;
}
