/**
 * OpenTelemetry tracing. Spans are created through the API everywhere; they
 * cost nothing until a tracer provider is registered, which `startTracing`
 * does only when the standard OTEL_* variables ask for an OTLP export.
 * Trace context travels inside broker publications (W3C traceparent), so one
 * trace follows a message from the sender's instance to every delivering one.
 */
import {
  context,
  INVALID_SPAN_CONTEXT,
  propagation,
  ProxyTracerProvider,
  trace,
  SpanStatusCode,
  type Context,
  type Span,
} from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';

const TRACER_NAME = 'suara-pendengar-livechat';

export function tracer() {
  return trace.getTracer(TRACER_NAME);
}

/** True when the environment asks for an OTLP trace export. */
export function tracingRequested(env: Record<string, string | undefined>): boolean {
  if (env['OTEL_SDK_DISABLED'] === 'true') return false;
  const exporter = env['OTEL_TRACES_EXPORTER'];
  if (exporter !== undefined) return exporter.split(',').includes('otlp');
  return Boolean(env['OTEL_EXPORTER_OTLP_ENDPOINT'] || env['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT']);
}

/** Registers the global tracer provider with an OTLP/HTTP exporter (configured by OTEL_* variables). */
export function startTracing(env: Record<string, string | undefined>, version: string): NodeTracerProvider | undefined {
  if (!tracingRequested(env)) return undefined;
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({
      [ATTR_SERVICE_NAME]: env['OTEL_SERVICE_NAME'] ?? 'livechat',
      [ATTR_SERVICE_VERSION]: version,
    }),
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter())],
  });
  provider.register();
  return provider;
}

/** What the API's global provider hands out while no tracer provider is registered. */
const NOOP_PROVIDER = new ProxyTracerProvider().getDelegate();
/** Passed to `inSpan` callbacks while tracing is off: records nothing. */
const NO_SPAN = trace.wrapSpanContext(INVALID_SPAN_CONTEXT);

/**
 * True once a tracer provider is registered. Until then the helpers below
 * skip the API altogether: its no-op spans still cost a context and several
 * closures per call, and the message path makes four such calls per message.
 */
export function tracingActive(): boolean {
  const provider = trace.getTracerProvider();
  return !(provider instanceof ProxyTracerProvider) || provider.getDelegate() !== NOOP_PROVIDER;
}

/** The current trace context as a carrier for a publication (undefined when not tracing). */
export function injectTraceContext(ctx: Context = context.active()): Record<string, string> | undefined {
  if (!tracingActive()) return undefined;
  const carrier: Record<string, string> = {};
  propagation.inject(ctx, carrier);
  return Object.keys(carrier).length > 0 ? carrier : undefined;
}

export function extractTraceContext(carrier: Record<string, string> | undefined): Context {
  return carrier ? propagation.extract(context.active(), carrier) : context.active();
}

type SpanAttributes = Record<string, string | number | boolean | undefined>;

/**
 * Runs `fn` inside a new active span, ending it (with the error recorded) when
 * `fn` settles. While tracing is off it only calls `fn`: no promise of its own.
 */
export function inSpan<T>(
  name: string,
  attributes: SpanAttributes,
  fn: (span: Span) => Promise<T>,
  parent?: Context,
): Promise<T> {
  if (!tracingActive()) {
    try {
      return fn(NO_SPAN);
    } catch (error) {
      return Promise.reject(error);
    }
  }
  return tracer().startActiveSpan(name, { attributes }, parent ?? context.active(), async (span) => {
    try {
      return await fn(span);
    } catch (error) {
      recordFailure(span, error);
      throw error;
    } finally {
      span.end();
    }
  });
}

/** Runs the synchronous `fn` inside a new span (see `inSpan`). */
export function inSpanSync<T>(name: string, attributes: SpanAttributes, fn: (span: Span) => T): T {
  if (!tracingActive()) return fn(NO_SPAN);
  return tracer().startActiveSpan(name, { attributes }, (span) => {
    try {
      return fn(span);
    } catch (error) {
      recordFailure(span, error);
      throw error;
    } finally {
      span.end();
    }
  });
}

/** Marks the span failed, with the error as an exception event. */
function recordFailure(span: Span, error: unknown): void {
  span.recordException(error as Error);
  span.setStatus({ code: SpanStatusCode.ERROR });
}
