/**
 * The client IP of a request, believing `X-Forwarded-For` only from the
 * proxies that LIVECHAT_TRUST_PROXY names — the same rule Express applies to
 * HTTP requests (`trust proxy`), here also for WebSocket upgrades.
 */
import type { IncomingMessage } from 'node:http';
import proxyaddr from 'proxy-addr';
import type { TrustProxy } from '../config.js';

export function compileTrust(trust: TrustProxy): (address: string, hop: number) => boolean {
  if (trust === true) return () => true;
  if (trust === false) return () => false;
  if (typeof trust === 'number') return (_address, hop) => hop < trust;
  return proxyaddr.compile(trust);
}

export function clientIpResolver(trust: TrustProxy): (req: IncomingMessage) => string {
  const trustFn = compileTrust(trust);
  return (req) => proxyaddr(req, trustFn);
}
