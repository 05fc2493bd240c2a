/**
 * What one listener connection may cost the server: a flood of typing frames
 * (alternating true/false), of refused frames (markup-only text that cleans
 * to nothing, frames that are not JSON) and 100,000 valid sends written at
 * once. Each flood closes the flooding connection with 1008 (the contract's
 * abuse close) after a bounded number of frames, a broadcaster's dashboard
 * stays connected and hears at most one typing signal per throttle interval,
 * another listener's send is still acknowledged quickly, and what arrives after
 * the close decision is not processed. On both dialects and both brokers.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import WebSocket from 'ws';
import { TestSocket, adminUrl, connectListener, json, loginAdmin } from '../helpers/clients.js';
import { matrix } from '../helpers/server.js';
import { sleep, waitFor } from '../helpers/wait.js';
import { withServer } from '../helpers/with-server.js';
import { report } from './lib/report.js';

/** Default limits: 10 messages per 10 s window, 10 refusals, so a budget of 6 × (10 + 10) frames. */
const FRAME_BUDGET = 120;
/** A 16 KiB frame of markup only: cleaning it is the costly part, and it cleans to nothing. */
const MARKUP_ONLY = '<b>'.repeat(5000);

/** One counter's value (summed over its labels) from the `/metrics` text. */
function metric(text: string, name: string): number {
  let sum = 0;
  for (const line of text.split('\n')) if (line.startsWith(`${name}{`)) sum += Number(line.split(' ').pop());
  return sum;
}

for (const { dialect, broker } of matrix()) {
  describe(`flood attacks from one listener on ${dialect} with the ${broker} broker`, () => {
    const server = withServer({ dialect, broker });

    const listener = () => connectListener(server);
    const received = async () =>
      metric((await json(`${server.baseUrl}/metrics`)).body, 'livechat_messages_received_total');
    const stored = async (token: string, sessionId: string) =>
      (await json(`${server.baseUrl}/livechat/admin/sessions/${sessionId}/messages?limit=500`, { token })).body
        .messages as unknown[];
    /** Another listener's send, acknowledged while (or right after) the flood runs: its latency in ms. */
    const ackLatency = async () => {
      const { socket } = await listener();
      const started = performance.now();
      socket.send('message:send', { text: 'masih di sini?', clientMessageId: 'other' });
      await socket.next('message:ack', 5000);
      const ms = performance.now() - started;
      await socket.close();
      return ms;
    };
    const closedWith1008 = async (socket: TestSocket) => {
      await waitFor(() => socket.ws.readyState === WebSocket.CLOSED, {
        message: 'the flooding connection to close',
        timeoutMs: 20_000,
        intervalMs: 20,
      });
      assert.equal((await socket.closed).code, 1008, 'the flooding connection is closed with 1008');
    };

    test('a typing flood (alternating true/false) is throttled and closed; dashboards stay', async (t) => {
      const adminToken = await loginAdmin(server);
      const dashboard = await TestSocket.open(adminUrl(server, adminToken));
      await dashboard.next('connection:success');
      await ackLatency(); // warms the message path up: the first message of a server is slower
      const { session, socket } = await listener();
      const before = dashboard.frames.length;
      for (let i = 0; i < 20_000; i++) socket.send('user:typing', { isTyping: i % 2 === 0 });
      await closedWith1008(socket);
      const latency = await ackLatency();
      await sleep(1500);
      const typing = dashboard.frames
        .slice(before)
        .filter((f) => f.event === 'user:typing' && f.data['sessionId'] === session.sessionId);
      assert.ok(typing.length <= 3, `at most one typing signal per second reached the dashboard (${typing.length})`);
      assert.equal(dashboard.ws.readyState, WebSocket.OPEN, 'the dashboard stays connected');
      assert.ok(latency < 2000, `another listener is acked in ${latency.toFixed(0)} ms`);
      await dashboard.close();
      report(t, 'typing flood', '1008 close; dashboard connected; typing throttled', {
        frames: 20_000,
        typingForwarded: typing.length,
        otherAckMs: Math.round(latency),
      });
    });

    for (const [kind, frame] of [
      [
        'markup-only sends (cleaned to nothing)',
        JSON.stringify({ event: 'message:send', data: { text: MARKUP_ONLY } }),
      ],
      ['frames that are not JSON', 'not json'.repeat(100)],
    ] as const) {
      test(`a flood of refused frames (${kind}) counts toward the 1008 close`, async (t) => {
        const { socket } = await listener();
        const before = await received();
        for (let i = 0; i < 2000; i++) socket.sendRaw(frame);
        await closedWith1008(socket);
        const latency = await ackLatency();
        const refused = socket.all('error:invalid_payload').length;
        assert.ok(refused <= FRAME_BUDGET, `at most the frame budget was answered (${refused})`);
        assert.ok((await received()) - before <= FRAME_BUDGET + 1, 'at most the frame budget was processed');
        assert.ok(latency < 2000, `another listener is acked in ${latency.toFixed(0)} ms`);
        report(t, `refused-frame flood: ${kind}`, '1008 close after the frame budget', {
          frames: 2000,
          answered: refused,
          otherAckMs: Math.round(latency),
        });
      });
    }

    test('over the rate limit, a text is refused before it is cleaned', async () => {
      const { socket } = await listener();
      for (let i = 0; i < 10; i++) socket.send('message:send', { text: `pesan ${i}`, clientMessageId: `m${i}` });
      for (let i = 0; i < 10; i++) await socket.next('message:ack');
      socket.send('message:send', { text: MARKUP_ONLY, clientMessageId: 'markup' });
      const refusal = await socket.next('error:rate_limited', 5000, (d) => d['clientMessageId'] === 'markup');
      assert.ok(Number(refusal['retryAfterMs']) > 0);
      assert.equal(socket.all('error:invalid_payload').length, 0, 'the markup was never cleaned');
      await socket.close();
    });

    test('100,000 valid sends written at once: closed with 1008, the rest is not processed', async (t) => {
      const adminToken = await loginAdmin(server);
      const { session, socket } = await listener();
      const before = await received();
      for (let i = 0; i < 100_000; i++) socket.send('message:send', { text: `banjir ${i}`, clientMessageId: `f${i}` });
      await closedWith1008(socket);
      const latency = await ackLatency();
      await sleep(500);
      const processed = (await received()) - before - 1; // the other listener's send
      const rows = (await stored(adminToken, session.sessionId)).length;
      assert.ok(processed <= FRAME_BUDGET, `at most the frame budget was processed (${processed})`);
      assert.ok(rows <= 10, `at most the rate limit was stored (${rows})`);
      assert.ok(latency < 2000, `another listener is acked in ${latency.toFixed(0)} ms`);
      report(t, '100,000 valid sends at once', '1008 close; the rest dropped unprocessed', {
        frames: 100_000,
        processed,
        stored: rows,
        otherAckMs: Math.round(latency),
      });
    });
  });
}
