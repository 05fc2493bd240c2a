/**
 * The test preflight (scripts/preflight.ts): what it does for a program or service
 * that is present, missing as root, missing as another user, or installed but stopped.
 * Every probe is a fake: nothing is installed or started.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decide, failureLine, neededBy, preflight, requirements, type Decision } from '../../scripts/preflight.js';

type ServiceState = { state: 'answers' | 'refuses' | 'down'; detail?: string };

interface Machine {
  root?: boolean;
  /** Executable paths. */
  files?: string[];
  postgresVersions?: string[];
  /** Successive answers of each service (the last one repeats). */
  postgres?: ServiceState['state'][];
  redis?: ServiceState['state'][];
  /** Paths that appear once apt-get install has run. */
  installs?: string[];
  /** Commands that fail. */
  failing?: string[];
}

const everything = ['/usr/bin/chromium', '/usr/sbin/nginx', '/usr/bin/redis-server'];

/** A fake machine; `commands` records what the preflight ran, `logged` what it printed. */
function fakeMachine(machine: Machine) {
  const files = new Set(machine.files ?? everything);
  const answers = { postgres: [...(machine.postgres ?? ['answers'])], redis: [...(machine.redis ?? ['answers'])] };
  const commands: string[] = [];
  const logged: string[] = [];
  const next = (name: 'postgres' | 'redis'): ServiceState => {
    const list = answers[name];
    const state = (list.length > 1 ? list.shift() : list[0])!;
    return { state, detail: state === 'refuses' ? 'database "test" does not exist' : 'ECONNREFUSED' };
  };
  const probes = {
    isRoot: () => machine.root ?? false,
    isExecutable: (path: string) => files.has(path),
    pathDirs: () => ['/usr/bin', '/bin'],
    postgresVersions: () => machine.postgresVersions ?? ['15'],
    postgresState: async () => next('postgres'),
    redisState: async () => next('redis'),
    run: (command: string, args: string[]) => {
      const line = [command, ...args].join(' ');
      commands.push(line);
      if (machine.failing?.some((f) => line.startsWith(f))) return false;
      if (line.startsWith('apt-get install')) for (const path of machine.installs ?? []) files.add(path);
      return true;
    },
    sleep: async () => undefined,
    log: (line: string) => logged.push(line),
  };
  return { probes, commands, logged };
}

/** The decision, which must be a failure. */
function failure(decision: Decision) {
  assert.equal(decision.action, 'fail');
  return decision;
}

const run = (suites: string[], machine: Machine, env: Record<string, string> = {}) => {
  const fake = fakeMachine(machine);
  return preflight(suites, { env, probes: fake.probes, waitMs: 5000 }).then((line) => ({ line, ...fake }));
};

describe('which suites need what', () => {
  test('the unit suite needs nothing, so nothing is probed', async () => {
    assert.deepEqual(neededBy(['unit']), []);
    const { line, commands } = await run(['unit'], { files: [], postgres: ['down'], redis: ['down'] });
    assert.equal(line, undefined);
    assert.deepEqual(commands, []);
  });

  test('each suite needs only its own prerequisites; an unknown suite needs all', () => {
    assert.deepEqual(neededBy(['e2e']), ['chromium']);
    assert.deepEqual(neededBy(['cluster']), ['nginx', 'redis-server', 'postgres', 'redis']);
    assert.deepEqual(neededBy(['reliability', 'unit']), ['postgres', 'redis']);
    assert.deepEqual(neededBy(['new-suite']), ['chromium', 'nginx', 'redis-server', 'postgres', 'redis']);
  });
});

describe('decide', () => {
  const reqs = requirements({});

  test('present: nothing to do', () => {
    assert.deepEqual(decide(reqs.chromium, 'present', { root: false }), { action: 'none' });
    assert.deepEqual(decide(reqs.postgres, 'answers', { root: false }), { action: 'none' });
  });

  test('a missing program is installed as root, and named with its package otherwise', () => {
    assert.deepEqual(decide(reqs.nginx, 'missing', { root: true }), { action: 'install' });
    const refused = failure(decide(reqs.nginx, 'missing', { root: false }));
    assert.equal(refused.install, 'nginx-light');
    assert.match(refused.missing, /nginx.*LIVECHAT_TEST_NGINX/);
  });

  test('a program the environment names is never installed over', () => {
    const chromium = requirements({ LIVECHAT_TEST_CHROMIUM: '/opt/chrome' }).chromium;
    const refused = failure(decide(chromium, 'missing', { root: true }));
    assert.equal(refused.install, undefined);
    assert.match(refused.missing, /LIVECHAT_TEST_CHROMIUM=\/opt\/chrome/);
  });

  test('a service installed but stopped is started, as root or not', () => {
    assert.deepEqual(decide(reqs.redis, 'stopped', { root: true }), { action: 'start' });
    assert.deepEqual(decide(reqs.postgres, 'stopped', { root: false }), { action: 'start' });
  });

  test('a service that is not installed is named with its package', () => {
    assert.equal(failure(decide(reqs.postgres, 'missing', { root: true })).install, 'postgresql');
  });

  test('a service elsewhere (its URL set) or refusing us is never started', () => {
    const elsewhere = requirements({ LIVECHAT_TEST_REDIS_URL: 'redis://cache:6379' }).redis;
    assert.match(
      failure(decide(elsewhere, 'stopped', { root: true })).missing,
      /redis:\/\/cache:6379.*does not answer/,
    );
    const refused = failure(decide(reqs.postgres, 'refuses', { root: true, detail: 'password authentication failed' }));
    assert.match(refused.missing, /refused us: password authentication failed/);
  });

  test('the failure line is one line with one install command', () => {
    const failures = [
      failure(decide(reqs.chromium, 'missing', { root: false })),
      failure(decide(reqs.redis, 'missing', { root: false })),
    ];
    const line = failureLine(failures, { root: false });
    assert.doesNotMatch(line, /\n/);
    assert.match(line, /Chromium .*Redis at redis:\/\/127\.0\.0\.1:6379 \(not installed\)/);
    assert.match(line, /install with: sudo apt-get install -y chromium redis-server$/);
  });
});

describe('preflight on a machine', () => {
  test('everything present and answering: nothing is run', async () => {
    const { line, commands } = await run(['integration', 'cluster', 'e2e'], {});
    assert.equal(line, undefined);
    assert.deepEqual(commands, []);
  });

  test('missing programs as root: one apt-get update and install, then it passes', async () => {
    const { line, commands } = await run(['cluster', 'e2e'], {
      root: true,
      files: ['/usr/bin/redis-server'],
      installs: ['/usr/bin/chromium', '/usr/sbin/nginx'],
    });
    assert.equal(line, undefined);
    assert.deepEqual(commands, ['apt-get update -qq', 'apt-get install -y -qq chromium nginx-light']);
  });

  test('an install that does not bring the program: one line naming it', async () => {
    const { line } = await run(['e2e'], { root: true, files: [], failing: ['apt-get install'] });
    assert.match(line ?? '', /^npm test needs what is not here: Chromium .*apt-get install -y chromium$/);
  });

  test('missing programs as another user: nothing is run, one line with the command', async () => {
    const { line, commands } = await run(['cluster', 'e2e'], { root: false, files: ['/usr/bin/redis-server'] });
    assert.deepEqual(commands, []);
    assert.match(line ?? '', /Chromium .*, nginx .*; install with: sudo apt-get install -y chromium nginx-light$/);
  });

  test('PostgreSQL and Redis installed but stopped: started, then waited for', async () => {
    const { line, commands, logged } = await run(['integration'], {
      postgres: ['down', 'down', 'down', 'answers'],
      redis: ['down', 'answers'],
    });
    assert.equal(line, undefined);
    assert.deepEqual(commands, [
      'pg_ctlcluster --skip-systemctl-redirect 15 main start',
      'redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save  --appendonly no',
    ]);
    assert.equal(logged.length, 2);
  });

  test('a started service that never answers: one line naming the start command', async () => {
    const { line } = await run(['reliability'], { redis: ['down'] });
    assert.match(line ?? '', /Redis at redis:\/\/127\.0\.0\.1:6379 \(installed, but `redis-server --daemonize yes/);
  });

  test('PostgreSQL not installed: not started, one line with its package', async () => {
    const { line, commands } = await run(['bench'], { postgres: ['down'], postgresVersions: [] });
    assert.deepEqual(commands, []);
    assert.match(line ?? '', /PostgreSQL at postgres:\/\/postgres@127\.0\.0\.1:5432\/test \(not installed\)/);
    assert.match(line ?? '', /apt-get install -y postgresql$/);
  });
});
