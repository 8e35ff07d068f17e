// The benchmarks that build the example app for production, in one process so that each
// variant is built once: middleware bundle sizes, the load test, then the refresh storm.
// Each can also run alone: node … bench/app/<name>.ts
export {};

await import("./app/bundle.ts");
await import("./app/e2e.ts");
await import("./app/refresh-storm.ts");
