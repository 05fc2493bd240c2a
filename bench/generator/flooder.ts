/**
 * A hostile listener as a child process of the orchestrator: it opens a
 * session, connects and writes one kind of abusive frame as fast as its socket
 * takes them, and whenever the server closes it (1008 is the contract's answer),
 * connects again at once, with a new session when the old one is refused.
 * Kinds (the attack round's findings, see docs/reliability.md):
 * - `typing`: `user:typing` alternating true/false;
 * - `markup`: 16 KiB `message:send` texts of markup only (cleaned to nothing);
 * - `sends`: valid `message:send` frames, far over the rate limit.
 * Over IPC it says `{type:'flooding'}` once its first connection is open;
 * `{type:'stop'}` answers `{type:'stopped', stats}`.
 */
import WebSocket from 'ws';
import type { FloodKind, FloodStats } from '../lib/flood.js';
import { postJson } from './http.js';

interface FlooderConfig {
  baseUrl: string;
  kind: FloodKind;
  localAddress: string;
}

if (!process.send) {
  process.stderr.write('the flooder runs as a child of bench/run.ts (it needs an IPC channel)\n');
  process.exit(2);
}
const config = JSON.parse(process.env['BENCH_FLOOD'] ?? '{}') as FlooderConfig;

/** Stop writing while this much is queued on the socket: the flood is bounded by the server's reading. */
const HIGH_WATER = 1 << 20;
/**
 * Frames written per turn of the event loop. Loopback takes megabytes before
 * the socket queues anything, so without a bound the loop would never yield
 * and never see the server's close.
 */
const BURST_BYTES = 256 * 1024;
const MARKUP_ONLY = '<b>'.repeat(5000);

const stats: FloodStats = {
  kind: config.kind,
  framesWritten: 0,
  connections: 0,
  sessions: 0,
  closes: {},
  refusals: {},
};
let stopping = false;
let token: string | undefined;
let seq = 0;

function frame(): string {
  seq += 1;
  switch (config.kind) {
    case 'typing':
      return JSON.stringify({ event: 'user:typing', data: { isTyping: seq % 2 === 0 } });
    case 'markup':
      return JSON.stringify({ event: 'message:send', data: { text: MARKUP_ONLY, clientMessageId: `m${seq}` } });
    case 'sends':
      return JSON.stringify({ event: 'message:send', data: { text: `banjir ${seq}`, clientMessageId: `f${seq}` } });
  }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function newSession(): Promise<void> {
  for (;;) {
    const res = await postJson(config.baseUrl, '/livechat/session', { name: 'Banjir' }, config.localAddress);
    if (res.status === 201 || res.status === 200) {
      token = String(res.body['sessionToken']);
      stats.sessions += 1;
      return;
    }
    stats.refusals[`session:${res.status}`] = (stats.refusals[`session:${res.status}`] ?? 0) + 1;
    await sleep(Math.min(5000, Number(res.body['retryAfterMs'] ?? 1000)));
    if (stopping) return;
  }
}

/** One connection: flood until closed; resolves with the close code (or the refusal). */
function floodOnce(): Promise<void> {
  const url = `${config.baseUrl.replace(/^http/, 'ws')}/livechat/ws?token=${encodeURIComponent(token!)}`;
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { localAddress: config.localAddress, perMessageDeflate: false });
    let opened = false;
    const pump = () => {
      let burst = 0;
      while (!stopping && ws.readyState === WebSocket.OPEN && ws.bufferedAmount < HIGH_WATER && burst < BURST_BYTES) {
        const data = frame();
        ws.send(data);
        burst += data.length;
        stats.framesWritten += 1;
      }
      if (stopping || ws.readyState !== WebSocket.OPEN) return;
      if (burst < BURST_BYTES) setTimeout(pump, 1);
      else setImmediate(pump);
    };
    ws.on('open', () => {
      opened = true;
      stats.connections += 1;
      if (stats.connections === 1) process.send!({ type: 'flooding' });
      pump();
    });
    ws.on('message', () => undefined);
    ws.on('unexpected-response', (_req, res) => {
      const key = `upgrade:${res.statusCode}`;
      stats.refusals[key] = (stats.refusals[key] ?? 0) + 1;
      // A refused token (expired, or the connection limit): start over with a new session.
      token = undefined;
      ws.terminate();
      resolve();
    });
    ws.on('error', () => undefined);
    ws.on('close', (code) => {
      if (opened) stats.closes[String(code)] = (stats.closes[String(code)] ?? 0) + 1;
      resolve();
    });
  });
}

async function run(): Promise<void> {
  while (!stopping) {
    if (!token) await newSession();
    if (stopping) break;
    await floodOnce();
    // The refused upgrade of an exhausted session costs a round trip; nothing else slows the attacker down.
    if (!token) await sleep(10);
  }
}

process.on('message', (command: { type: string }) => {
  if (command.type !== 'stop') return;
  stopping = true;
  process.send!({ type: 'stopped', stats });
  setTimeout(() => process.exit(0), 50);
});
process.on('disconnect', () => process.exit(0));
void run().catch((error: Error) => {
  process.stderr.write(`flooder: ${error.message}\n`);
  process.exit(1);
});
