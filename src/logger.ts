/**
 * Structured logging (pino): JSON in production, readable lines in development.
 * Secrets are redacted by path; request URLs are logged without query strings
 * (the listener token travels in the WebSocket URL), see `safePath`.
 */
import pino, { type Logger } from 'pino';
import type { Config } from './config.js';

export type { Logger };

const REDACT = [
  'token',
  'password',
  'sessionToken',
  'authorization',
  '*.token',
  '*.password',
  '*.sessionToken',
  '*.authorization',
  'req.headers.authorization',
  'req.headers.cookie',
];

export function createLogger(config: Pick<Config, 'logLevel' | 'env'>, destination?: pino.DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    level: config.logLevel,
    base: { pid: process.pid },
    redact: { paths: REDACT, censor: '[redacted]' },
  };
  if (destination) return pino(options, destination);
  if (config.env === 'development' && process.stdout.isTTY) {
    return pino({ ...options, transport: { target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss' } } });
  }
  return pino(options);
}

/** The path of a request URL without its query string (which may hold a token). */
export function safePath(url: string | undefined): string {
  if (!url) return '';
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}
