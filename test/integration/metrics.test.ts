/**
 * Metrics move with traffic: scrape, send, scrape again, compare. Also on two
 * instances over the Redis broker: Redis health gauges and the cross-instance
 * delivery lag histogram.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  TestSocket,
  adminUrl,
  createSession,
  json,
  listenerUrl,
  loginAdmin,
  upgradeStatus,
} from '../helpers/clients.js';
import type { TestServer } from '../helpers/server.js';
import { withInstances, withServer } from '../helpers/with-server.js';
import { sleep } from '../helpers/wait.js';

type Samples = Map<string, number>;

/** Parses the Prometheus text format into `name{labels}` → value (labels sorted, instance_id dropped). */
function parse(text: string): Samples {
  const samples: Samples = new Map();
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || line.trim() === '') continue;
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)$/.exec(line);
    if (!match) continue;
    const labels = (match[2] ?? '')
      .split(/,(?=[a-zA-Z_]\w*=")/)
      .filter((l) => l && !l.startsWith('instance_id='))
      .sort()
      .join(',');
    samples.set(labels ? `${match[1]}{${labels}}` : match[1]!, Number(match[3]));
  }
  return samples;
}

async function scrape(server: TestServer): Promise<Samples> {
  const response = await json(`${server.baseUrl}/metrics`);
  assert.equal(response.status, 200);
  return parse(response.body as string);
}

const delta = (before: Samples, after: Samples, key: string) => (after.get(key) ?? 0) - (before.get(key) ?? 0);

describe('metrics on one instance', () => {
  const server = withServer({ env: { LIVECHAT_RATE_LIMIT_MESSAGES: '3' } });

  test('counters, gauges and histograms follow the traffic', async () => {
    const first = await scrape(server);
    const admin = await TestSocket.open(adminUrl(server, await loginAdmin(server)));
    await admin.next('connection:success');
    const session = await createSession(server);
    const listener = await TestSocket.open(listenerUrl(server, session.sessionToken));
    await listener.next('connection:success');
    listener.send('message:send', { text: 'satu' });
    listener.send('message:send', { text: 'dua' });
    await listener.next('message:ack');
    await listener.next('message:ack');
    // The limit (3) is taken before the text is cleaned: the empty text takes the last point.
    listener.send('message:send', { text: '' });
    await listener.next('error:invalid_payload');
    listener.send('message:send', { text: 'tiga' });
    await listener.next('error:rate_limited');
    admin.send('message:reply', { sessionId: session.sessionId, text: 'balas' });
    await admin.next('message:ack');
    await listener.next('message:receive');
    assert.equal(await upgradeStatus(listenerUrl(server, 'bad-token')), 401);

    const second = await scrape(server);
    assert.equal(delta(first, second, 'livechat_connections_open{kind="listener"}'), 1);
    assert.equal(delta(first, second, 'livechat_connections_open{kind="broadcaster"}'), 1);
    assert.equal(delta(first, second, 'livechat_connects_total{kind="listener"}'), 1);
    assert.equal(delta(first, second, 'livechat_upgrades_refused_total{reason="unauthorized"}'), 1);
    assert.equal(delta(first, second, 'livechat_messages_received_total{direction="listener"}'), 4);
    assert.equal(delta(first, second, 'livechat_messages_stored_total{direction="listener"}'), 2);
    assert.equal(delta(first, second, 'livechat_messages_stored_total{direction="broadcaster"}'), 1);
    assert.equal(delta(first, second, 'livechat_messages_acked_total{direction="listener",duplicate="false"}'), 2);
    assert.equal(delta(first, second, 'livechat_messages_refused_total{reason="rate_limited"}'), 1);
    assert.equal(delta(first, second, 'livechat_messages_refused_total{reason="invalid_payload"}'), 1);
    assert.equal(delta(first, second, 'livechat_messages_delivered_total{event="message:new"}'), 3);
    assert.equal(delta(first, second, 'livechat_messages_delivered_total{event="message:receive"}'), 1);
    assert.equal(delta(first, second, 'livechat_send_ack_latency_seconds_count{direction="listener"}'), 2);
    assert.equal(delta(first, second, 'livechat_db_write_latency_seconds_count'), 3);
    assert.ok(delta(first, second, 'livechat_bus_published_total{channel_kind="broadcasters"}') >= 4);
    assert.ok(second.has('nodejs_eventloop_lag_seconds'), 'event-loop delay is exported');
    assert.ok(second.has('process_resident_memory_bytes'));

    await listener.close();
    await sleep(50);
    const third = await scrape(server);
    assert.equal(delta(second, third, 'livechat_connections_open{kind="listener"}'), -1);
    assert.ok(delta(second, third, 'livechat_disconnects_total{code="1005",kind="listener"}') >= 1);
    await admin.close();
  });
});

describe('metrics on two instances over Redis', () => {
  const [a, b] = withInstances(2) as [TestServer, TestServer];

  test('Redis health gauges and cross-instance delivery lag', async () => {
    const before = await scrape(b);
    assert.equal(before.get('livechat_redis_connected'), 1);
    assert.equal(before.get('livechat_redis_subscription_healthy'), 1);
    const admin = await TestSocket.open(adminUrl(b, await loginAdmin(b)));
    await admin.next('connection:success');
    const session = await createSession(a);
    const listener = await TestSocket.open(listenerUrl(a, session.sessionToken));
    await listener.next('connection:success');
    listener.send('message:send', { text: 'lintas instance' });
    await admin.next('message:new');
    const after = await scrape(b);
    assert.ok(delta(before, after, 'livechat_bus_delivery_lag_seconds_count') >= 2, 'presence and message crossed');
    assert.ok(delta(before, after, 'livechat_redis_broker_events_total{event="received"}') >= 2);
    await listener.close();
    await admin.close();
  });
});
