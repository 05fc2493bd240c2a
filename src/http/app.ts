/**
 * The Express application: security headers, origin policy, JSON bodies,
 * the REST routes, the web assets, and one error handler that answers every
 * failure in the contract's `{"error","message"}` shape.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import cors from 'cors';
import express, { type ErrorRequestHandler, type Express } from 'express';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import { HttpError, errorBody } from '../errors.js';
import { safePath } from '../logger.js';
import { isOriginAllowed } from './origin.js';
import { adminRoutes, type AdminRouteDeps } from './routes/admin.js';
import { moderationRoutes, type ModerationRouteDeps } from './routes/moderation.js';
import { operationsRoutes, type OperationsDeps } from './routes/operations.js';
import { sessionRoutes, type SessionRouteDeps } from './routes/session.js';
import { securityHeaders } from './security-headers.js';

export type AppDeps = SessionRouteDeps &
  AdminRouteDeps &
  ModerationRouteDeps &
  OperationsDeps & { config: Config; logger: Logger };

/** The built web assets (widget at /, dashboard at /dashboard), from dist/ or a source checkout. */
function webRoot(): string | undefined {
  const candidates = [new URL('../web/', import.meta.url), new URL('../../dist/web/', import.meta.url)];
  return candidates.map((url) => fileURLToPath(url)).find((dir) => existsSync(`${dir}index.html`));
}

/** Driver-level errors that mean "the database (or Redis) is not answering". */
function isUnavailable(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  if (
    typeof code === 'string' &&
    /^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|57P0[1-3]|08\d\d\d|53300|SQLITE_(BUSY|IOERR|CANTOPEN|LOCKED))/.test(code)
  ) {
    return true;
  }
  const message = error instanceof Error ? error.message : '';
  return /connection (terminated|refused)|timeout exceeded when trying to connect|Connection is closed|database connection is not open/i.test(
    message,
  );
}

export function createApp(deps: AppDeps): Express {
  const { config, logger } = deps;
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', config.trustProxy);
  app.use(securityHeaders(config.allowedOrigins));
  app.use((req, _res, next) => {
    if (!isOriginAllowed(req.get('origin'), config.allowedOrigins)) throw new HttpError('origin_forbidden');
    next();
  });
  app.use('/livechat', cors({ origin: config.allowedOrigins ? [...config.allowedOrigins] : true, maxAge: 600 }));
  app.use(express.json({ limit: '16kb' }));

  app.use(operationsRoutes(deps));
  app.use(sessionRoutes(deps));
  app.use(adminRoutes(deps));
  app.use(moderationRoutes(deps));

  const web = webRoot();
  // The embed loader is meant to be loaded by the station's own pages (another origin).
  app.use('/embed.js', (_req, res, next) => {
    res.setHeader('Cross-Origin-Resource-Policy', 'cross-origin');
    next();
  });
  if (web) {
    app.use(express.static(web, { index: 'index.html', maxAge: '1h', setHeaders: noCacheHtml }));
  } else {
    logger.warn('web assets not built (dist/web missing): the widget and dashboard are not served');
  }

  app.use((_req, _res, next) => next(new HttpError('not_found')));
  const handleError: ErrorRequestHandler = (error: unknown, req, res, _next) => {
    let failure: HttpError;
    if (error instanceof HttpError) failure = error;
    else if ((error as { type?: string }).type === 'entity.parse.failed')
      failure = new HttpError('invalid_payload', 'Body harus JSON yang valid.');
    else if ((error as { type?: string }).type === 'entity.too.large') failure = new HttpError('payload_too_large');
    else if (isUnavailable(error)) {
      logger.error({ err: error, path: safePath(req.originalUrl) }, 'dependency unavailable');
      failure = new HttpError('unavailable');
    } else {
      logger.error({ err: error, path: safePath(req.originalUrl) }, 'request failed');
      failure = new HttpError('internal_error');
    }
    if (res.headersSent) return;
    res.status(failure.status).set(failure.headers).json(errorBody(failure.code, failure.message));
  };
  app.use(handleError);
  return app;
}

function noCacheHtml(res: express.Response, path: string): void {
  if (path.endsWith('.html')) res.setHeader('Cache-Control', 'no-cache');
}
