/**
 * The `livechat` command as a real process: configuration errors, the
 * first-run broadcaster, `admin:create`, and a SIGTERM drain that finishes
 * in-flight writes, closes sockets with 1001 and exits 0.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { verifyPassword } from '../../src/auth/passwords.js';
import { openStore } from '../../src/db/index.js';
import { TestSocket, createSession, json, listenerUrl } from '../helpers/clients.js';
import { TEST_JWT_SECRET } from '../helpers/server.js';
import { sleep } from '../helpers/wait.js';

const ENTRY = "import('./src/cli.ts').then((m) => m.main(process.argv.slice(1)))";
const dirs: string[] = [];
after(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'livechat-cli-'));
  dirs.push(dir);
  return dir;
}

interface Run {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exit: Promise<number | null>;
}

function run(args: string[], env: Record<string, string>, input?: string): Run {
  const child = spawn(process.execPath, ['--import', 'tsx', '--eval', ENTRY, ...args], {
    env: { PATH: process.env['PATH'] ?? '', LIVECHAT_LOG_LEVEL: 'info', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk) => (stdout += chunk));
  child.stderr!.on('data', (chunk) => (stderr += chunk));
  if (input !== undefined) child.stdin!.end(input);
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, stdout: () => stdout, stderr: () => stderr, exit };
}

/** Waits for the "listening" log line and returns the bound port. */
async function listening(process: Run, timeoutMs = 30_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const match = /"port":(\d+).*"msg":"live chat listening"/.exec(process.stdout());
    if (match) return Number(match[1]);
    if (process.child.exitCode !== null) break;
    await sleep(50);
  }
  throw new Error(`server did not start:\n${process.stdout()}\n${process.stderr()}`);
}

describe('livechat command', () => {
  test('a bad setting stops the start with one line naming the variable', async () => {
    const bad = run(['start'], { PORT: 'abc', LIVECHAT_DATA_DIR: tempDir() });
    assert.equal(await bad.exit, 1);
    assert.match(bad.stderr().trim(), /^livechat: configuration error: PORT: /);
    assert.equal(bad.stderr().trim().split('\n').length, 1);

    const production = run(['start'], { NODE_ENV: 'production', LIVECHAT_DATA_DIR: tempDir() });
    assert.equal(await production.exit, 1);
    assert.match(production.stderr(), /LIVECHAT_JWT_SECRET/);
  });

  test('first start creates a broadcaster and prints its password once', async () => {
    const dataDir = tempDir();
    const env = { NODE_ENV: 'development', LIVECHAT_DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1' };
    const first = run(['start'], env);
    const port = await listening(first);
    const password = /password: (\S+)/.exec(first.stdout())?.[1];
    assert.ok(password, 'the password was printed');
    const login = await json(`http://127.0.0.1:${port}/livechat/admin/login`, {
      body: { username: 'penyiar', password },
    });
    assert.equal(login.status, 200);
    assert.equal(login.body.name, 'Penyiar');
    assert.doesNotMatch(first.stdout(), new RegExp(login.body.token), 'tokens never reach the log');
    first.child.kill('SIGTERM');
    assert.equal(await first.exit, 0);

    const second = run(['start'], env);
    await listening(second);
    assert.doesNotMatch(second.stdout(), /password:/);
    second.child.kill('SIGTERM');
    assert.equal(await second.exit, 0);
  });

  test('admin:create reads the password from standard input', async () => {
    const dataDir = tempDir();
    const env = { LIVECHAT_DATA_DIR: dataDir, LIVECHAT_JWT_SECRET: TEST_JWT_SECRET };
    const created = run(['admin:create', '--username', 'dj.rani', '--name', 'DJ Rani'], env, 'kata-sandi-rani\n');
    assert.equal(await created.exit, 0, created.stderr());
    const store = await openStore({ database: { kind: 'sqlite', path: join(dataDir, 'livechat.sqlite') } });
    try {
      const admin = await store.admins.findByUsername('dj.rani');
      assert.equal(admin?.displayName, 'DJ Rani');
      assert.equal(admin?.role, 'penyiar');
      assert.equal(await verifyPassword('kata-sandi-rani', admin!.passwordHash), true);
    } finally {
      await store.close();
    }
    // --role manager promotes it; a new password raises its token version (its tokens end).
    const promoted = run(
      ['admin:create', '--username', 'dj.rani', '--name', 'DJ Rani', '--role', 'manager'],
      env,
      'kata-sandi-baru\n',
    );
    assert.equal(await promoted.exit, 0, promoted.stderr());
    const reopened = await openStore({ database: { kind: 'sqlite', path: join(dataDir, 'livechat.sqlite') } });
    try {
      const admin = await reopened.admins.findByUsername('dj.rani');
      assert.deepEqual([admin?.role, admin?.tokenVersion], ['manager', 1]);
    } finally {
      await reopened.close();
    }
    const badRole = run(
      ['admin:create', '--username', 'y', '--name', 'Y', '--role', 'boss'],
      env,
      'kata-sandi-panjang\n',
    );
    assert.equal(await badRole.exit, 1);
    const short = run(['admin:create', '--username', 'x', '--name', 'X'], env, 'short\n');
    assert.equal(await short.exit, 1);
    const missing = run(['admin:create', '--name', 'X'], env, 'kata-sandi-panjang\n');
    assert.equal(await missing.exit, 1);
  });

  test('SIGTERM: in-flight messages are stored and acked, sockets close with 1001, exit 0', async () => {
    const dataDir = tempDir();
    const server = run(['start'], {
      LIVECHAT_DATA_DIR: dataDir,
      LIVECHAT_JWT_SECRET: TEST_JWT_SECRET,
      PORT: '0',
      HOST: '127.0.0.1',
      LIVECHAT_RATE_LIMIT_MESSAGES: '100',
    });
    const port = await listening(server);
    const base = { baseUrl: `http://127.0.0.1:${port}`, wsUrl: `ws://127.0.0.1:${port}` };
    const session = await createSession(base);
    const socket = await TestSocket.open(listenerUrl(base, session.sessionToken));
    await socket.next('connection:success');
    for (let i = 0; i < 20; i++) socket.send('message:send', { text: `pesan ${i}`, clientMessageId: `m-${i}` });
    server.child.kill('SIGTERM');
    const closed = await socket.closed;
    assert.equal(closed.code, 1001);
    assert.equal(await server.exit, 0);
    const acked = socket.all('message:ack').map((ack) => String(ack['messageId']));
    assert.ok(acked.length > 0, 'messages in flight at SIGTERM were still acknowledged');

    const store = await openStore({ database: { kind: 'sqlite', path: join(dataDir, 'livechat.sqlite') } });
    try {
      const stored = (await store.messages.listAfter(session.sessionId, { limit: 100 })).map((m) => m.messageId);
      for (const id of acked) assert.ok(stored.includes(id), `acked message ${id} is stored`);
      assert.equal(new Set(stored).size, stored.length);
    } finally {
      await store.close();
    }
    assert.doesNotMatch(server.stdout(), new RegExp(session.sessionToken.split('.')[2]!), 'tokens never reach the log');
  });
});
