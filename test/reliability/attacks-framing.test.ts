/**
 * Framing (clickjacking), issue 19 item 10: the broadcasters' dashboard is
 * never framable (CSP `frame-ancestors 'none'` and `X-Frame-Options: DENY`),
 * with or without an origin allow-list; the listener widget only by the
 * allowed origins (any page when no list is set, as docs/embed.md says);
 * everything else is not framable either. Framing is no storage matter: one
 * SQLite server per case.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { buildWebAssets, repoRoot } from '../e2e/browser.js';
import type { TestServer } from '../helpers/server.js';
import { withServer } from '../helpers/with-server.js';

const ALLOWED = ['https://radio.example', 'https://www.radio.example'];

/** The CSP's frame-ancestors sources and the X-Frame-Options header of one GET (after redirects). */
async function framing(server: TestServer, path: string): Promise<{ status: number; ancestors: string; xfo: string }> {
  const response = await fetch(`${server.baseUrl}${path}`);
  await response.arrayBuffer();
  const csp = response.headers.get('content-security-policy') ?? '';
  const ancestors = /(?:^|;)\s*frame-ancestors ([^;]*)/.exec(csp)?.[1]?.trim() ?? '(none set)';
  return { status: response.status, ancestors, xfo: response.headers.get('x-frame-options') ?? '' };
}

const DASHBOARD = ['/dashboard/', '/dashboard/index.html', '/dashboard/?resyncMs=5000', '/dashboard', '/%64ashboard/'];
const WIDGET = ['/', '/index.html', '/?embed=1&lang=id'];
const OTHER = ['/healthz', '/livechat/admin/sessions', '/nowhere'];

// The pages are served from dist/web (any build: only their headers matter here).
before(async () => {
  if (!existsSync(join(repoRoot, 'dist', 'web', 'dashboard', 'index.html'))) await buildWebAssets();
});

for (const allowList of [undefined, ALLOWED]) {
  describe(`framing ${allowList ? 'with' : 'without'} LIVECHAT_ALLOWED_ORIGINS`, () => {
    const server = withServer(allowList ? { env: { LIVECHAT_ALLOWED_ORIGINS: allowList.join(',') } } : {});

    test('the dashboard is never framable', async () => {
      for (const path of DASHBOARD) {
        const got = await framing(server, path);
        assert.equal(got.status, 200, path);
        assert.deepEqual([got.ancestors, got.xfo], ["'none'", 'DENY'], path);
      }
    });

    test('the widget is framable by the allowed origins only (by any page without a list)', async () => {
      const expected = allowList ? ["'self'", ...allowList].join(' ') : '*';
      for (const path of WIDGET) {
        const got = await framing(server, path);
        assert.equal(got.status, 200, path);
        assert.deepEqual([got.ancestors, got.xfo], [expected, ''], path);
      }
    });

    test('nothing else is framable', async () => {
      for (const path of OTHER) {
        const got = await framing(server, path);
        assert.deepEqual([got.ancestors, got.xfo], ["'none'", 'DENY'], path);
      }
    });
  });
}
