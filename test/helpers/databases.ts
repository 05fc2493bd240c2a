/**
 * Real databases for tests. Every suite that touches storage loops over
 * `dialects`; PostgreSQL gets a fresh database per call so files never share
 * state. When PostgreSQL is unreachable the test fails loudly: it never skips.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { DatabaseConfig } from '../../src/config.js';

export const dialects = ['sqlite', 'postgres'] as const;
export type Dialect = (typeof dialects)[number];

export const postgresAdminUrl = process.env['LIVECHAT_TEST_POSTGRES_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface TestDatabase {
  dialect: Dialect;
  /** Value for DATABASE_URL. */
  url: string;
  drop(): Promise<void>;
}

async function adminQuery(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: postgresAdminUrl, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
  } catch (error) {
    throw new Error(
      `PostgreSQL is required for this test and is not reachable at ${postgresAdminUrl}: ${(error as Error).message}`,
      { cause: error },
    );
  }
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

export async function createTestDatabase(dialect: Dialect): Promise<TestDatabase> {
  if (dialect === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'livechat-test-'));
    return {
      dialect,
      url: `sqlite:${join(dir, 'livechat.sqlite')}`,
      drop: async () => rmSync(dir, { recursive: true, force: true }),
    };
  }
  const name = `livechat_test_${randomBytes(6).toString('hex')}`;
  await adminQuery(`CREATE DATABASE ${name}`);
  const url = new URL(postgresAdminUrl);
  url.pathname = `/${name}`;
  return {
    dialect,
    url: url.toString(),
    drop: () => adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
  };
}

/** The store's database setting for a test database (DATABASE_URL as the config reads it). */
export function databaseConfig(database: Pick<TestDatabase, 'url'>): DatabaseConfig {
  return database.url.startsWith('sqlite:')
    ? { kind: 'sqlite', path: database.url.slice('sqlite:'.length) }
    : { kind: 'postgres', url: database.url };
}
