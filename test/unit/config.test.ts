import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, describe, test } from 'node:test';
import { ConfigError, loadConfig, type Config } from '../../src/config.js';

const SECRET = 'config-test-secret-0123456789-abcdefghijklmnop';
const dirs: string[] = [];
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'livechat-config-'));
  dirs.push(dir);
  return dir;
}

/** loadConfig with a temporary data folder and a secret, plus `env`. */
function load(env: Record<string, string | undefined> = {}): Config {
  return loadConfig({ LIVECHAT_DATA_DIR: tempDir(), LIVECHAT_JWT_SECRET: SECRET, ...env });
}

/** Asserts that loading throws a ConfigError naming `variable` first. */
function assertRefused(env: Record<string, string | undefined>, variable: string) {
  assert.throws(
    () => load(env),
    (error: unknown) => {
      assert.ok(error instanceof ConfigError, `expected ConfigError, got ${String(error)}`);
      assert.equal(error.variable, variable);
      assert.ok(error.message.startsWith(`${variable}:`), error.message);
      assert.doesNotMatch(error.message, /\n/);
      return true;
    },
  );
}

describe('loadConfig', () => {
  describe('defaults', () => {
    test('an empty environment gives the contract defaults', () => {
      const dataDir = tempDir();
      const config = loadConfig({ LIVECHAT_DATA_DIR: dataDir });
      assert.equal(config.env, 'development');
      assert.equal(config.port, 3000);
      assert.equal(config.host, '0.0.0.0');
      assert.equal(config.dataDir, dataDir);
      assert.deepEqual(config.database, { kind: 'sqlite', path: join(dataDir, 'livechat.sqlite') });
      assert.equal(config.redisUrl, undefined);
      assert.equal(config.sessionTtlSeconds, 7200);
      assert.equal(config.adminTokenTtlSeconds, 12 * 3600);
      assert.equal(config.bootstrapAdmin, undefined);
      assert.equal(config.allowedOrigins, undefined);
      assert.equal(config.rateLimit.listenerMessages, 10);
      assert.equal(config.rateLimit.windowSeconds, 10);
      assert.equal(config.rateLimit.broadcasterMessages, 60);
      assert.equal(config.rateLimit.abuseThreshold, 10);
      assert.equal(config.rateLimit.sessionCreatePerMinute, 60);
      assert.equal(config.rateLimit.loginFailures, 5);
      assert.equal(config.maxConnectionsPerSession, 5);
      assert.equal(config.maxConnectionsPerIp, 0);
      assert.equal(config.trustProxy, false);
      assert.equal(config.heartbeatIntervalMs, 30_000);
      assert.equal(config.maxBufferedBytes, 1024 * 1024);
      assert.equal(config.typingThrottleMs, 1000);
      assert.equal(config.shutdownTimeoutMs, 10_000);
      assert.equal(config.metricsToken, undefined);
      assert.equal(config.logLevel, 'info');
      assert.equal(config.workers, 1);
      assert.equal(config.sqliteSynchronous, 'FULL');
      assert.ok(config.warnings.some((w) => w.includes('LIVECHAT_JWT_SECRET')));
      assert.ok(config.warnings.some((w) => w.includes('LIVECHAT_ALLOWED_ORIGINS')));
    });

    test('relative data folder is resolved against the working directory', () => {
      const config = loadConfig({ LIVECHAT_DATA_DIR: 'some/relative', LIVECHAT_JWT_SECRET: SECRET });
      assert.equal(config.dataDir, resolve('some/relative'));
      assert.equal(existsSync(resolve('some/relative')), false, 'nothing written with an explicit secret');
    });

    test('blank values count as unset', () => {
      const config = load({ PORT: '  ', HOST: '', LIVECHAT_SESSION_TTL_SECONDS: ' ', REDIS_URL: '' });
      assert.equal(config.port, 3000);
      assert.equal(config.host, '0.0.0.0');
      assert.equal(config.sessionTtlSeconds, 7200);
      assert.equal(config.redisUrl, undefined);
    });

    test('NODE_ENV=test: silent logs by default', () => {
      const config = load({ NODE_ENV: 'test' });
      assert.equal(config.env, 'test');
      assert.equal(config.logLevel, 'silent');
    });
  });

  describe('JWT secret', () => {
    test('development: generated once with mode 0600, then reused', () => {
      const dataDir = join(tempDir(), 'nested', 'data');
      const first = loadConfig({ LIVECHAT_DATA_DIR: dataDir });
      const file = join(dataDir, 'jwt-secret');
      assert.ok(existsSync(file));
      assert.equal(statSync(file).mode & 0o777, 0o600);
      assert.ok(Buffer.byteLength(first.jwtSecret) >= 32);
      assert.equal(readFileSync(file, 'utf8').trim(), first.jwtSecret);
      const second = loadConfig({ LIVECHAT_DATA_DIR: dataDir });
      assert.equal(second.jwtSecret, first.jwtSecret);
      const other = loadConfig({ LIVECHAT_DATA_DIR: tempDir() });
      assert.notEqual(other.jwtSecret, first.jwtSecret, 'each data folder has its own');
    });

    test('development: a stored secret that is too short is replaced', () => {
      const dataDir = tempDir();
      const file = join(dataDir, 'jwt-secret');
      writeFileSync(file, 'short\n', { mode: 0o644 });
      const config = loadConfig({ LIVECHAT_DATA_DIR: dataDir });
      assert.ok(Buffer.byteLength(config.jwtSecret) >= 32);
      assert.equal(readFileSync(file, 'utf8').trim(), config.jwtSecret);
      assert.equal(statSync(file).mode & 0o777, 0o600);
    });

    test('explicit secret is used and nothing is written', () => {
      const dataDir = tempDir();
      const config = loadConfig({ LIVECHAT_DATA_DIR: dataDir, LIVECHAT_JWT_SECRET: SECRET });
      assert.equal(config.jwtSecret, SECRET);
      assert.equal(existsSync(join(dataDir, 'jwt-secret')), false);
      assert.ok(!config.warnings.some((w) => w.includes('LIVECHAT_JWT_SECRET')));
    });

    test('production without a secret refuses to start (and writes nothing)', () => {
      const dataDir = tempDir();
      assert.throws(
        () => loadConfig({ NODE_ENV: 'production', LIVECHAT_DATA_DIR: dataDir }),
        (error: unknown) => error instanceof ConfigError && error.message.startsWith('LIVECHAT_JWT_SECRET:'),
      );
      assert.equal(existsSync(join(dataDir, 'jwt-secret')), false);
      assertRefused({ NODE_ENV: 'production', LIVECHAT_JWT_SECRET: '   ' }, 'LIVECHAT_JWT_SECRET');
    });

    test('production with a secret starts', () => {
      const config = load({ NODE_ENV: 'production' });
      assert.equal(config.env, 'production');
      assert.equal(config.jwtSecret, SECRET);
    });

    test('a secret shorter than 32 bytes is refused, in any mode', () => {
      assertRefused({ LIVECHAT_JWT_SECRET: 'x'.repeat(31) }, 'LIVECHAT_JWT_SECRET');
      assertRefused({ LIVECHAT_JWT_SECRET: 'too-short', NODE_ENV: 'production' }, 'LIVECHAT_JWT_SECRET');
      assert.equal(load({ LIVECHAT_JWT_SECRET: 'x'.repeat(32) }).jwtSecret, 'x'.repeat(32));
    });

    test('the length is counted in bytes', () => {
      // 16 two-byte characters = 32 bytes.
      assert.equal(load({ LIVECHAT_JWT_SECRET: 'é'.repeat(16) }).jwtSecret, 'é'.repeat(16));
    });
  });

  describe('every contract variable is parsed', () => {
    test('values are taken over', () => {
      const config = load({
        PORT: '8080',
        HOST: '127.0.0.1',
        DATABASE_URL: 'postgres://chat:pw@db.internal:5432/livechat',
        REDIS_URL: 'redis://cache:6379/0',
        LIVECHAT_SESSION_TTL_SECONDS: '3600',
        LIVECHAT_ADMIN_TOKEN_TTL_SECONDS: '600',
        LIVECHAT_ADMIN_USERNAME: 'rina',
        LIVECHAT_ADMIN_PASSWORD: ' kata sandi panjang ',
        LIVECHAT_ADMIN_NAME: 'Mbak Rina',
        LIVECHAT_ALLOWED_ORIGINS: 'https://radio.example',
        LIVECHAT_RATE_LIMIT_MESSAGES: '20',
        LIVECHAT_RATE_LIMIT_WINDOW_SECONDS: '30',
        LIVECHAT_ADMIN_RATE_LIMIT_MESSAGES: '500',
        LIVECHAT_SESSION_CREATE_LIMIT_PER_MINUTE: '0',
        LIVECHAT_LOGIN_FAILURE_LIMIT: '3',
        LIVECHAT_MAX_CONNECTIONS_PER_SESSION: '2',
        LIVECHAT_MAX_CONNECTIONS_PER_IP: '100',
        LIVECHAT_TRUST_PROXY: 'loopback',
        LIVECHAT_HEARTBEAT_INTERVAL_MS: '5000',
        LIVECHAT_MAX_BUFFERED_BYTES: '65536',
        LIVECHAT_TYPING_THROTTLE_MS: '250',
        LIVECHAT_SHUTDOWN_TIMEOUT_MS: '0',
        LIVECHAT_METRICS_TOKEN: 'metrics-token',
        LIVECHAT_LOG_LEVEL: 'debug',
        LIVECHAT_WORKERS: '4',
        LIVECHAT_SQLITE_SYNCHRONOUS: 'normal',
      });
      assert.equal(config.port, 8080);
      assert.equal(config.host, '127.0.0.1');
      assert.deepEqual(config.database, { kind: 'postgres', url: 'postgres://chat:pw@db.internal:5432/livechat' });
      assert.equal(config.redisUrl, 'redis://cache:6379/0');
      assert.equal(config.sessionTtlSeconds, 3600);
      assert.equal(config.adminTokenTtlSeconds, 600);
      // The password is taken verbatim (not trimmed).
      assert.deepEqual(config.bootstrapAdmin, {
        username: 'rina',
        password: ' kata sandi panjang ',
        name: 'Mbak Rina',
      });
      assert.deepEqual(config.allowedOrigins, ['https://radio.example']);
      assert.equal(config.rateLimit.listenerMessages, 20);
      assert.equal(config.rateLimit.windowSeconds, 30);
      assert.equal(config.rateLimit.broadcasterMessages, 500);
      assert.equal(config.rateLimit.sessionCreatePerMinute, 0);
      assert.equal(config.rateLimit.loginFailures, 3);
      assert.equal(config.maxConnectionsPerSession, 2);
      assert.equal(config.maxConnectionsPerIp, 100);
      assert.deepEqual(config.trustProxy, ['loopback']);
      assert.equal(config.heartbeatIntervalMs, 5000);
      assert.equal(config.maxBufferedBytes, 65536);
      assert.equal(config.typingThrottleMs, 250);
      assert.equal(config.shutdownTimeoutMs, 0);
      assert.equal(config.metricsToken, 'metrics-token');
      assert.equal(config.logLevel, 'debug');
      assert.equal(config.workers, 4);
      assert.equal(config.sqliteSynchronous, 'NORMAL');
      assert.deepEqual(config.warnings, []);
    });

    test('surrounding whitespace is ignored in numbers', () => {
      assert.equal(load({ PORT: ' 8081 ' }).port, 8081);
    });

    test('broadcaster limit defaults to six times the listener limit, at least 60', () => {
      assert.equal(load({ LIVECHAT_RATE_LIMIT_MESSAGES: '5' }).rateLimit.broadcasterMessages, 60);
      assert.equal(load({ LIVECHAT_RATE_LIMIT_MESSAGES: '20' }).rateLimit.broadcasterMessages, 120);
    });

    test('bootstrap admin only when all three are set, with a warning otherwise', () => {
      const partial = load({ LIVECHAT_ADMIN_USERNAME: 'rina', LIVECHAT_ADMIN_PASSWORD: 'kata-sandi-panjang' });
      assert.equal(partial.bootstrapAdmin, undefined);
      assert.ok(partial.warnings.some((w) => w.includes('LIVECHAT_ADMIN_NAME')));
      const emptyPassword = load({
        LIVECHAT_ADMIN_USERNAME: 'rina',
        LIVECHAT_ADMIN_PASSWORD: '',
        LIVECHAT_ADMIN_NAME: 'R',
      });
      assert.equal(emptyPassword.bootstrapAdmin, undefined);
      assertRefused(
        { LIVECHAT_ADMIN_USERNAME: 'rina', LIVECHAT_ADMIN_PASSWORD: 'pendek', LIVECHAT_ADMIN_NAME: 'Mbak Rina' },
        'LIVECHAT_ADMIN_PASSWORD',
      );
    });

    test('boundaries are accepted', () => {
      assert.equal(load({ PORT: '0' }).port, 0);
      assert.equal(load({ PORT: '65535' }).port, 65535);
      assert.equal(load({ LIVECHAT_SESSION_TTL_SECONDS: '60' }).sessionTtlSeconds, 60);
      assert.equal(load({ LIVECHAT_MAX_CONNECTIONS_PER_IP: '0' }).maxConnectionsPerIp, 0);
      assert.equal(load({ LIVECHAT_RATE_LIMIT_WINDOW_SECONDS: '86400' }).rateLimit.windowSeconds, 86400);
    });
  });

  describe('a bad number throws a ConfigError naming the variable', () => {
    const notNumbers = ['abc', '1.5', '1e3', '0x10', '+5', '10 messages', '١٢'];
    const numeric: Array<[variable: string, outOfRange: string[]]> = [
      ['PORT', ['-1', '65536', '99999999999999999999']],
      ['LIVECHAT_SESSION_TTL_SECONDS', ['59', '0', '-1', String(365 * 24 * 3600 + 1)]],
      ['LIVECHAT_ADMIN_TOKEN_TTL_SECONDS', ['59', String(30 * 24 * 3600 + 1)]],
      ['LIVECHAT_RATE_LIMIT_MESSAGES', ['0', '-3']],
      ['LIVECHAT_ADMIN_RATE_LIMIT_MESSAGES', ['0']],
      ['LIVECHAT_RATE_LIMIT_WINDOW_SECONDS', ['0', '86401']],
      ['LIVECHAT_SESSION_CREATE_LIMIT_PER_MINUTE', ['-1']],
      ['LIVECHAT_LOGIN_FAILURE_LIMIT', ['0']],
      ['LIVECHAT_MAX_CONNECTIONS_PER_SESSION', ['0', '-1']],
      ['LIVECHAT_MAX_CONNECTIONS_PER_IP', ['-1']],
      ['LIVECHAT_HEARTBEAT_INTERVAL_MS', ['99', '0']],
      ['LIVECHAT_MAX_BUFFERED_BYTES', ['16383']],
      ['LIVECHAT_TYPING_THROTTLE_MS', ['-1']],
      ['LIVECHAT_SHUTDOWN_TIMEOUT_MS', ['-1']],
      ['LIVECHAT_WORKERS', ['0', '257']],
    ];
    for (const [variable, outOfRange] of numeric) {
      test(variable, () => {
        // With REDIS_URL so that LIVECHAT_WORKERS values are judged on their own.
        for (const value of [...notNumbers, ...outOfRange]) {
          assertRefused({ [variable]: value, REDIS_URL: 'redis://localhost:6379' }, variable);
        }
      });
    }
  });

  describe('DATABASE_URL', () => {
    test('postgres:// and postgresql:// select PostgreSQL, URL kept as is', () => {
      for (const url of [
        'postgres://u:p@localhost:5432/chat',
        'postgresql://u:p@localhost/chat?sslmode=require',
        'POSTGRES://u@host/db',
      ]) {
        assert.deepEqual(load({ DATABASE_URL: url }).database, { kind: 'postgres', url });
      }
    });

    test('sqlite:PATH, a plain path and sqlite::memory:', () => {
      const dir = tempDir();
      assert.deepEqual(load({ DATABASE_URL: `sqlite:${dir}/chat.db` }).database, {
        kind: 'sqlite',
        path: `${dir}/chat.db`,
      });
      assert.deepEqual(load({ DATABASE_URL: `${dir}/plain.db` }).database, { kind: 'sqlite', path: `${dir}/plain.db` });
      assert.deepEqual(load({ DATABASE_URL: 'sqlite:rel/chat.db' }).database, {
        kind: 'sqlite',
        path: resolve('rel/chat.db'),
      });
      assert.deepEqual(load({ DATABASE_URL: 'chat.db' }).database, { kind: 'sqlite', path: resolve('chat.db') });
      assert.deepEqual(load({ DATABASE_URL: 'sqlite::memory:' }).database, { kind: 'sqlite', path: ':memory:' });
      assert.deepEqual(load({ DATABASE_URL: ':memory:' }).database, { kind: 'sqlite', path: ':memory:' });
    });

    test('unsupported forms are refused', () => {
      assertRefused({ DATABASE_URL: 'sqlite:' }, 'DATABASE_URL');
      assertRefused({ DATABASE_URL: 'mysql://u:p@localhost/chat' }, 'DATABASE_URL');
      assertRefused({ DATABASE_URL: 'sqlite:http://example.com/db' }, 'DATABASE_URL');
      assertRefused({ DATABASE_URL: 'postgres://[broken' }, 'DATABASE_URL');
    });
  });

  describe('REDIS_URL', () => {
    test('redis:// and rediss://', () => {
      assert.equal(load({ REDIS_URL: 'redis://localhost:6379' }).redisUrl, 'redis://localhost:6379');
      assert.equal(load({ REDIS_URL: 'rediss://u:p@cache:6380/1' }).redisUrl, 'rediss://u:p@cache:6380/1');
    });

    test('anything else is refused', () => {
      assertRefused({ REDIS_URL: 'localhost:6379' }, 'REDIS_URL');
      assertRefused({ REDIS_URL: 'http://localhost:6379' }, 'REDIS_URL');
    });
  });

  describe('LIVECHAT_ALLOWED_ORIGINS', () => {
    test('comma-separated, trimmed, empty items and trailing slashes dropped', () => {
      const config = load({
        LIVECHAT_ALLOWED_ORIGINS: ' https://radio.example , http://localhost:5173/,,https://dashboard.radio.example ',
      });
      assert.deepEqual(config.allowedOrigins, [
        'https://radio.example',
        'http://localhost:5173',
        'https://dashboard.radio.example',
      ]);
      assert.ok(!config.warnings.some((w) => w.includes('LIVECHAT_ALLOWED_ORIGINS')));
    });

    test('unset means any origin, with a warning', () => {
      const config = load({ LIVECHAT_ALLOWED_ORIGINS: '' });
      assert.equal(config.allowedOrigins, undefined);
      assert.ok(config.warnings.some((w) => w.includes('LIVECHAT_ALLOWED_ORIGINS')));
    });

    test('things that are not origins are refused', () => {
      for (const value of [
        'radio.example',
        'https://radio.example/chat',
        'https://radio.example?x=1',
        '*',
        'https://ok.example,nope',
      ]) {
        assertRefused({ LIVECHAT_ALLOWED_ORIGINS: value }, 'LIVECHAT_ALLOWED_ORIGINS');
      }
    });
  });

  describe('LIVECHAT_TRUST_PROXY', () => {
    const forms: Array<[string | undefined, Config['trustProxy']]> = [
      [undefined, false],
      ['', false],
      ['false', false],
      ['true', true],
      ['1', 1],
      ['2', 2],
      ['loopback', ['loopback']],
      ['loopback, 10.0.0.0/8 ,uniquelocal', ['loopback', '10.0.0.0/8', 'uniquelocal']],
      ['192.168.1.1', ['192.168.1.1']],
    ];
    for (const [raw, expected] of forms) {
      test(`${JSON.stringify(raw)}`, () => {
        assert.deepEqual(load({ LIVECHAT_TRUST_PROXY: raw }).trustProxy, expected);
      });
    }

    test('a list of only commas is refused', () => {
      assertRefused({ LIVECHAT_TRUST_PROXY: ', ,' }, 'LIVECHAT_TRUST_PROXY');
    });
  });

  describe('other settings', () => {
    test('log level and SQLite synchronous are checked', () => {
      assertRefused({ LIVECHAT_LOG_LEVEL: 'verbose' }, 'LIVECHAT_LOG_LEVEL');
      assertRefused({ LIVECHAT_SQLITE_SYNCHRONOUS: 'OFF' }, 'LIVECHAT_SQLITE_SYNCHRONOUS');
      assert.equal(load({ LIVECHAT_SQLITE_SYNCHRONOUS: 'full' }).sqliteSynchronous, 'FULL');
    });

    test('LIVECHAT_WORKERS > 1 without REDIS_URL is refused', () => {
      assertRefused({ LIVECHAT_WORKERS: '2' }, 'LIVECHAT_WORKERS');
      assert.equal(load({ LIVECHAT_WORKERS: '1' }).workers, 1);
      assert.equal(load({ LIVECHAT_WORKERS: '2', REDIS_URL: 'redis://localhost:6379' }).workers, 2);
    });
  });

  test('the returned object is deeply frozen', () => {
    const config = load({
      LIVECHAT_ALLOWED_ORIGINS: 'https://radio.example',
      LIVECHAT_TRUST_PROXY: 'loopback',
      LIVECHAT_ADMIN_USERNAME: 'rina',
      LIVECHAT_ADMIN_PASSWORD: 'kata-sandi-panjang',
      LIVECHAT_ADMIN_NAME: 'Mbak Rina',
    });
    const check = (value: unknown, path: string) => {
      if (value === null || typeof value !== 'object') return;
      assert.ok(Object.isFrozen(value), `${path} is frozen`);
      for (const [key, child] of Object.entries(value)) check(child, `${path}.${key}`);
    };
    check(config, 'config');
    assert.throws(() => {
      (config as { port: number }).port = 1;
    }, TypeError);
    assert.throws(() => {
      (config.rateLimit as { listenerMessages: number }).listenerMessages = 1;
    }, TypeError);
    assert.throws(() => {
      (config.allowedOrigins as string[]).push('https://evil.example');
    }, TypeError);
    assert.throws(() => {
      (config.warnings as string[]).push('x');
    }, TypeError);
    assert.throws(() => {
      (config.database as { path: string }).path = '/tmp/other';
    }, TypeError);
    assert.equal(config.port, 3000);
  });
});

describe('live show settings', () => {
  test('LIVECHAT_REQUESTS_PER_HOUR: 3 by default, a whole number from 1', () => {
    assert.equal(load().requestsPerHour, 3);
    assert.equal(load({ LIVECHAT_REQUESTS_PER_HOUR: '5' }).requestsPerHour, 5);
    assertRefused({ LIVECHAT_REQUESTS_PER_HOUR: '0' }, 'LIVECHAT_REQUESTS_PER_HOUR');
    assertRefused({ LIVECHAT_REQUESTS_PER_HOUR: 'tiga' }, 'LIVECHAT_REQUESTS_PER_HOUR');
  });

  test('LIVECHAT_ONAIR_KEY: unset by default; long and URL-safe when set', () => {
    assert.equal(load().onairKey, undefined);
    const key = 'Zx8-studio_key-0123456789abcd';
    assert.equal(load({ LIVECHAT_ONAIR_KEY: key }).onairKey, key);
    assertRefused({ LIVECHAT_ONAIR_KEY: 'short-key' }, 'LIVECHAT_ONAIR_KEY');
    assertRefused({ LIVECHAT_ONAIR_KEY: 'a key with spaces and more than 24 chars' }, 'LIVECHAT_ONAIR_KEY');
    assertRefused({ LIVECHAT_ONAIR_KEY: 'key&other=0123456789abcdefgh' }, 'LIVECHAT_ONAIR_KEY');
  });
});
