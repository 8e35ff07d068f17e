// The library's own internals, for its testing kit and tests: not a package export, not public API.
export { type Core, coreOf, createCore } from "./session/core.ts";
