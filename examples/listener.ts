/**
 * A listener in Node: starts a session, sends a message, prints the
 * broadcasters' replies as they come, and sends what you type.
 *
 *   npm start                                   # in another terminal
 *   node --import tsx examples/listener.ts      # LIVECHAT_URL=http://127.0.0.1:3000 by default
 *
 * Options (environment): LIVECHAT_URL, LISTENER_NAME, LISTENER_CITY.
 * Stop with Ctrl+C (or Ctrl+D).
 */
import { createInterface } from 'node:readline';
import { WebSocket } from 'ws';
import { startListener } from '../src/client/index.js';

const baseUrl = process.env['LIVECHAT_URL'] ?? 'http://127.0.0.1:3000';
const name = process.env['LISTENER_NAME'] ?? 'Pendengar Node';
const city = process.env['LISTENER_CITY'] ?? 'Jakarta';

const { client, credentials } = await startListener({ baseUrl, name, city, WebSocket });
console.log(`session ${credentials.sessionId} (valid until ${credentials.expiresAt})`);

client.on('state', ({ state, retryInMs, closeCode }) => {
  const details = [closeCode && `close code ${closeCode}`, retryInMs !== undefined && `retry in ${retryInMs} ms`];
  console.log(`[${state}]`, details.filter(Boolean).join(', '));
});
client.on('message:receive', (m) => console.log(`${m.from}: ${m.text}`));
client.on('user:typing', (t) => t.isTyping && console.log(`(${t.from} is typing…)`));
client.on('delivery', (d) => {
  if (d.status === 'sent') console.log(`  ✓ stored as #${d.messageId}${d.duplicate ? ' (duplicate)' : ''}`);
  if (d.status === 'failed') console.log(`  ✗ not delivered (${d.reason}); type /retry to send again`);
});

const first = client.sendMessage(`Halo dari ${city}! Salam untuk semua penyiar.`);
await first.ack;

const input = createInterface({ input: process.stdin });
const typing = client.typing();
input.on('line', (line) => {
  const text = line.trim();
  if (text === '/retry') {
    for (const m of client.pendingMessages()) if (m.status === 'failed') client.retry(m.clientMessageId);
  } else if (text) {
    typing.stop();
    client.sendMessage(text);
  }
});
input.on('close', () => client.close());
process.on('SIGINT', () => {
  client.close();
  process.exit(0);
});
