// The example app with the OpenTelemetry SDK registered the way an app registers it: an
// instrumentation.ts whose register() sets a tracer provider and the AsyncLocalStorage
// context manager on the Node runtime. Finished spans are appended as JSON lines to the file
// named by NCS_SPANS_FILE at run time, for the test to read back.
import { writeFileSync } from "node:fs";
import { join } from "node:path";

const INSTRUMENTATION = `export async function register() {
  if (process.env.NEXT_RUNTIME === "nodejs" && process.env.NCS_SPANS_FILE) await import("./instrumentation-node");
}
`;

const INSTRUMENTATION_NODE = `import { appendFileSync } from "node:fs";
import { context, trace } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { BasicTracerProvider, type ReadableSpan, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";

const file = process.env.NCS_SPANS_FILE!;
const exporter = {
  export(spans: ReadableSpan[], done: (result: { code: number }) => void) {
    for (const span of spans) {
      const { spanId, traceId } = span.spanContext();
      const line = { name: span.name, spanId, traceId, parent: span.parentSpanContext?.spanId, attributes: span.attributes, status: span.status };
      appendFileSync(file, \`\${JSON.stringify(line)}\\n\`);
    }
    done({ code: 0 });
  },
  async shutdown() {},
};
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }));
`;

/** Add the instrumentation files to a copy of the example app; returns the folder. */
export function writeTracedFiles(dir: string): string {
  writeFileSync(join(dir, "instrumentation.ts"), INSTRUMENTATION);
  writeFileSync(join(dir, "instrumentation-node.ts"), INSTRUMENTATION_NODE);
  return dir;
}

/** A span as instrumentation-node.ts writes it. */
export interface WrittenSpan {
  name: string;
  spanId: string;
  traceId: string;
  parent: string | undefined;
  attributes: Record<string, unknown>;
  status: { code: number; message?: string };
}
