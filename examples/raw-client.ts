/**
 * A listener client written against docs/events.md alone, with nothing but the
 * `ws` package and fetch (no SDK, no schemas): it creates a session, connects,
 * sends a message with a clientMessageId, prints the ack and the studio's
 * replies, and reconnects with lastMessageId when the connection drops.
 *
 *   node --import tsx examples/raw-client.ts http://localhost:3000 ["first message"] [--name Sari] [--city Bandung]
 *
 * Every line typed on standard input is sent as one more message. Ctrl+C stops it.
 */
import { randomUUID } from 'node:crypto';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';

const { values: options, positionals } = parseArgs({
  allowPositionals: true,
  options: { name: { type: 'string', default: 'Pendengar' }, city: { type: 'string', default: '' } },
});
const baseUrl = new URL(positionals[0] ?? 'http://localhost:3000');
const firstText = positionals[1] ?? 'Halo dari raw-client! Aku <3 acara ini & "lagunya".';

/** One frame, both ways: `{"event": "<name>", "data": {…}}` (docs/events.md, Overview). */
interface Frame {
  event: string;
  data: Record<string, unknown>;
}
interface Session {
  sessionId: string;
  sessionToken: string;
  expiresAt: string;
}

let session: Session;
/** The last broadcaster messageId received: `lastMessageId` when reconnecting. */
let lastMessageId: string | undefined;
/** Messages not acknowledged yet, by clientMessageId; resent after every reconnect. */
const outbox = new Map<string, string>();
let socket: WebSocket | undefined;
let failures = 0;
let stopping = false;

const log = (...parts: unknown[]) => console.log(new Date().toISOString().slice(11, 23), ...parts);

/** Step 1: `POST /livechat/session` → 201 `{sessionId, sessionToken, expiresAt}`. */
async function createSession(): Promise<Session> {
  const response = await fetch(new URL('/livechat/session', baseUrl), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: options.name, city: options.city }),
  });
  const body = (await response.json()) as Session & { error?: string; message?: string };
  if (response.status !== 201)
    throw new Error(`POST /livechat/session: ${response.status} ${body.error}: ${body.message}`);
  log(`session ${body.sessionId}, token valid until ${body.expiresAt}`);
  return body;
}

function send(event: string, data: Record<string, unknown>): void {
  if (socket?.readyState !== WebSocket.OPEN) return;
  const frame = JSON.stringify({ event, data });
  log('→', frame);
  socket.send(frame);
}

/** Step 3: every message carries its own clientMessageId and stays in the outbox until acked. */
function sendMessage(text: string, clientMessageId: string = randomUUID()): void {
  outbox.set(clientMessageId, text);
  send('message:send', { text, clientMessageId });
}

/** Step 2 (and 6): `ws(s)://host/livechat/ws?token=…[&lastMessageId=…]`. */
function connect(): void {
  const url = new URL('/livechat/ws', baseUrl);
  url.protocol = baseUrl.protocol === 'https:' ? 'wss:' : 'ws:';
  url.searchParams.set('token', session.sessionToken);
  if (lastMessageId !== undefined) url.searchParams.set('lastMessageId', lastMessageId);
  log(`connecting${lastMessageId ? ` (resuming after ${lastMessageId})` : ''}`);

  const ws = new WebSocket(url);
  socket = ws;
  let refusedWith: number | undefined;
  ws.on('error', (error) => {
    // A refused handshake: "Unexpected server response: 401" (docs/events.md, Handshake).
    const status = /Unexpected server response: (\d{3})/.exec(error.message)?.[1];
    if (status) refusedWith = Number(status);
    log('socket error:', error.message);
  });
  ws.on('message', (raw, isBinary) => {
    if (isBinary) return;
    let frame: Frame;
    try {
      frame = JSON.parse(raw.toString()) as Frame;
    } catch {
      log('← (not JSON)', raw.toString());
      return;
    }
    log('←', JSON.stringify(frame));
    handle(frame);
  });
  ws.on('close', (code, reason) => {
    socket = undefined;
    if (stopping) return;
    log(`closed ${code}${reason.length ? ` ${reason.toString()}` : ''}`);
    void reconnect(code, refusedWith);
  });
}

function handle({ event, data }: Frame): void {
  const clientMessageId = typeof data['clientMessageId'] === 'string' ? data['clientMessageId'] : undefined;
  switch (event) {
    case 'connection:success':
      failures = 0;
      // Resend whatever was not acknowledged; the server never stores a clientMessageId twice.
      for (const [id, text] of outbox) send('message:send', { text, clientMessageId: id });
      break;
    case 'message:ack':
      if (clientMessageId) outbox.delete(clientMessageId);
      log(`stored as ${String(data['messageId'])}${data['duplicate'] ? ' (already stored before)' : ''}`);
      break;
    case 'message:receive':
      lastMessageId = String(data['messageId']);
      log(`${String(data['from'])}: ${String(data['text'])}`);
      break;
    case 'user:typing':
      log(data['isTyping'] ? `${String(data['from'])} is typing…` : `${String(data['from'])} stopped typing`);
      break;
    case 'error:rate_limited': {
      const wait = Number(data['retryAfterMs']);
      if (clientMessageId) setTimeout(() => resend(clientMessageId), wait);
      log(`rate limited, resending in ${wait} ms`);
      break;
    }
    case 'error:unavailable':
      if (clientMessageId) setTimeout(() => resend(clientMessageId), 3000);
      break;
    case 'error:invalid_payload':
      if (clientMessageId) outbox.delete(clientMessageId);
      break;
    case 'error:invalid_token':
      // Close code 4401 follows; reconnect() creates a new session.
      break;
  }
}

function resend(clientMessageId: string): void {
  const text = outbox.get(clientMessageId);
  if (text !== undefined) send('message:send', { text, clientMessageId });
}

/** docs/events.md, Close codes: how long to wait depends on why the connection ended. */
async function reconnect(code: number, refusedWith: number | undefined): Promise<void> {
  if (refusedWith === 403) {
    log('refused with 403 (origin or wrong token kind): giving up');
    process.exit(1);
  }
  if (code === 4401 || refusedWith === 401) {
    // The session token expired (or the session is gone): start a new session.
    try {
      session = await createSession();
      lastMessageId = undefined;
    } catch (error) {
      log((error as Error).message);
    }
  }
  let delay: number;
  if (code === 1001) delay = Math.random() * 1000;
  else if (code === 1008 || refusedWith === 429) delay = 30_000 + Math.random() * 30_000;
  else delay = Math.min(30_000, 500 * 2 ** failures) * (0.5 + Math.random() / 2);
  failures += 1;
  log(`reconnecting in ${Math.round(delay)} ms`);
  setTimeout(connect, delay);
}

session = await createSession();
outbox.set(randomUUID(), firstText);
connect();

createInterface({ input: process.stdin }).on('line', (line) => {
  if (line.trim()) sendMessage(line);
});
process.on('SIGINT', () => {
  stopping = true;
  socket?.close(1000);
  process.exit(0);
});
