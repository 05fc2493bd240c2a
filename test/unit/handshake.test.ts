/**
 * The WebSocket handshake when the database does not answer: the upgrade is
 * refused with 503 (the client may retry) and the cause is logged, not dropped.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { describe, test } from 'node:test';
import pino from 'pino';
import { TokenService } from '../../src/auth/tokens.js';
import type { Store } from '../../src/db/types.js';
import { checkHandshake } from '../../src/ws/handshake.js';

const tokens = new TokenService('x'.repeat(32));

/** A store whose lookups fail as a database that went away does. */
const downStore = {
  sessions: { get: () => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:5432')) },
  admins: { findById: () => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:5432')) },
} as unknown as Store;

/** Runs the handshake of `url` against the down store; its result and log lines. */
async function handshakeWhileDown(url: string) {
  const lines: Record<string, unknown>[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line)) });
  const request = { url, headers: {} } as IncomingMessage;
  const result = await checkHandshake(request, {
    config: { allowedOrigins: undefined },
    tokens,
    store: downStore,
    logger,
  });
  return { result, lines };
}

describe('checkHandshake: database down', () => {
  test('a listener upgrade answers 503 and logs the cause with its error', async () => {
    const { token } = await tokens.signListener({ sessionId: randomUUID(), name: 'Budi', city: '' }, 60);
    const { result, lines } = await handshakeWhileDown(`/livechat/ws?token=${token}`);
    assert.deepEqual(result, { ok: false, status: 503, reason: 'unavailable' });
    assert.equal(lines.length, 1);
    const line = lines[0]!;
    assert.equal(line['level'], 50, 'logged as an error');
    assert.equal((line['err'] as { message?: string } | undefined)?.message, 'connect ECONNREFUSED 127.0.0.1:5432');
    assert.equal(line['path'], '/livechat/ws', 'the path without the token');
    assert.ok(!JSON.stringify(line).includes(token), 'the token is not logged');
  });

  test('a broadcaster upgrade answers 503 and logs the cause', async () => {
    const { token } = await tokens.signBroadcaster({ adminId: '1', name: 'Penyiar' }, 60);
    const { result, lines } = await handshakeWhileDown(`/livechat/admin/ws?token=${token}`);
    assert.deepEqual(result, { ok: false, status: 503, reason: 'unavailable' });
    assert.equal(lines.length, 1);
    assert.equal(lines[0]!['level'], 50);
    assert.equal(lines[0]!['kind'], 'broadcaster');
  });
});
