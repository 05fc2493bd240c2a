/**
 * Tracing helpers: while no tracer provider is registered they skip the
 * OpenTelemetry API (no span, no context, no carrier); once one is, every
 * call records its span and publications carry the trace context.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { context, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { injectTraceContext, inSpan, inSpanSync, tracingActive } from '../../src/tracing.js';

describe('tracing helpers', () => {
  test('off until a provider is registered, then every span is recorded', async () => {
    assert.equal(tracingActive(), false);
    const off = await inSpan('livechat.test', { attribute: 1 }, async (span) => {
      assert.equal(span.isRecording(), false);
      assert.equal(trace.getActiveSpan(), undefined, 'no context switch');
      return 'done';
    });
    assert.equal(off, 'done');
    assert.equal(injectTraceContext(), undefined);
    await assert.rejects(
      inSpan('livechat.test', {}, async () => {
        throw new Error('boom');
      }),
      /boom/,
    );
    // A callback that throws before returning its promise still rejects, never throws.
    const thrown = inSpan('livechat.test', {}, () => {
      throw new Error('sync boom');
    });
    await assert.rejects(thrown, /sync boom/);
    assert.equal(
      inSpanSync('livechat.test', {}, (span) => (span.isRecording() ? 'recording' : 'off')),
      'off',
    );

    const exporter = new InMemorySpanExporter();
    const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
    provider.register();
    try {
      assert.equal(tracingActive(), true);
      let carrier: Record<string, string> | undefined;
      await inSpan('livechat.outer', { 'livechat.direction': 'listener' }, async (span) => {
        assert.equal(span.isRecording(), true);
        assert.equal(trace.getActiveSpan(), span);
        carrier = injectTraceContext(context.active());
      });
      assert.match(carrier?.['traceparent'] ?? '', /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
      await assert.rejects(
        inSpan('livechat.failing', {}, async () => {
          throw new Error('boom');
        }),
      );
      assert.equal(
        inSpanSync('livechat.sync', {}, (span) => {
          assert.equal(trace.getActiveSpan(), span);
          return 42;
        }),
        42,
      );
      assert.throws(
        () =>
          inSpanSync('livechat.sync-failing', {}, () => {
            throw new Error('sync boom');
          }),
        /sync boom/,
      );
      const spans = exporter.getFinishedSpans();
      assert.deepEqual(
        spans.map((span) => span.name),
        ['livechat.outer', 'livechat.failing', 'livechat.sync', 'livechat.sync-failing'],
      );
      assert.equal(spans[3]!.status.code, 2, 'the error is recorded on the synchronous span');
      assert.equal(spans[0]!.attributes['livechat.direction'], 'listener');
      assert.equal(spans[1]!.status.code, 2, 'the error is recorded on the span');
    } finally {
      await provider.shutdown();
    }
  });
});
