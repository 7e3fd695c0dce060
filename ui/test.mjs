// Runs the UI's unit tests (ui/test/*.test.ts) without a browser: esbuild
// bundles each test file for Node into a temporary directory, then Node's
// own test runner runs them. Only DOM-free modules are tested this way
// (formatting, validation, reducers, filters, routing); the screens are
// tested in the real window by tests/e2e.
import { build } from "esbuild";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const testDir = fileURLToPath(new URL("./test/", import.meta.url));
const outdir = mkdtempSync(join(tmpdir(), "amtsbote-ui-test-"));
try {
  const entryPoints = readdirSync(testDir)
    .filter((name) => name.endsWith(".test.ts"))
    .map((name) => join(testDir, name));
  await build({
    entryPoints,
    bundle: true,
    platform: "node",
    format: "esm",
    target: ["node20"],
    outdir,
    outExtension: { ".js": ".mjs" },
    logLevel: "warning",
  });
  const files = readdirSync(outdir).map((name) => join(outdir, name));
  const run = spawnSync(process.execPath, ["--test", "--test-reporter=spec", ...files], { stdio: "inherit" });
  process.exitCode = run.status ?? 1;
} finally {
  rmSync(outdir, { recursive: true, force: true });
}
