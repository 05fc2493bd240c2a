/** The `show` scenario's own table: what the live show's extra traffic did, beside the chat figures. */
import type { ScenarioResult } from './scenarios.js';
import type { LatencySummary } from './types.js';

const ms = (n: number) => (n >= 100 ? n.toFixed(0) : n.toFixed(1));
const pair = (l: LatencySummary) => (l.count === 0 ? '–' : `${ms(l.p50)} / **${ms(l.p99)}** / ${ms(l.max)}`);
const statuses = (byStatus: Record<string, number>) =>
  Object.entries(byStatus)
    .map(([status, n]) => `${n}× ${status}`)
    .join(', ') || '–';

export function showTable(s: ScenarioResult): string[] {
  const head = [
    'target',
    'song requests sent',
    'announcements (answers)',
    'announcement deliveries / expected',
    'announce REST p50 / **p99** / max (ms)',
    'on-air changes (answers)',
    '`onair:update` received',
    'on-air REST p50 / **p99** / max (ms)',
  ];
  const rows = [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`];
  for (const run of s.runs) {
    const show = run.load?.show;
    if (!show) continue;
    const expected = (run.setup?.connected ?? 0) * (show.announcements.byStatus['201'] ?? 0);
    rows.push(
      '| ' +
        [
          run.target.label,
          show.requestsSent.toLocaleString('en'),
          `${show.announcements.sent} (${statuses(show.announcements.byStatus)})`,
          `${show.announcements.deliveries.toLocaleString('en')} / ${expected.toLocaleString('en')}`,
          pair(show.announcements.rest),
          `${show.onair.changes} (${statuses(show.onair.byStatus)})`,
          show.onair.updates.toLocaleString('en'),
          pair(show.onair.rest),
        ].join(' | ') +
        ' |',
    );
  }
  return rows.length > 2 ? ['', ...rows] : [];
}
