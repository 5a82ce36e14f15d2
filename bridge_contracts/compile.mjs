// Compile a Solidity standard-JSON input with the pinned solc-js package.
//
// Usage: node bridge_contracts/compile.mjs < request.json > reply.json
//
// stdin:  {"jobs": [<standard-JSON compiler input>, ...]} (sources given with `content`).
// stdout: {"version": "<solc long version>", "outputs": [<standard-JSON output>, ...]}, one
//         output per job, in order. Several jobs share one load of the compiler.
//
// Imports that are not among the given sources are resolved by the import callback:
// `@scope/pkg/...` paths are read from the repository's node_modules (OpenZeppelin comes from
// npm, never copied), other paths relative to bridge_contracts/. The Python driver
// (bridge_contracts/build.py) owns everything else: file discovery, settings, artifacts.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, "..");
const nodeModules = join(repoRoot, "node_modules");
const require = createRequire(join(repoRoot, "package.json"));
const solc = require("solc");

function findImports(unitName) {
  const base = unitName.startsWith("@") ? nodeModules : here;
  const path = resolve(base, unitName);
  if (!path.startsWith(base + sep)) {
    return { error: `import escapes its root: ${unitName}` };
  }
  try {
    return { contents: readFileSync(path, "utf8") };
  } catch (err) {
    return { error: `cannot read ${unitName} (${path}): ${err.code ?? err.message}` };
  }
}

const request = JSON.parse(readFileSync(0, "utf8"));
const outputs = request.jobs.map((job) =>
  JSON.parse(solc.compile(JSON.stringify(job), { import: findImports })),
);
process.stdout.write(JSON.stringify({ version: solc.version(), outputs }));
