/**
 * The two client wires the generator speaks:
 * - `livechat`: one JSON text frame `{"event","data"}` per message over `ws`
 *   (the live-chat server and the bare relay);
 * - `socketio`: Socket.IO's own client, WebSocket transport only, one
 *   Socket.IO event per message with the same names and payloads.
 * Both hand every incoming event to `onEvent` with the time it was read.
 */
import { io, type Socket } from 'socket.io-client';
import WebSocket from 'ws';
import type { Wire } from '../lib/types.js';

export type EventHandler = (event: string, data: Record<string, unknown>, at: number) => void;

export interface Conn {
  /** False once the connection closed or failed. */
  readonly open: boolean;
  send(event: string, data: object): boolean;
  close(): void;
}

export interface ConnectOptions {
  wire: Wire;
  /** http://127.0.0.1:PORT */
  baseUrl: string;
  role: 'listener' | 'broadcaster';
  token: string;
  localAddress: string;
  timeoutMs: number;
  onEvent: EventHandler;
  /** Called once when an opened connection closes (not when it never opened). */
  onClose: (reason: string) => void;
}

/**
 * Opens a connection and resolves once `connection:success` arrived (its
 * data), or rejects on failure or after `timeoutMs`.
 */
export function connect(options: ConnectOptions): Promise<{ conn: Conn; greeting: Record<string, unknown> }> {
  return options.wire === 'livechat' ? connectWs(options) : connectSocketIo(options);
}

function connectWs(options: ConnectOptions): Promise<{ conn: Conn; greeting: Record<string, unknown> }> {
  const path = options.role === 'listener' ? '/livechat/ws' : '/livechat/admin/ws';
  const url = `${options.baseUrl.replace(/^http/, 'ws')}${path}?token=${encodeURIComponent(options.token)}`;
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, {
      localAddress: options.localAddress,
      perMessageDeflate: false,
      handshakeTimeout: options.timeoutMs,
    });
    let greeted = false;
    let settled = false;
    const timer = setTimeout(() => fail(new Error('no connection:success in time')), options.timeoutMs);
    const fail = (error: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      ws.terminate();
      reject(error);
    };
    const conn: Conn = {
      get open() {
        return ws.readyState === WebSocket.OPEN;
      },
      send(event, data) {
        if (ws.readyState !== WebSocket.OPEN) return false;
        ws.send(JSON.stringify({ event, data }));
        return true;
      },
      close() {
        ws.terminate();
      },
    };
    ws.on('message', (raw: Buffer, isBinary: boolean) => {
      const at = performance.now();
      let frame: { event?: unknown; data?: unknown };
      try {
        frame = JSON.parse(isBinary ? '' : raw.toString('utf8')) as { event?: unknown; data?: unknown };
      } catch {
        options.onEvent('invalid-frame', {}, at);
        return;
      }
      const event = typeof frame.event === 'string' ? frame.event : 'invalid-frame';
      const data = (frame.data ?? {}) as Record<string, unknown>;
      if (!greeted) {
        if (event !== 'connection:success') return fail(new Error(`first frame was ${event}`));
        greeted = true;
        settled = true;
        clearTimeout(timer);
        resolve({ conn, greeting: data });
        return;
      }
      options.onEvent(event, data, at);
    });
    ws.on('unexpected-response', (_req, res) => fail(new Error(`upgrade answered HTTP ${res.statusCode}`)));
    ws.on('error', (error) => fail(error));
    ws.on('close', (code) => {
      if (greeted) options.onClose(`close:${code}`);
      else fail(new Error(`closed with ${code} before connection:success`));
    });
  });
}

function connectSocketIo(options: ConnectOptions): Promise<{ conn: Conn; greeting: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const socket: Socket = io(options.baseUrl, {
      transports: ['websocket'],
      forceNew: true,
      reconnection: false,
      timeout: options.timeoutMs,
      query: options.role === 'listener' ? { token: options.token } : { adminToken: options.token },
      localAddress: options.localAddress,
      perMessageDeflate: false,
    } as unknown as Parameters<typeof io>[1]);
    let greeted = false;
    let settled = false;
    const timer = setTimeout(() => fail(new Error('no connection:success in time')), options.timeoutMs);
    const fail = (error: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.disconnect();
      reject(error);
    };
    const conn: Conn = {
      get open() {
        return socket.connected;
      },
      send(event, data) {
        if (!socket.connected) return false;
        socket.emit(event, data);
        return true;
      },
      close() {
        socket.disconnect();
      },
    };
    socket.onAny((event: string, data: unknown) => {
      const at = performance.now();
      const payload = (data ?? {}) as Record<string, unknown>;
      if (!greeted) {
        if (event !== 'connection:success') return fail(new Error(`first event was ${event}`));
        greeted = true;
        settled = true;
        clearTimeout(timer);
        resolve({ conn, greeting: payload });
        return;
      }
      options.onEvent(event, payload, at);
    });
    socket.on('connect_error', (error: Error) => fail(error));
    socket.on('disconnect', (reason: string) => {
      if (greeted) options.onClose(`disconnect:${reason}`);
      else fail(new Error(`disconnected (${reason}) before connection:success`));
    });
  });
}
