// A package.json script as the arguments to give Node: the package's own entry script
// (node_modules/.bin/<command>) and the script's arguments. `npm test` and the tests that
// prove a check can fail run exactly what `npm run <name>` runs, with the Node that runs them
// (the pinned 24), not a shell shim's.
import { readFileSync } from "node:fs";
import { join } from "node:path";

const root = join(import.meta.dirname, "..");

/**
 * The arguments that run package.json's script `name` under Node. Only a script that is one
 * command with plain arguments qualifies: shell syntax would need a shell.
 * @param {string} name
 * @returns {string[]}
 */
export function scriptArgs(name) {
  const script = JSON.parse(readFileSync(join(root, "package.json"), "utf8")).scripts?.[name];
  if (typeof script !== "string" || /["'`$|&;<>()\\]/.test(script)) throw new Error(`package.json script "${name}" is not one plain command`);
  const [command, ...args] = script.trim().split(/\s+/);
  return [join(root, "node_modules", ".bin", command), ...args];
}
