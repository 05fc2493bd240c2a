/**
 * One trace follows a message: spans from an in-memory exporter show
 * message → validate → store → publish on the sender's instance and deliver
 * on the broadcaster's instance (another process-level instance on the Redis
 * broker), all with one trace id.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { TestSocket, adminUrl, createSession, listenerUrl, loginAdmin } from '../helpers/clients.js';
import type { TestServer } from '../helpers/server.js';
import { withInstances } from '../helpers/with-server.js';
import { sleep } from '../helpers/wait.js';

const exporter = new InMemorySpanExporter();
const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
provider.register();

describe('tracing across two instances on the Redis broker', () => {
  const [a, b] = withInstances(2) as [TestServer, TestServer];
  after(async () => {
    await provider.shutdown();
  });

  test('a listener message on A delivered to a broadcaster on B is one trace', async () => {
    const admin = await TestSocket.open(adminUrl(b, await loginAdmin(b)));
    await admin.next('connection:success');
    const session = await createSession(a);
    const listener = await TestSocket.open(listenerUrl(a, session.sessionToken));
    await listener.next('connection:success');
    await admin.next('presence:update');
    exporter.reset();

    listener.send('message:send', { text: 'lacak saya', clientMessageId: 'trace-1' });
    const ack = await listener.next('message:ack');
    const fresh = await admin.next('message:new');
    assert.equal(fresh['messageId'], ack['messageId']);
    await sleep(100);

    const spans = exporter.getFinishedSpans();
    const root = spans.find((s) => s.name === 'livechat.message');
    assert.ok(root, `a message span exists among ${spans.map((s) => s.name).join(', ')}`);
    const traceId = root.spanContext().traceId;
    const inTrace = spans.filter((s) => s.spanContext().traceId === traceId);
    const byName = (name: string) => inTrace.filter((s) => s.name === name);
    for (const name of ['livechat.validate', 'livechat.store', 'livechat.publish']) {
      assert.equal(byName(name).length, 1, name);
      assert.equal(parentOf(byName(name)[0]!), root.spanContext().spanId, `${name} is a child of the message span`);
    }
    const start = (name: string) => hr(byName(name)[0]!.startTime);
    assert.ok(start('livechat.validate') <= start('livechat.store'));
    assert.ok(start('livechat.store') <= start('livechat.publish'));
    const deliveries = byName('livechat.deliver');
    const remote = deliveries.filter((s) => s.attributes['livechat.channel_kind'] === 'broadcasters');
    assert.ok(remote.length >= 1, 'the delivery on the broadcaster instance joined the trace');
    for (const delivery of remote) assert.ok(hr(delivery.startTime) >= start('livechat.publish'));
    await listener.close();
    await admin.close();
  });
});

function parentOf(span: ReadableSpan): string | undefined {
  return span.parentSpanContext?.spanId;
}

function hr(time: [number, number]): number {
  return time[0] * 1e9 + time[1];
}
