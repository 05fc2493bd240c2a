/**
 * The floors of src/: a module may import from its own floor or a lower one,
 * never from a higher one. Every top-level module of src/ must have a floor
 * here, so a new folder is placed on purpose.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const srcRoot = fileURLToPath(new URL('../../src/', import.meta.url));

/** Lowest first. Names are top-level folders of src/ or files of src/ without their extension. */
const floors: readonly (readonly string[])[] = [
  // Floor 0: what everything may use — the wire protocol, the error catalogue, plain utilities, configuration.
  ['protocol', 'errors', 'version', 'keyed-queue', 'in-flight', 'text', 'tracing', 'config', 'logger', 'metrics'],
  // Floor 1: the client SDK (protocol only) and what an instance shares with others: storage, broker, auth.
  ['client', 'db', 'broker', 'auth'],
  // Floor 2: the local hub (routes publications to this instance's subscribers).
  ['hub'],
  // Floor 3: the chat service (stores, then publishes through the hub).
  ['chat'],
  // Floor 4: the edges that speak to clients.
  ['http', 'ws', 'moderation'],
  // Floor 5: wiring and entry points.
  ['bootstrap', 'server', 'process', 'cli', 'index'],
];

function floorOf(module: string): number {
  const floor = floors.findIndex((names) => names.includes(module));
  assert.notEqual(floor, -1, `src/${module} has no floor in test/unit/layers.test.ts: place it on one`);
  return floor;
}

/** `ws/gateway.ts` → `ws`; `server.ts` → `server`. */
function moduleOf(pathInSrc: string): string {
  const [first] = pathInSrc.split('/');
  return first!.replace(/\.(ts|js)$/, '');
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

const relativeImport = /(?:import|export)[^'"]*?from\s+'(\.[^']+)'|import\('(\.[^']+)'\)/g;

/** Every relative import of src/ as [importing file, imported file], both relative to src/. */
function importEdges(): [string, string][] {
  return sourceFiles(srcRoot).flatMap((file) =>
    [...readFileSync(file, 'utf8').matchAll(relativeImport)].map((match): [string, string] => [
      relative(srcRoot, file),
      relative(srcRoot, resolve(dirname(file), (match[1] ?? match[2])!)),
    ]),
  );
}

describe('src/ layering', () => {
  it('finds the imports it checks', () => {
    const edges = importEdges();
    assert.ok(edges.length > 100, `only ${edges.length} imports found: the import pattern is broken`);
    assert.ok(edges.some(([from, to]) => from === 'server.ts' && to.startsWith('hub/')));
  });

  it('no module imports from a higher floor', () => {
    const upward = importEdges()
      .filter(([from, to]) => floorOf(moduleOf(from)) < floorOf(moduleOf(to)))
      .map(([from, to]) => `src/${from} imports src/${to}`);
    assert.deepEqual(upward, []);
  });

  it('the client SDK depends on the protocol alone', () => {
    const outside = importEdges()
      .filter(([from, to]) => moduleOf(from) === 'client' && !['client', 'protocol'].includes(moduleOf(to)))
      .map(([from, to]) => `src/${from} imports src/${to}`);
    assert.deepEqual(outside, []);
  });
});
