/**
 * Baseline: a bare `ws` relay speaking the live-chat wire protocol — the
 * floor. No authentication, no validation beyond JSON parsing, no storage,
 * no rate limit: `message:send` is acked at once and its `message:new` frame
 * (serialised once) written to every broadcaster; `message:reply` is acked and
 * written to the session's sockets and to every broadcaster.
 */
import { WebSocketServer, type WebSocket } from 'ws';
import { createStubServer, listen } from './http-stub.js';

const server = createStubServer();
const wss = new WebSocketServer({
  noServer: true,
  perMessageDeflate: false,
  maxPayload: 16 * 1024,
  clientTracking: false,
});
const sessions = new Map<string, Set<WebSocket>>();
const broadcasters = new Set<WebSocket>();
let nextMessageId = 0;
let nextConnection = 0;
let listenerMessages = 0;
/** Fault injection for the generator's own tests: when N > 0, every Nth listener message is acked but never fanned out. */
const dropEvery = Number(process.env['BENCH_RELAY_DROP_EVERY'] ?? 0);

const frame = (event: string, data: object) => JSON.stringify({ event, data });
const toBroadcasters = (text: string) => {
  for (const ws of broadcasters) ws.send(text);
};

server.on('upgrade', (req, socket, head) => {
  const url = new URL(req.url ?? '/', 'http://relay');
  const token = url.searchParams.get('token');
  const role =
    url.pathname === '/livechat/ws' ? 'listener' : url.pathname === '/livechat/admin/ws' ? 'broadcaster' : undefined;
  if (!token || !role) {
    socket.end('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\n\r\n');
    return;
  }
  wss.handleUpgrade(req, socket, head, (ws) => (role === 'listener' ? openListener(ws, token) : openBroadcaster(ws)));
});

function openListener(ws: WebSocket, sessionId: string): void {
  let members = sessions.get(sessionId);
  const first = !members;
  if (!members) sessions.set(sessionId, (members = new Set()));
  members.add(ws);
  ws.send(
    frame('connection:success', {
      sessionId,
      name: sessionId,
      city: '',
      connectionId: `c${++nextConnection}`,
      expiresAt: '',
    }),
  );
  if (first) toBroadcasters(frame('presence:update', { sessionId, online: true }));
  ws.on('message', (raw: Buffer) => {
    let message: { event?: string; data?: { text?: unknown; clientMessageId?: unknown } };
    try {
      message = JSON.parse(raw.toString('utf8')) as typeof message;
    } catch {
      ws.send(frame('error:invalid_payload', { message: 'not JSON' }));
      return;
    }
    const data = message.data ?? {};
    if (message.event !== 'message:send' || typeof data.text !== 'string') {
      ws.send(frame('error:invalid_payload', { message: 'unknown event' }));
      return;
    }
    const messageId = String(++nextMessageId);
    const createdAt = new Date().toISOString();
    ws.send(frame('message:ack', { messageId, clientMessageId: data.clientMessageId, createdAt }));
    if (dropEvery > 0 && ++listenerMessages % dropEvery === 0) return;
    toBroadcasters(
      frame('message:new', {
        messageId,
        sessionId,
        direction: 'listener',
        from: sessionId,
        text: data.text,
        createdAt,
      }),
    );
  });
  ws.on('close', () => {
    members.delete(ws);
    if (members.size === 0) {
      sessions.delete(sessionId);
      toBroadcasters(frame('presence:update', { sessionId, online: false }));
    }
  });
  ws.on('error', () => undefined);
}

function openBroadcaster(ws: WebSocket): void {
  broadcasters.add(ws);
  ws.send(frame('connection:success', { adminId: '1', name: 'Penyiar Relay', connectionId: `c${++nextConnection}` }));
  ws.on('message', (raw: Buffer) => {
    let message: { event?: string; data?: { sessionId?: unknown; text?: unknown; clientMessageId?: unknown } };
    try {
      message = JSON.parse(raw.toString('utf8')) as typeof message;
    } catch {
      ws.send(frame('error:invalid_payload', { message: 'not JSON' }));
      return;
    }
    const data = message.data ?? {};
    if (message.event !== 'message:reply' || typeof data.text !== 'string' || typeof data.sessionId !== 'string') {
      ws.send(frame('error:invalid_payload', { message: 'unknown event' }));
      return;
    }
    const messageId = String(++nextMessageId);
    const createdAt = new Date().toISOString();
    ws.send(frame('message:ack', { messageId, clientMessageId: data.clientMessageId, createdAt }));
    const receive = frame('message:receive', { messageId, from: 'Penyiar Relay', text: data.text, createdAt });
    for (const member of sessions.get(data.sessionId) ?? []) member.send(receive);
    toBroadcasters(
      frame('message:new', {
        messageId,
        sessionId: data.sessionId,
        direction: 'broadcaster',
        from: 'Penyiar Relay',
        text: data.text,
        createdAt,
      }),
    );
  });
  ws.on('close', () => broadcasters.delete(ws));
  ws.on('error', () => undefined);
}

listen(server, 'ws-relay', () => {
  for (const members of sessions.values()) for (const ws of members) ws.terminate();
  for (const ws of broadcasters) ws.terminate();
});
