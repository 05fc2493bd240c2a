/**
 * An open connection does not keep its upgrade request alive. The request
 * holds every header and the URL with the token; kept per connection, it was
 * a sixth of the heap at 10,000 listeners, all of it for the full collector to
 * walk. A real server in this process (SQLite, in-memory broker).
 */
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { after, before, test } from 'node:test';
import { WebSocket } from 'ws';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { TestSocket, adminUrl, createSession, listenerUrl, loginAdmin } from '../helpers/clients.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

let server: TestServer;
const requests: Array<WeakRef<IncomingMessage>> = [];

before(async () => {
  server = await startTestServer();
  server.server.http.prependListener('upgrade', (req: IncomingMessage) => requests.push(new WeakRef(req)));
});
after(() => server.stop());

/** Collects until every request is gone or the tries run out; WeakRefs clear only between turns. */
async function requestsAlive(): Promise<number> {
  for (let attempt = 0; attempt < 10; attempt++) {
    await new Promise((resolve) => setImmediate(resolve));
    collectGarbage();
    if (requests.every((ref) => ref.deref() === undefined)) return 0;
  }
  return requests.filter((ref) => ref.deref() !== undefined).length;
}

test('open listener and broadcaster connections let their upgrade requests go', async () => {
  const { sessionToken } = await createSession(server);
  const listener = await TestSocket.open(listenerUrl(server, sessionToken));
  const broadcaster = await TestSocket.open(adminUrl(server, await loginAdmin(server)));
  await listener.next('connection:success');
  await broadcaster.next('connection:success');
  assert.equal(requests.length, 2);

  assert.equal(await requestsAlive(), 0);
  // The connections themselves are still open and answering.
  assert.equal(listener.ws.readyState, WebSocket.OPEN);
  assert.equal(broadcaster.ws.readyState, WebSocket.OPEN);
  listener.send('message:send', { text: 'Halo, masih di sini', clientMessageId: 'retention-1' });
  await listener.next('message:ack');
  await broadcaster.next('message:new');
  await listener.close();
  await broadcaster.close();
});
