/**
 * Baseline: the same relay written the way most people would with Socket.IO
 * (WebSocket transport only, no long-polling): rooms per session and one for
 * broadcasters, one Socket.IO event per message with the live-chat event
 * names and payloads. No authentication, no storage, no rate limit.
 */
import { Server } from 'socket.io';
import { createStubServer, listen } from './http-stub.js';

const server = createStubServer();
const io = new Server(server, {
  transports: ['websocket'],
  serveClient: false,
  perMessageDeflate: false,
  maxHttpBufferSize: 16 * 1024,
});
let nextMessageId = 0;
let nextConnection = 0;

io.on('connection', (socket) => {
  const { token, adminToken } = socket.handshake.query;
  if (typeof adminToken === 'string') {
    void socket.join('broadcasters');
    socket.emit('connection:success', { adminId: '1', name: 'Penyiar Relay', connectionId: `c${++nextConnection}` });
    socket.on('message:reply', (data: { sessionId?: unknown; text?: unknown; clientMessageId?: unknown }) => {
      if (typeof data?.text !== 'string' || typeof data.sessionId !== 'string') {
        socket.emit('error:invalid_payload', { message: 'missing fields' });
        return;
      }
      const messageId = String(++nextMessageId);
      const createdAt = new Date().toISOString();
      socket.emit('message:ack', { messageId, clientMessageId: data.clientMessageId, createdAt });
      io.to(`session:${data.sessionId}`).emit('message:receive', {
        messageId,
        from: 'Penyiar Relay',
        text: data.text,
        createdAt,
      });
      io.to('broadcasters').emit('message:new', {
        messageId,
        sessionId: data.sessionId,
        direction: 'broadcaster',
        from: 'Penyiar Relay',
        text: data.text,
        createdAt,
      });
    });
    return;
  }
  if (typeof token !== 'string') {
    socket.disconnect(true);
    return;
  }
  const sessionId = token;
  const room = `session:${sessionId}`;
  const first = (io.sockets.adapter.rooms.get(room)?.size ?? 0) === 0;
  void socket.join(room);
  socket.emit('connection:success', {
    sessionId,
    name: sessionId,
    city: '',
    connectionId: `c${++nextConnection}`,
    expiresAt: '',
  });
  if (first) io.to('broadcasters').emit('presence:update', { sessionId, online: true });
  socket.on('message:send', (data: { text?: unknown; clientMessageId?: unknown }) => {
    if (typeof data?.text !== 'string') {
      socket.emit('error:invalid_payload', { message: 'missing text' });
      return;
    }
    const messageId = String(++nextMessageId);
    const createdAt = new Date().toISOString();
    socket.emit('message:ack', { messageId, clientMessageId: data.clientMessageId, createdAt });
    io.to('broadcasters').emit('message:new', {
      messageId,
      sessionId,
      direction: 'listener',
      from: sessionId,
      text: data.text,
      createdAt,
    });
  });
  socket.on('disconnect', () => {
    if ((io.sockets.adapter.rooms.get(room)?.size ?? 0) === 0) {
      io.to('broadcasters').emit('presence:update', { sessionId, online: false });
    }
  });
});

listen(server, 'socketio-relay', () => {
  io.disconnectSockets(true);
});
