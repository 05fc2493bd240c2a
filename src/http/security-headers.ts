/**
 * Security headers (helmet): one Content-Security-Policy for every response,
 * except for who may show it in a frame. Only the listener widget's page may
 * be framed: by the allowed origins, or by any page when no allow-list is set
 * (docs/embed.md). Everything else, the broadcasters' dashboard first, never
 * (`frame-ancestors 'none'` and `X-Frame-Options: DENY`): deny by default, so
 * a path spelled another way (`/%64ashboard/`) is not framable either.
 */
import type { RequestHandler } from 'express';
import helmet from 'helmet';

/** The paths that serve the widget's page (express.static's index at `/`). */
const WIDGET_PAGES: ReadonlySet<string> = new Set(['/', '/index.html']);

function headers(frameAncestors: string[], framable: boolean): RequestHandler {
  return helmet({
    contentSecurityPolicy: {
      directives: {
        'default-src': ["'self'"],
        'script-src': ["'self'"],
        'style-src': ["'self'"],
        'img-src': ["'self'", 'data:'],
        'media-src': ["'self'", 'data:'],
        'connect-src': ["'self'"],
        'frame-ancestors': frameAncestors,
        // Stations may serve the widget over plain HTTP on a LAN; TLS is the proxy's business.
        'upgrade-insecure-requests': null,
      },
    },
    // X-Frame-Options knows no allow-list: the widget relies on frame-ancestors alone.
    frameguard: framable ? false : { action: 'deny' },
    crossOriginEmbedderPolicy: false,
  });
}

export function securityHeaders(allowedOrigins: readonly string[] | undefined): RequestHandler {
  const widget = headers(allowedOrigins ? ["'self'", ...allowedOrigins] : ['*'], true);
  const notFramable = headers(["'none'"], false);
  return (req, res, next) => (WIDGET_PAGES.has(req.path) ? widget : notFramable)(req, res, next);
}
