// The peer apps' Next config: each peer is copied beside the repository's root folder, whose
// node_modules hold every library, and built there with `next build`.
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";

const root = dirname(dirname(fileURLToPath(import.meta.url)));

/** @type {import("next").NextConfig} */
export default { poweredByHeader: false, turbopack: { root }, outputFileTracingRoot: root };
