/**
 * The test Redis: connect (failing loudly when it is not reachable, never
 * skipping) and delete what a test wrote under its own key prefix.
 */
import { Redis } from 'ioredis';
import { testRedisUrl } from './server.js';

/** Connects to Redis once; throws a clear error when it is not reachable. */
export async function connectRedis(url: string = testRedisUrl): Promise<Redis> {
  const client = new Redis(url, {
    lazyConnect: true,
    retryStrategy: () => null,
    connectTimeout: 2000,
    maxRetriesPerRequest: 0,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.ping();
  } catch (error) {
    client.disconnect();
    throw new Error(`Redis is required for this test and is not reachable at ${url}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  return client;
}

/** Deletes every key under `prefix`. */
export async function dropRedisPrefix(url: string, prefix: string): Promise<void> {
  const client = await connectRedis(url);
  try {
    let cursor = '0';
    let rounds = 0;
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      cursor = next;
      if (keys.length > 0) await client.del(...keys);
    } while (cursor !== '0' && ++rounds < 10_000);
  } finally {
    client.disconnect();
  }
}
