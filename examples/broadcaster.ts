/**
 * A broadcaster in Node: logs in, lists the sessions, prints every new
 * listener message and answers it with an automatic reply.
 *
 *   LIVECHAT_ADMIN_USERNAME=penyiar LIVECHAT_ADMIN_PASSWORD=… node --import tsx examples/broadcaster.ts
 *
 * Options (environment): LIVECHAT_URL (default http://127.0.0.1:3000),
 * LIVECHAT_ADMIN_USERNAME, LIVECHAT_ADMIN_PASSWORD.
 */
import { WebSocket } from 'ws';
import { startBroadcaster } from '../src/client/index.js';

const baseUrl = process.env['LIVECHAT_URL'] ?? 'http://127.0.0.1:3000';
const username = process.env['LIVECHAT_ADMIN_USERNAME'];
const password = process.env['LIVECHAT_ADMIN_PASSWORD'];
if (!username || !password) {
  console.error('set LIVECHAT_ADMIN_USERNAME and LIVECHAT_ADMIN_PASSWORD');
  process.exit(1);
}

const { client, credentials } = await startBroadcaster({ baseUrl, username, password, WebSocket });
console.log(`logged in as ${credentials.name}`);

client.on('connection:success', async () => {
  // After every (re)connect: what happened meanwhile comes from the REST API.
  for (const s of await client.listSessions()) {
    console.log(`${s.online ? '●' : '○'} ${s.name} (${s.city || '-'}) last message ${s.lastMessageAt ?? 'never'}`);
  }
});
client.on('presence:update', (p) => console.log(`${p.sessionId} is ${p.online ? 'online' : 'offline'}`));
client.on('message:new', async (m) => {
  console.log(`${m.from} [${m.sessionId}]: ${m.text}`);
  if (m.direction !== 'listener') return;
  const typing = client.typing(m.sessionId);
  typing.input();
  await new Promise((resolve) => setTimeout(resolve, 800));
  typing.stop();
  await client.reply(m.sessionId, `Terima kasih, ${m.from}! Pesanmu sudah kami terima.`).ack;
});
process.on('SIGINT', () => {
  client.close();
  process.exit(0);
});
