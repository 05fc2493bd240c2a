/**
 * The word filter: does a listener's message contain a blocked word? Built on
 * the `obscenity` library, which resolves look-alike characters, leetspeak
 * (`k0nt0l`) and stretched letters (`shiiit`). Its English list is the
 * base; the project adds Indonesian words it lacks (./indonesian-words.ts) and
 * the station's own words (LIVECHAT_BLOCKED_WORDS, LIVECHAT_BLOCKED_WORDS_FILE).
 * Every added word matches as a whole word, case-insensitively.
 *
 * Two English entries are dropped because they are everyday Indonesian
 * spelling: `anal` (analisis, kanal) and `cum` (cumlaude). The library's `!`
 * leetspeak (as i) is not used: "kontol!" must still end with the word.
 */
import {
  collapseDuplicatesTransformer,
  DataSet,
  SyntaxKind,
  type BlacklistedTerm,
  type Node,
  type SimpleTransformerContainer,
  englishDataset,
  parseRawPattern,
  RegExpMatcher,
  remapCharactersTransformer,
  resolveConfusablesTransformer,
  toAsciiLowerCaseTransformer,
} from 'obscenity';
import { INDONESIAN_BLOCKED_WORDS } from './indonesian-words.js';

export interface WordFilterOptions {
  /** Include the shipped English and Indonesian lists (LIVECHAT_BLOCKED_WORDS_DEFAULT). */
  defaults: boolean;
  /** The station's own words (already trimmed, non-empty). */
  words: readonly string[];
}

/** English entries that are everyday Indonesian spelling. */
const NOT_IN_INDONESIAN = new Set(['anal', 'cum']);

/** Digits and signs read as letters; `!` is left alone (it ends sentences). */
const LEETSPEAK = { a: '4@', e: '3', i: '1', o: '0', s: '5$', t: '7', g: '9', b: '8' };

/** Letters that are doubled in ordinary spelling: kept up to two in a row. */
const DOUBLE_LETTERS = new Map([
  ['b', 2],
  ['e', 2],
  ['o', 2],
  ['l', 2],
  ['s', 2],
  ['g', 2],
]);

/** A station's word as the matcher sees text: lower case, digits and signs read as letters. */
function normaliseWord(word: string): string {
  let normal = word.toLowerCase();
  for (const [letter, stands] of Object.entries(LEETSPEAK)) {
    for (const char of stands) normal = normal.split(char).join(letter);
  }
  return normal;
}

export class WordFilter {
  readonly #matcher: RegExpMatcher | undefined;
  /**
   * Every term at once, looser than the matcher (word boundaries ignored, any
   * letter may repeat): a message it does not match holds no blocked word, and
   * only the few it does match go through the library's matcher (which tries
   * its terms one by one, some 100 µs a message). Keeps the message path cheap.
   */
  readonly #candidates: RegExp | undefined;
  /** The matcher's character transformers that see one character at a time, applied before #candidates. */
  readonly #perCharacter: SimpleTransformerContainer[];
  /** What the per-character transformers make of each ASCII character. */
  readonly #ascii: string[];

  constructor(options: WordFilterOptions) {
    const dataset = new DataSet<{ word: string }>();
    if (options.defaults) {
      dataset.addAll(englishDataset as unknown as DataSet<{ word: string }>);
      dataset.removePhrasesIf((phrase) => {
        const original = (phrase.metadata as { originalWord?: string } | undefined)?.originalWord;
        return original !== undefined && NOT_IN_INDONESIAN.has(original);
      });
    }
    const own = [...(options.defaults ? INDONESIAN_BLOCKED_WORDS : []), ...options.words];
    for (const word of new Set(own.map(normaliseWord))) {
      dataset.addPhrase((phrase) =>
        phrase.setMetadata({ word }).addPattern(parseRawPattern(`|${escapePattern(word)}|`)),
      );
    }
    this.#perCharacter = [
      resolveConfusablesTransformer(),
      remapCharactersTransformer(LEETSPEAK),
      toAsciiLowerCaseTransformer(),
    ] as SimpleTransformerContainer[];
    this.#ascii = Array.from({ length: 128 }, (_, code) => this.#transformOne(code));
    const built = dataset.build();
    if (built.blacklistedTerms.length === 0) return;
    this.#matcher = new RegExpMatcher({
      ...built,
      blacklistMatcherTransformers: [
        ...this.#perCharacter,
        // The library's recommended thresholds: "ass" stays "ass", "shiiit" becomes "shit".
        collapseDuplicatesTransformer({ defaultThreshold: 1, customThresholds: DOUBLE_LETTERS }),
      ],
      whitelistMatcherTransformers: [toAsciiLowerCaseTransformer()],
    });
    this.#candidates = new RegExp(built.blacklistedTerms.map(termSource).join('|'), 'u');
  }

  /** Whether the text holds a blocked word. */
  matches(text: string): boolean {
    if (!this.#matcher || !this.#candidates) return false;
    if (!this.#candidates.test(this.#transform(text))) return false;
    return this.#matcher.hasMatch(text);
  }

  /** The text as the matcher's per-character transformers make it (a character they drop is dropped). */
  #transform(text: string): string {
    let out = '';
    for (let i = 0; i < text.length; i++) {
      const unit = text.charCodeAt(i);
      // ASCII from the table (most text); anything else through the transformers.
      if (unit < 128) {
        out += this.#ascii[unit]!;
        continue;
      }
      const code = text.codePointAt(i)!;
      if (code > 0xffff) i++;
      out += this.#transformOne(code);
    }
    return out;
  }

  #transformOne(code: number): string {
    let result: number | undefined = code;
    for (const transformer of this.#perCharacter) {
      result = transformer.transform(result);
      if (result === undefined) return '';
    }
    return String.fromCodePoint(result);
  }
}

/** A term as a loose regular expression: boundaries ignored, each letter one or more times. */
function termSource(term: BlacklistedTerm): string {
  return term.pattern.nodes.map(nodeSource).join('');
}

function nodeSource(node: Node): string {
  if (node.kind === SyntaxKind.Wildcard) return '.';
  if (node.kind === SyntaxKind.Optional) return `(?:${nodeSource(node.childNode)})?`;
  return node.chars.map((code) => `\\u{${code.toString(16)}}+`).join('');
}

/** A word as a literal obscenity pattern: its syntax characters escaped. */
function escapePattern(word: string): string {
  return word.replace(/[[\]?|\\]/g, (char) => `\\${char}`);
}
