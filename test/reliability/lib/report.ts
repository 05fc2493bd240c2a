/**
 * Figures of the reliability suite: each fault or attack reports what happened
 * and its counts. They go to the test output (as diagnostics) and, when
 * LIVECHAT_RELIABILITY_REPORT names a file, one JSON line each to that file —
 * the source of the table in docs/reliability.md.
 */
import { appendFileSync } from 'node:fs';
import type { TestContext } from 'node:test';

export interface Counts {
  sent?: number;
  acknowledged?: number;
  stored?: number;
  duplicated?: number;
  lost?: number;
  [other: string]: number | string | undefined;
}

export function report(t: TestContext, name: string, outcome: string, counts: Counts = {}): void {
  const figures = Object.entries(counts)
    .filter(([, value]) => value !== undefined)
    .map(([key, value]) => `${key}=${value}`)
    .join(' ');
  t.diagnostic(`[reliability] ${name}: ${outcome}${figures ? ` (${figures})` : ''}`);
  const file = process.env['LIVECHAT_RELIABILITY_REPORT'];
  if (file) {
    appendFileSync(
      file,
      JSON.stringify({ name, outcome, ...counts, scale: process.env['LIVECHAT_RELIABILITY_SCALE'] ?? 'small' }) + '\n',
    );
  }
}
