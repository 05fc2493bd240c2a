/**
 * Set-up and tear-down of real servers for a `describe` block: `withServer`
 * starts one on port 0 in a `before` hook and stops it in an `after` hook;
 * `withInstances` does the same for several instances sharing one PostgreSQL
 * database and one Redis prefix. Both return handles at once, usable from the
 * tests and from hooks registered after them:
 *
 * ```ts
 * for (const { dialect, broker } of matrix()) {
 *   describe(`… on ${dialect} with the ${broker} broker`, () => {
 *     const server = withServer({ dialect, broker });
 *     test('…', async () => { await createSession(server); });
 *   });
 * }
 * ```
 */
import { Writable } from 'node:stream';
import { after, before } from 'node:test';
import type { Logger } from 'pino';
import { createLogger } from '../../src/logger.js';
import { startInstances, startTestServer, type TestServer, type TestServerOptions } from './server.js';

/** A {@link TestServer} whose fields read the server started by the hook, once it has started. */
class ServerHandle implements TestServer {
  constructor(
    private readonly started: () => TestServer | undefined,
    private readonly name: string,
  ) {}

  private get current(): TestServer {
    const server = this.started();
    if (!server) throw new Error(`${this.name} is not started: use it in a test or in a hook registered after it`);
    return server;
  }
  get baseUrl() {
    return this.current.baseUrl;
  }
  get wsUrl() {
    return this.current.wsUrl;
  }
  get port() {
    return this.current.port;
  }
  get admin() {
    return this.current.admin;
  }
  get server() {
    return this.current.server;
  }
  stop() {
    return this.current.stop();
  }
  restart() {
    return this.current.restart();
  }
}

/** One server for the enclosing `describe`, over the given dialect and broker (default: SQLite, memory). */
export function withServer(options: TestServerOptions = {}): TestServer {
  let server: TestServer | undefined;
  before(async () => {
    server = await startTestServer(options);
  });
  after(async () => {
    await server?.stop();
  });
  return new ServerHandle(() => server, 'the test server');
}

/** `count` instances on PostgreSQL and the Redis broker, sharing their data, for the enclosing `describe`. */
export function withInstances(count: number, options: Parameters<typeof startInstances>[1] = {}): TestServer[] {
  let instances: Awaited<ReturnType<typeof startInstances>> | undefined;
  before(async () => {
    instances = await startInstances(count, options);
  });
  after(async () => {
    await instances?.stop();
  });
  return Array.from({ length: count }, (_, i) => new ServerHandle(() => instances?.servers[i], `test instance ${i}`));
}

/** A logger at the most verbose level whose every line lands in `lines` (log-content tests). */
export function captureLogs(): { lines: string[]; logger: Logger } {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, callback) {
      lines.push(...chunk.toString().split('\n').filter(Boolean));
      callback();
    },
  });
  return { lines, logger: createLogger({ logLevel: 'trace', env: 'test' }, sink) };
}
