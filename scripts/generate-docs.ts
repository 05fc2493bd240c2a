/**
 * Generates the protocol documentation from the schemas the server validates with:
 *
 * - `docs/asyncapi.yaml`: AsyncAPI 3.0 for both WebSocket endpoints
 * - `docs/openapi.yaml`: OpenAPI 3.1 for the REST endpoints
 * - `docs/events.md`: the readable guide (events, handshake, close codes, rules, REST, walk-through)
 *
 * Payload schemas come from `src/protocol/events.ts` through zod's `z.toJSONSchema`;
 * descriptions come from the schemas' `.describe()`/`.meta()`. Every example in the
 * documents is parsed with the schema it illustrates, so an example that no longer
 * matches fails the generation. The output is deterministic (no timestamps).
 *
 * The pieces live under `scripts/docs/`: `content/` (what the documents say: events,
 * endpoints, close codes, rules, REST operations, example values), `schema-set.ts`
 * (zod to JSON Schema), and one writer per document (`asyncapi.ts`, `openapi.ts`,
 * `markdown.ts`). This file only writes or checks the files.
 *
 *   node --import tsx scripts/generate-docs.ts           write the files
 *   node --import tsx scripts/generate-docs.ts --check   exit 1 when a file would change
 *   --root DIR                                           read/write under DIR instead of the repository
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { Document } from 'yaml';
import { buildAsyncApi } from './docs/asyncapi.js';
import { buildEventsMarkdown } from './docs/markdown.js';
import { GENERATED_NOTE } from './docs/markdown-text.js';
import { buildOpenApi } from './docs/openapi.js';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

function yamlFile(value: unknown): string {
  // YAML 1.1 quoting rules: strings such as timestamps stay strings for YAML 1.1 parsers too.
  const doc = new Document(value, { aliasDuplicateObjects: false, schema: 'yaml-1.1' });
  doc.commentBefore = ` ${GENERATED_NOTE}`;
  return doc.toString({ lineWidth: 0 });
}

export interface GeneratedFile {
  /** Relative to the repository root. */
  path: string;
  content: string;
}

export function generateDocs(root = REPO_ROOT): GeneratedFile[] {
  const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
  return [
    { path: 'docs/asyncapi.yaml', content: yamlFile(buildAsyncApi(version)) },
    { path: 'docs/openapi.yaml', content: yamlFile(buildOpenApi(version)) },
    { path: 'docs/events.md', content: buildEventsMarkdown() },
  ];
}

function readOrUndefined(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

function main(argv: string[]): number {
  const { values } = parseArgs({
    args: argv,
    options: { check: { type: 'boolean', default: false }, root: { type: 'string' } },
  });
  const root = resolve(values.root ?? REPO_ROOT);
  let stale = 0;
  for (const file of generateDocs(root)) {
    const target = join(root, file.path);
    if (readOrUndefined(target) === file.content) continue;
    if (values.check) {
      stale += 1;
      console.error(`${file.path} is out of date`);
    } else {
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, file.content);
      console.log(`wrote ${file.path}`);
    }
  }
  if (stale > 0) {
    console.error('Run `node --import tsx scripts/generate-docs.ts` and commit the result.');
    return 1;
  }
  return 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  process.exitCode = main(process.argv.slice(2));
}
