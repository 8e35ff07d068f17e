// The layers of src/, lowest first: a module may import from its own layer and those below,
// never from one above, and no import cycle is allowed anywhere. ARCHITECTURE.md says what
// each layer holds and why the order is this one. `npm run check:layers` (part of `npm test`).
const LAYERS = ["lib", "store", "config", "verify", "cognito", "persistence", "session", "http", "flows", "next"];

const upward = LAYERS.map((layer, index) => ({
  name: `no-upward-from-${layer}`,
  comment: `src/${layer}/ may import only from ${LAYERS.slice(0, index + 1).join(", ")} (and packages)`,
  severity: "error",
  from: { path: `^src/${layer}/` },
  to: { path: `^src/(?!(${LAYERS.slice(0, index + 1).join("|")})/)` },
}));

/** @type {import("dependency-cruiser").IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: "no-cycles",
      comment: "An import cycle ties modules into one; break it by moving what both need into a lower layer.",
      severity: "error",
      from: {},
      to: { circular: true },
    },
    ...upward,
    {
      name: "next-only-in-next",
      comment: "Only src/next/ speaks to Next.js; everything below it runs on any runtime.",
      severity: "error",
      from: { path: "^src/", pathNot: "^src/(next|testing)/" },
      // next/ resolves under node_modules/ wherever that lies: here, in a linked tree, or in pnpm's store.
      to: { path: "(^|/)node_modules/next/|^next(/|$)", dependencyTypesNot: ["type-only"] },
    },
    {
      name: "client-imports-only-react",
      comment:
        "src/client/ and its entry run in the browser: React, and types of the session view, and nothing else (no server module, no node:*, no next/*), so no token, secret or server code reaches a client bundle.",
      severity: "error",
      from: { path: "^src/client(/|\\.ts$)" },
      to: { pathNot: "^src/client/|(^|/)node_modules/react/|^react$", dependencyTypesNot: ["type-only"] },
    },
    {
      name: "client-not-imported",
      comment:
        "The client modules are reached through their entry (next-cognito-session/client) only: a server module importing them would drag React's client code into it.",
      severity: "error",
      from: { path: "^src/", pathNot: "^src/client(/|\\.ts$)" },
      to: { path: "^src/client/" },
    },
    {
      name: "entries-not-imported",
      comment: "Entry points (src/*.ts) are the package's doors; nothing inside the library imports them.",
      severity: "error",
      from: { path: "^src/[^/]+/", pathNot: "^src/testing/" },
      to: { path: "^src/[^/]+\\.ts$" },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: { extensions: [".ts", ".js", ".mjs"] },
  },
};
