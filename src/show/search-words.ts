/**
 * The words of a search box query: runs of letters and digits (any script),
 * as the full-text tokenisers of both databases see them. Everything else
 * (quotes, operators, `*`, `:`, parentheses) only separates words.
 */
export const MAX_SEARCH_WORDS = 10;

export function searchWords(query: string): string[] {
  return query
    .normalize('NFC')
    .split(/[^\p{L}\p{N}\p{M}]+/u)
    .filter((word) => word !== '')
    .slice(0, MAX_SEARCH_WORDS);
}
