/**
 * The Node.js flags the service runs with are the same wherever it is started:
 * `npm start`, the systemd unit, the PM2 example and the benchmark's servers.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { SERVER_NODE_FLAGS } from '../../bench/lib/targets.js';

const root = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const read = (path: string) => readFileSync(join(root, path), 'utf8');

/** The flags between `node` and the entry script of a command line. */
function flagsOf(commandLine: string): string[] {
  const match = /\bnode((?:\s+--\S+)*)\s+\S*bin\/livechat\.js\b/.exec(commandLine);
  assert.ok(match, `no "node … bin/livechat.js" in: ${commandLine}`);
  return match[1]!.trim().split(/\s+/).filter(Boolean);
}

test('the benchmark runs its servers with at least one flag', () => {
  assert.ok(SERVER_NODE_FLAGS.length > 0);
});

test('npm start passes the same flags as the benchmark', () => {
  const { scripts } = JSON.parse(read('package.json')) as { scripts: Record<string, string> };
  assert.deepEqual(flagsOf(scripts['start']!), SERVER_NODE_FLAGS);
});

test('the systemd unit passes the same flags', () => {
  const execStart = /^ExecStart=(.*)$/m.exec(read('deploy/systemd/livechat@.service'));
  assert.ok(execStart);
  assert.deepEqual(flagsOf(execStart[1]!), SERVER_NODE_FLAGS);
});

test('the deployment guide gives the same flags to PM2 and containers', () => {
  const guide = read('docs/deploy.md');
  const nodeArgs = /node_args: '([^']*)'/.exec(guide);
  assert.ok(nodeArgs);
  assert.deepEqual(nodeArgs[1]!.split(/\s+/), SERVER_NODE_FLAGS);
  assert.ok(guide.includes(`\`node ${SERVER_NODE_FLAGS.join(' ')} bin/livechat.js start\``));
});
