// Lets plain Node (with --experimental-transform-types) run the library's TypeScript
// sources: `next/server`, `next/headers`, … have no "exports" map, so Node's ESM resolver
// needs the file name that bundlers and vitest find on their own.
import { registerHooks } from "node:module";

registerHooks({
  resolve(specifier, context, nextResolve) {
    try {
      return nextResolve(specifier, context);
    } catch (error) {
      if (error?.code === "ERR_MODULE_NOT_FOUND" && /^next\/[\w/-]+$/.test(specifier)) {
        return nextResolve(`${specifier}.js`, context);
      }
      throw error;
    }
  },
});
