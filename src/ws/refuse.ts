/**
 * Answers a refused WebSocket upgrade with a plain HTTP response (status and
 * the contract's JSON error body) and closes the socket: no WebSocket is opened.
 */
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { errorBody, type HttpErrorCode } from '../errors.js';

const CODE_BY_STATUS: Record<number, HttpErrorCode> = {
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  429: 'rate_limited',
  503: 'unavailable',
};

export function refuseUpgrade(socket: Duplex, status: number, code?: HttpErrorCode): void {
  if (socket.destroyed) return;
  const body = JSON.stringify(errorBody(code ?? CODE_BY_STATUS[status] ?? 'internal_error'));
  socket.once('finish', () => socket.destroy());
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\n` +
      'Connection: close\r\n' +
      'Content-Type: application/json; charset=utf-8\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      '\r\n' +
      body,
  );
}
