/**
 * Running the server as a process: signal handling and graceful exit, and
 * cluster mode (N worker processes on one port, sharing state through Redis).
 */
import cluster from 'node:cluster';
import type { Config } from './config.js';
import { createLogger } from './logger.js';
import { startServer } from './server.js';
import { startTracing } from './tracing.js';
import { VERSION } from './version.js';

export async function runServerProcess(config: Config): Promise<void> {
  if (config.workers > 1 && cluster.isPrimary) {
    runPrimary(config);
    return;
  }
  const logger = createLogger(config);
  const tracing = startTracing(process.env, VERSION);
  if (tracing) logger.info('exporting traces over OTLP');
  const server = await startServer(config, { logger });
  let signalled = false;
  const shutdown = (signal: string) => {
    if (signalled) return;
    signalled = true;
    logger.info({ signal }, 'signal received');
    const force = setTimeout(() => {
      logger.error('shutdown took too long; exiting');
      process.exit(1);
    }, config.shutdownTimeoutMs + 5000);
    force.unref();
    server
      .stop()
      .then(() => tracing?.shutdown())
      .then(
        () => process.exit(0),
        (error: unknown) => {
          logger.error({ err: error }, 'shutdown failed');
          process.exit(1);
        },
      );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

/** The cluster primary: forks the workers, replaces a worker that dies, forwards signals. */
function runPrimary(config: Config): void {
  const logger = createLogger(config);
  let stopping = false;
  logger.info({ workers: config.workers }, 'starting cluster workers');
  for (let i = 0; i < config.workers; i++) cluster.fork();
  cluster.on('exit', (worker, code, signal) => {
    if (stopping) {
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(0);
      return;
    }
    logger.error({ pid: worker.process.pid, code, signal }, 'worker died; starting a new one');
    setTimeout(() => cluster.fork(), 1000).unref();
  });
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping workers');
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGTERM');
    setTimeout(() => process.exit(1), config.shutdownTimeoutMs + 10_000).unref();
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}
