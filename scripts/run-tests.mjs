#!/usr/bin/env node
// Runs the test suites with Node's built-in test runner (TypeScript through tsx).
//   node scripts/run-tests.mjs            every suite
//   node scripts/run-tests.mjs unit e2e   only those suites
// Suites are the folders under test/ that hold *.test.ts files. Before they run,
// scripts/preflight.ts makes sure what the chosen suites need is here (Chromium,
// nginx, PostgreSQL, Redis), installing or starting it where it can, and the tests
// run with the open-files limit raised (the load and storm tests hold thousands of sockets).
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { tsImport } from 'tsx/esm/api';

const ORDER = ['unit', 'integration', 'cluster', 'e2e', 'reliability', 'bench'];
const root = 'test';
const available = readdirSync(root).filter((d) => statSync(join(root, d)).isDirectory() && d !== 'helpers');
const wanted = process.argv.slice(2);
for (const name of wanted) {
  if (!available.includes(name)) {
    console.error(`unknown suite "${name}"; suites: ${available.join(', ')}`);
    process.exit(2);
  }
}
const suites = (wanted.length ? wanted : available).sort((a, b) => ORDER.indexOf(a) - ORDER.indexOf(b));
const files = suites.flatMap((suite) =>
  readdirSync(join(root, suite))
    .filter((f) => f.endsWith('.test.ts'))
    .sort()
    .map((f) => join(root, suite, f)),
);
if (files.length === 0) {
  console.error('no test files found');
  process.exit(1);
}
const { preflight } = await tsImport('./preflight.ts', import.meta.url);
const notReady = await preflight(suites);
if (notReady) {
  console.error(notReady);
  process.exit(1);
}
// The soft limit up to 65535 (or the hard limit, when that is lower), for the test process only.
const raiseFileLimit = 'ulimit -n 65535 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$0" "$@"';
/** Runs test files in one `node --test`, `concurrency` files at a time; its exit status. */
function run(testFiles, concurrency) {
  const result = spawnSync(
    'sh',
    [
      '-c',
      raiseFileLimit,
      process.execPath,
      '--import',
      'tsx',
      '--test',
      `--test-concurrency=${concurrency}`,
      '--test-timeout=120000',
      ...testFiles,
    ],
    { stdio: 'inherit', env: { ...process.env, NODE_ENV: 'test' } },
  );
  return result.status ?? 1;
}
// Unit tests share nothing (no fixed port, no shared database), so they run two files at a
// time; the other suites time real servers, processes and browsers and run one file at a time.
const unitFiles = files.filter((f) => f.startsWith(join(root, 'unit')));
const otherFiles = files.filter((f) => !unitFiles.includes(f));
const statuses = [];
if (unitFiles.length) statuses.push(run(unitFiles, 2));
if (otherFiles.length) statuses.push(run(otherFiles, 1));
process.exit(statuses.find((s) => s !== 0) ?? 0);
