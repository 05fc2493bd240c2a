/**
 * SIGTERM while listeners send faster than the store keeps up (issue 19,
 * item 7), on SQLite and on PostgreSQL: the server stops reading, finishes or
 * refuses what it had accepted, and only then closes with 1001. Every row in
 * the database had its ack received by its sender before that close, and the
 * process exits 0 within the shutdown timeout.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { TestSocket, createSession, listenerUrl } from '../helpers/clients.js';
import { createTestDatabase, dialects, type TestDatabase } from '../helpers/databases.js';
import { Deployment } from '../helpers/instances.js';
import { sleep } from '../helpers/wait.js';
import { readRows } from './lib/checker.js';
import { report } from './lib/report.js';

const LISTENERS = 60;
const FLOOD_MS = 2000;
const SHUTDOWN_TIMEOUT_MS = 3000;
/**
 * Messages each listener keeps unanswered: together far more than the store
 * commits within the shutdown timeout, not so many that the server spends
 * all its time parsing frames (an unbounded flood is the frame budget's
 * concern, not the drain's).
 */
const WINDOW = 200;

async function storedClientMessageIds(dialect: string, databaseUrl: string): Promise<string[]> {
  if (dialect === 'postgres') return (await readRows(databaseUrl)).flatMap((r) => r.clientMessageId ?? []);
  const db = new Database(databaseUrl.slice('sqlite:'.length), { readonly: true });
  try {
    const rows = db.prepare('select client_message_id as id from messages').all() as { id: string | null }[];
    return rows.flatMap((r) => r.id ?? []);
  } finally {
    db.close();
  }
}

/** Keeps WINDOW messages unanswered (no ack or refusal yet) on the socket, until it closes. */
function flood(socket: TestSocket, prefix: string): { sent: () => number } {
  let sent = 0;
  const answered = () => socket.frames.length - 1; // every frame after connection:success answers one message
  const pump = () => {
    if (socket.ws.readyState !== socket.ws.OPEN) return;
    while (sent - answered() < WINDOW) {
      const id = `${prefix}-${sent++}`;
      socket.send('message:send', { text: `pesan ${id}`, clientMessageId: id });
    }
    setTimeout(pump, 1);
  };
  pump();
  return { sent: () => sent };
}

describe('SIGTERM under overload', () => {
  const cleanups: (() => Promise<void>)[] = [];
  after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  });

  for (const dialect of dialects) {
    test(`${dialect}: nothing stored without its ack reaching the sender; exit 0 in time`, async (t) => {
      let sqlite: TestDatabase | undefined;
      if (dialect === 'sqlite') {
        sqlite = await createTestDatabase('sqlite');
        cleanups.push(() => sqlite!.drop());
      }
      const deployment = await Deployment.create({
        withoutRedis: true,
        env: {
          ...(sqlite ? { DATABASE_URL: sqlite.url } : {}),
          LIVECHAT_RATE_LIMIT_MESSAGES: '10000000',
          LIVECHAT_MAX_CONNECTIONS_PER_SESSION: '5',
          LIVECHAT_SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS),
        },
      });
      cleanups.push(() => deployment.stop());
      const instance = await deployment.start();
      await deployment.withLogs(async () => {
        const sockets: TestSocket[] = [];
        for (let i = 0; i < LISTENERS; i++) {
          const session = await createSession(instance, `Pendengar ${i}`);
          const socket = await TestSocket.open(listenerUrl(instance, session.sessionToken));
          await socket.next('connection:success');
          sockets.push(socket);
        }
        const floods = sockets.map((socket, i) => flood(socket, `l${i}`));
        await sleep(FLOOD_MS);

        const signalled = Date.now();
        const exit = instance.kill('SIGTERM', SHUTDOWN_TIMEOUT_MS + 20_000);
        const closes = await Promise.all(sockets.map((s) => s.closed));
        const exitInfo = await exit;
        const exitedAfter = Date.now() - signalled;

        const acked = new Set(sockets.flatMap((s) => s.all('message:ack')).map((a) => String(a['clientMessageId'])));
        const refused = sockets.flatMap((s) => s.all('error:unavailable')).length;
        const stored = await storedClientMessageIds(dialect, sqlite?.url ?? deployment.databaseUrl);
        const storedUnacked = stored.filter((id) => !acked.has(id));
        const sent = floods.reduce((sum, f) => sum + f.sent(), 0);
        report(t, `SIGTERM under overload (${dialect})`, 'every stored row acknowledged before the 1001 close', {
          listeners: LISTENERS,
          sent,
          stored: stored.length,
          acknowledged: acked.size,
          refusedDuringDrain: refused,
          storedButUnacknowledged: storedUnacked.length,
          exitedAfterMs: exitedAfter,
          exitCode: exitInfo.code ?? -1,
        });
        assert.ok(stored.length > 0, 'the flood stored something');
        assert.deepEqual(
          closes.filter((c) => c.code !== 1001),
          [],
          'every listener is closed with 1001',
        );
        assert.equal(
          storedUnacked.length,
          0,
          `stored without an ack received: ${storedUnacked.slice(0, 5).join(', ')}`,
        );
        assert.equal(exitInfo.code, 0, 'exit 0');
        assert.ok(exitedAfter < SHUTDOWN_TIMEOUT_MS + 1000, `exits within the shutdown timeout (${exitedAfter} ms)`);
      });
    });
  }
});
