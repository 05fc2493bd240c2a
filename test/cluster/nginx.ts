/**
 * nginx for tests: renders deploy/nginx/livechat.conf with the test's upstream
 * ports and listening port into a temporary prefix, and runs nginx there as a
 * child process (`daemon off`, logs, pid and temp files in that folder). The
 * binary is LIVECHAT_TEST_NGINX, else `nginx` on PATH or in the usual sbin
 * folders; a missing nginx fails the test loudly.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { accessSync, chmodSync, constants, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { repoRoot } from '../helpers/instances.js';
import { freePort } from '../helpers/ports.js';
import { sleep } from '../helpers/wait.js';

export const NGINX_CONF = join(repoRoot, 'deploy', 'nginx', 'livechat.conf');

export function findNginx(): string {
  const configured = process.env['LIVECHAT_TEST_NGINX'];
  const candidates = configured
    ? [configured]
    : [...(process.env['PATH'] ?? '').split(delimiter), '/usr/sbin', '/usr/local/sbin', '/usr/local/nginx/sbin']
        .filter(Boolean)
        .map((dir) => join(dir, 'nginx'));
  for (const candidate of candidates) {
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // next
    }
  }
  throw new Error(
    `nginx is required for this test and was not found (looked for ${candidates.join(', ')}); set LIVECHAT_TEST_NGINX`,
  );
}

export interface RenderOptions {
  /** The instances' ports, in place of the upstream's example servers. */
  upstreamPorts: number[];
  /** Where nginx listens (on 127.0.0.1). */
  port: number;
  /** Directive values to replace, e.g. `{ proxy_read_timeout: '3s' }` (every occurrence). */
  override?: Record<string, string>;
}

/** The repository's configuration with the test's addresses. Throws when a part it rewrites is missing. */
export function renderConfig(source: string, options: RenderOptions): string {
  let text = source;
  const upstream = /(upstream livechat \{[\s\S]*?)((?:\s*server 127\.0\.0\.1:\d+[^;]*;)+)/.exec(text);
  if (!upstream) throw new Error('deploy/nginx/livechat.conf: no `server` lines in `upstream livechat`');
  const options0 = /server 127\.0\.0\.1:\d+([^;]*);/.exec(upstream[2]!)![1];
  const servers = options.upstreamPorts.map((port) => `\n    server 127.0.0.1:${port}${options0};`).join('');
  text = text.replace(upstream[0], upstream[1] + servers);
  if (!/^\s*listen 80;/m.test(text)) throw new Error('deploy/nginx/livechat.conf: no `listen 80;`');
  text = text.replace(/^(\s*)listen 80;/m, `$1listen 127.0.0.1:${options.port};`);
  for (const [directive, value] of Object.entries(options.override ?? {})) {
    const pattern = new RegExp(`^(\\s*${directive}\\s+)[^;]+;`, 'gm');
    if (!pattern.test(text)) throw new Error(`deploy/nginx/livechat.conf: no ${directive} to override`);
    text = text.replace(pattern, `$1${value};`);
  }
  return text;
}

export interface RunningNginx {
  readonly port: number;
  readonly baseUrl: string;
  readonly wsUrl: string;
  readonly prefix: string;
  /** The configuration nginx runs (the rendered site file). */
  readonly site: string;
  /** error.log and access.log so far. */
  logs(): { error: string; access: string };
  stop(): Promise<void>;
}

export async function startNginx(options: Omit<RenderOptions, 'port'>): Promise<RunningNginx> {
  const binary = findNginx();
  const prefix = mkdtempSync(join(tmpdir(), 'livechat-nginx-'));
  // Workers may run as another user when the tests run as root: let them into the folder.
  chmodSync(prefix, 0o755);
  const port = await freePort();
  const site = renderConfig(readFileSync(NGINX_CONF, 'utf8'), { ...options, port });
  writeFileSync(join(prefix, 'livechat.conf'), site);
  const main = [
    'worker_processes 1;',
    `error_log ${join(prefix, 'error.log')} info;`,
    'events { worker_connections 512; }',
    'http {',
    `  access_log ${join(prefix, 'access.log')};`,
    `  client_body_temp_path ${join(prefix, 'client_body')};`,
    `  proxy_temp_path ${join(prefix, 'proxy')};`,
    `  fastcgi_temp_path ${join(prefix, 'fastcgi')};`,
    `  uwsgi_temp_path ${join(prefix, 'uwsgi')};`,
    `  scgi_temp_path ${join(prefix, 'scgi')};`,
    `  include ${join(prefix, 'livechat.conf')};`,
    '}',
    '',
  ].join('\n');
  const conf = join(prefix, 'nginx.conf');
  writeFileSync(conf, main);
  const args = ['-p', prefix, '-e', join(prefix, 'error.log'), '-c', conf];
  const check = spawnSync(binary, [...args, '-t', '-g', `pid ${join(prefix, 'nginx.pid')};`], { encoding: 'utf8' });
  if (check.status !== 0) throw new Error(`nginx -t refused the configuration:\n${check.stderr}\n${site}`);

  let output = '';
  const child: ChildProcess = spawn(binary, [...args, '-g', `daemon off; pid ${join(prefix, 'nginx.pid')};`], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const kill = () => child.kill('SIGKILL');
  process.once('exit', kill);

  const read = (name: string) => {
    try {
      return readFileSync(join(prefix, name), 'utf8');
    } catch {
      return '';
    }
  };
  const running: RunningNginx = {
    port,
    baseUrl: `http://127.0.0.1:${port}`,
    wsUrl: `ws://127.0.0.1:${port}`,
    prefix,
    site,
    logs: () => ({ error: read('error.log'), access: read('access.log') }),
    async stop() {
      process.off('exit', kill);
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGQUIT');
        const timer = setTimeout(kill, 5000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(prefix, { recursive: true, force: true });
    },
  };

  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`nginx exited at start:\n${output}\n${read('error.log')}`);
    }
    const ok = await fetch(`${running.baseUrl}/healthz`).then(
      (response) => response.status === 200,
      () => false,
    );
    if (ok) return running;
    if (Date.now() > deadline) {
      await running.stop();
      throw new Error(`nginx did not answer on port ${port}:\n${output}`);
    }
    await sleep(50);
  }
}
