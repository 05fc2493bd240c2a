/**
 * The generated protocol documentation: in sync with the schemas, valid for the
 * official AsyncAPI and OpenAPI parsers, and complete (every event, every close code).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import SwaggerParser from '@apidevtools/swagger-parser';
import { DiagnosticSeverity, Parser } from '@asyncapi/parser';
import { parse as parseYaml } from 'yaml';
import { generateDocs } from '../../scripts/generate-docs.js';
import { httpErrors } from '../../src/errors.js';
import { CloseCode } from '../../src/protocol/close-codes.js';
import {
  broadcasterClientEvents,
  broadcasterServerEvents,
  listenerClientEvents,
  listenerServerEvents,
} from '../../src/protocol/events.js';

const root = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const read = (path: string) => readFileSync(join(root, path), 'utf8');
const files = generateDocs(root);

const eventMaps = [
  { side: 'listener', action: 'receive', map: listenerClientEvents },
  { side: 'listener', action: 'send', map: listenerServerEvents },
  { side: 'broadcaster', action: 'receive', map: broadcasterClientEvents },
  { side: 'broadcaster', action: 'send', map: broadcasterServerEvents },
] as const;

test('generates the three documents', () => {
  assert.deepEqual(
    files.map((f) => f.path),
    ['docs/asyncapi.yaml', 'docs/openapi.yaml', 'docs/events.md'],
  );
});

for (const file of files) {
  test(`${file.path} is up to date (run scripts/generate-docs.ts)`, () => {
    assert.equal(read(file.path), file.content, `${file.path} differs from the generated one`);
  });
}

test('generation is deterministic', () => {
  assert.deepEqual(generateDocs(root), files);
});

test('--check passes on the committed files and fails on a stale one', () => {
  const script = join(root, 'scripts/generate-docs.ts');
  const run = (dir: string) =>
    spawnSync(process.execPath, ['--import', 'tsx', script, '--check', '--root', dir], { cwd: root, encoding: 'utf8' });

  const clean = run(root);
  assert.equal(clean.status, 0, clean.stderr);

  const copy = mkdtempSync(join(tmpdir(), 'livechat-docs-'));
  try {
    cpSync(join(root, 'package.json'), join(copy, 'package.json'));
    cpSync(join(root, 'docs'), join(copy, 'docs'), { recursive: true });
    writeFileSync(join(copy, 'docs/events.md'), `${read('docs/events.md')}\nedited by hand\n`);
    const stale = run(copy);
    assert.equal(stale.status, 1);
    assert.match(stale.stderr, /docs\/events\.md is out of date/);
  } finally {
    rmSync(copy, { recursive: true, force: true });
  }
});

test('asyncapi.yaml parses with @asyncapi/parser without errors', async () => {
  const { document, diagnostics } = await new Parser().parse(read('docs/asyncapi.yaml'));
  const errors = diagnostics.filter((d) => d.severity === DiagnosticSeverity.Error);
  assert.deepEqual(
    errors.map((d) => `${d.path.join('.')}: ${d.message}`),
    [],
  );
  assert.ok(document, 'no document');
  assert.equal(document.version(), '3.0.0');
  assert.deepEqual(
    document
      .channels()
      .all()
      .map((c) => c.address())
      .sort(),
    ['/livechat/admin/ws', '/livechat/ws'],
  );
  const expected = eventMaps.reduce((n, { map }) => n + Object.keys(map).length, 0);
  assert.equal(document.operations().all().length, expected);
});

test('asyncapi.yaml: one message and one operation per event and direction, payload = frame envelope', () => {
  const doc = parseYaml(read('docs/asyncapi.yaml')) as any;
  for (const { side, action, map } of eventMaps) {
    const channel = doc.channels[side];
    for (const event of Object.keys(map)) {
      const key = `${action === 'receive' ? 'client' : 'server'}.${event.replaceAll(':', '.')}`;
      const operation = doc.operations[`${side}.${action}.${event.replaceAll(':', '.')}`];
      assert.ok(operation, `no operation for ${side} ${action} ${event}`);
      assert.equal(operation.action, action);
      assert.deepEqual(operation.messages, [{ $ref: `#/channels/${side}/messages/${key}` }]);
      assert.ok(channel.messages[key], `channel ${side} lacks message ${key}`);
      const message = doc.components.messages[`${side}.${key}`];
      assert.equal(message.name, event);
      assert.equal(message.payload.properties.event.const, event);
      assert.deepEqual(message.payload.required, ['event', 'data']);
      assert.equal(message.examples[0].payload.event, event);
      const schema = map[event as keyof typeof map] as { safeParse(value: unknown): { success: boolean } };
      assert.ok(schema.safeParse(message.examples[0].payload.data).success, `example of ${side} ${event} is invalid`);
    }
  }
  assert.deepEqual(doc.channels.listener.bindings.ws.query.required, ['token']);
  assert.ok(doc.channels.listener.bindings.ws.query.properties.lastMessageId);
});

test('every event name appears in asyncapi.yaml and events.md', () => {
  const asyncapi = read('docs/asyncapi.yaml');
  const markdown = read('docs/events.md');
  for (const { side, action, map } of eventMaps) {
    for (const event of Object.keys(map)) {
      assert.ok(asyncapi.includes(`name: ${event}`), `asyncapi.yaml lacks ${event}`);
      const arrow = action === 'receive' ? `${side} → server` : `server → ${side}`;
      assert.ok(markdown.includes(`### \`${event}\` (${arrow})`), `events.md lacks a section for ${event} (${arrow})`);
    }
  }
});

test('every close code appears in asyncapi.yaml and events.md', () => {
  const doc = parseYaml(read('docs/asyncapi.yaml')) as any;
  const markdown = read('docs/events.md');
  for (const code of Object.values(CloseCode)) {
    for (const side of ['listener', 'broadcaster']) {
      assert.ok(
        doc.channels[side]['x-close-codes'].some((c: { code: number }) => c.code === code),
        `asyncapi.yaml ${side} lacks close code ${code}`,
      );
    }
    assert.match(markdown, new RegExp(`^\\| ${code} \\|`, 'm'), `events.md lacks close code ${code}`);
  }
});

test('handshake refusals 401, 403 and 429 are documented for both endpoints', () => {
  const doc = parseYaml(read('docs/asyncapi.yaml')) as any;
  for (const side of ['listener', 'broadcaster']) {
    const statuses = doc.channels[side]['x-handshake-refusals'].map((r: { status: number }) => r.status);
    for (const status of [401, 403, 429]) assert.ok(statuses.includes(status), `${side} lacks refusal ${status}`);
  }
});

test('openapi.yaml validates with swagger-parser', async () => {
  const api = (await SwaggerParser.validate(join(root, 'docs/openapi.yaml'))) as any;
  assert.equal(api.openapi, '3.1.0');
  assert.deepEqual(Object.keys(api.paths).sort(), [
    '/healthz',
    '/livechat/admin/accounts',
    '/livechat/admin/accounts/{adminId}',
    '/livechat/admin/audit',
    '/livechat/admin/login',
    '/livechat/admin/logout',
    '/livechat/admin/messages/{messageId}/hide',
    '/livechat/admin/sessions',
    '/livechat/admin/sessions/{sessionId}',
    '/livechat/admin/sessions/{sessionId}/block',
    '/livechat/admin/sessions/{sessionId}/messages',
    '/livechat/session',
    '/livechat/session/messages',
    '/metrics',
    '/readyz',
  ]);
});

test('openapi.yaml: statuses, admin bearer auth, parameters and error codes follow the contract', () => {
  const api = parseYaml(read('docs/openapi.yaml')) as any;
  const paths = api.paths;
  assert.ok(paths['/livechat/session'].post.responses['201']);
  assert.ok(paths['/livechat/session'].post.responses['429']);
  assert.ok(paths['/livechat/admin/login'].post.responses['401']);
  assert.deepEqual(paths['/livechat/admin/sessions'].get.security, [{ adminBearer: [] }]);
  assert.deepEqual(paths['/livechat/admin/sessions/{sessionId}/messages'].get.security, [{ adminBearer: [] }]);
  assert.ok(paths['/livechat/admin/sessions/{sessionId}/messages'].get.responses['404']);
  assert.deepEqual(paths['/metrics'].get.security, [{}, { metricsToken: [] }]);
  assert.ok(paths['/readyz'].get.responses['503']);

  const limit = paths['/livechat/admin/sessions'].get.parameters.find((p: { name: string }) => p.name === 'limit');
  assert.deepEqual([limit.schema.minimum, limit.schema.maximum, limit.schema.default], [1, 500, 100]);
  const names = paths['/livechat/admin/sessions/{sessionId}/messages'].get.parameters.map(
    (p: { name: string }) => p.name,
  );
  assert.deepEqual(names.sort(), ['after', 'includeHidden', 'limit', 'sessionId']);
  assert.ok(paths['/livechat/admin/logout'].post.responses['204']);
  assert.ok(paths['/livechat/admin/accounts'].get.responses['403']);
  assert.ok(paths['/livechat/admin/sessions/{sessionId}/block'].delete.responses['204']);

  // Every error response lists only codes whose status (in src/errors.ts) is that response's status.
  let checked = 0;
  for (const item of Object.values(paths) as any[]) {
    for (const operation of Object.values(item) as any[]) {
      for (const [status, response] of Object.entries(operation.responses) as [string, any][]) {
        const codes: string[] | undefined = response.content?.['application/json']?.schema?.properties?.error?.enum;
        if (!codes) continue;
        assert.ok(codes.length > 0);
        for (const code of codes) {
          assert.equal(String(httpErrors[code as keyof typeof httpErrors].status), status, `${code} under ${status}`);
          checked += 1;
        }
      }
    }
  }
  assert.ok(checked > 10, 'no error responses found');
});
