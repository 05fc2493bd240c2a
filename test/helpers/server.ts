/**
 * A real server for tests: in this process, on port 0, over a fresh database
 * of the chosen dialect and the chosen broker. `restart()` brings it back on
 * the same port with the same data.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { loadConfig } from '../../src/config.js';
import { startServer, type LivechatServer } from '../../src/server.js';
import { createTestDatabase, dialects, type Dialect } from './databases.js';

export const brokers = ['memory', 'redis'] as const;
export type BrokerKind = (typeof brokers)[number];
export const testRedisUrl = process.env['LIVECHAT_TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379';
export const TEST_JWT_SECRET = 'test-secret-that-is-long-enough-for-hs256-0123456789';

export interface TestServer {
  baseUrl: string;
  wsUrl: string;
  port: number;
  admin: { username: string; password: string; name: string };
  /** The running instance (replaced by restart()). */
  server: LivechatServer;
  stop(): Promise<void>;
  restart(): Promise<void>;
}

export interface TestServerOptions {
  dialect?: Dialect;
  broker?: BrokerKind;
  env?: Record<string, string>;
  /** Share a database URL / Redis prefix between several servers (multi-instance tests). */
  databaseUrl?: string;
  redisPrefix?: string;
  /** Log here instead of the configured destination (log-capture tests). */
  logger?: Logger;
}

export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const database = options.databaseUrl ? undefined : await createTestDatabase(options.dialect ?? 'sqlite');
  const dataDir = mkdtempSync(join(tmpdir(), 'livechat-data-'));
  const admin = { username: 'penyiar-a', password: 'rahasia-penyiar-a', name: 'Penyiar A' };
  const env: Record<string, string> = {
    NODE_ENV: 'test',
    HOST: '127.0.0.1',
    PORT: '0',
    LIVECHAT_DATA_DIR: dataDir,
    DATABASE_URL: options.databaseUrl ?? database!.url,
    LIVECHAT_JWT_SECRET: TEST_JWT_SECRET,
    LIVECHAT_ADMIN_USERNAME: admin.username,
    LIVECHAT_ADMIN_PASSWORD: admin.password,
    LIVECHAT_ADMIN_NAME: admin.name,
    LIVECHAT_SESSION_CREATE_LIMIT_PER_MINUTE: '0',
    LIVECHAT_LOG_LEVEL: process.env['LIVECHAT_TEST_LOG_LEVEL'] ?? 'silent',
    ...((options.broker ?? 'memory') === 'redis'
      ? {
          REDIS_URL: testRedisUrl,
          LIVECHAT_REDIS_PREFIX: options.redisPrefix ?? `test:${randomBytes(4).toString('hex')}:`,
        }
      : {}),
    ...options.env,
  };
  let server = await startServer(loadConfig(env), { announce: () => undefined, logger: options.logger });
  const port = server.port;
  const result: TestServer = {
    baseUrl: `http://127.0.0.1:${port}`,
    wsUrl: `ws://127.0.0.1:${port}`,
    port,
    admin,
    server,
    async stop() {
      await server.stop();
      await database?.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
    async restart() {
      await server.stop();
      server = await startServer(loadConfig({ ...env, PORT: String(port) }), {
        announce: () => undefined,
        logger: options.logger,
      });
      result.server = server;
    },
  };
  return result;
}

/**
 * Every storage back end × broker combination an integration suite runs on.
 * LIVECHAT_TEST_DIALECT / LIVECHAT_TEST_BROKER narrow it while developing;
 * CI sets neither, so it runs them all.
 */
export function matrix(): { dialect: Dialect; broker: BrokerKind }[] {
  const only = (name: string) => process.env[name]?.split(',').filter(Boolean);
  const ds = only('LIVECHAT_TEST_DIALECT') ?? [...dialects];
  const bs = only('LIVECHAT_TEST_BROKER') ?? [...brokers];
  return ds.flatMap((dialect) => bs.map((broker) => ({ dialect: dialect as Dialect, broker: broker as BrokerKind })));
}

/**
 * Several in-process instances sharing one fresh PostgreSQL database and one
 * Redis key prefix: together they behave as one service.
 */
export async function startInstances(
  count: number,
  options: Omit<TestServerOptions, 'broker' | 'databaseUrl' | 'redisPrefix' | 'dialect'> = {},
): Promise<{ servers: TestServer[]; stop(): Promise<void> }> {
  const database = await createTestDatabase('postgres');
  const redisPrefix = `test:${randomBytes(4).toString('hex')}:`;
  const servers: TestServer[] = [];
  const stop = async () => {
    for (const server of servers) await server.stop();
    await database.drop();
  };
  try {
    for (let i = 0; i < count; i++) {
      servers.push(await startTestServer({ ...options, broker: 'redis', databaseUrl: database.url, redisPrefix }));
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { servers, stop };
}
