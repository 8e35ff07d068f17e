import { context, trace } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { BasicTracerProvider, InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { afterAll, afterEach, beforeAll } from "vitest";

/**
 * The OpenTelemetry SDK registered for the enclosing tests as an app registers it
 * (`instrumentation.ts`): a tracer provider exporting to memory, and the AsyncLocalStorage
 * context manager, so spans nest. Unregistered after them; the spans forgotten after each.
 */
export function useInMemoryTracing() {
  const exporter = new InMemorySpanExporter();
  beforeAll(() => {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }));
  });
  afterEach(() => exporter.reset());
  afterAll(() => {
    trace.disable();
    context.disable();
  });
  const spans = () => exporter.getFinishedSpans();
  return {
    exporter,
    spans,
    named: (name: string) => spans().filter((s) => s.name === name),
    /** The span `span` was started under, among those finished. */
    parentOf: (span: ReadableSpan) => spans().find((s) => s.spanContext().spanId === span.parentSpanContext?.spanId),
  };
}
