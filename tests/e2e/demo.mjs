// The headless demo (scripts/demo.sh without a display): the real app logs
// in with the virtual ID card against the stack that scripts/demo.sh
// started, walks the case the authority opens to its decision
// (support/demo.js) and leaves a screenshot of each step in the directory
// given as the first argument. It fails, naming the step, when a screen
// does not appear or the authority did not receive an answer.
//
//   node tests/e2e/demo.mjs OUT_DIR READY_JSON STACK_STDOUT_FILE
//
// STACK_STDOUT_FILE is where scripts/demo.sh writes g2c-stack's stdout: the
// authority's answer lines are read from it. The app must be a `dev-login`
// build: WebDriver cannot answer the native file dialog, such builds take
// the answer from AMTSBOTE_TEST_PICK_PATHS.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { startApp } from "./support/app.js";
import { demoDocument, playDemo } from "./support/demo.js";

const [outDir, readyJson, stackStdout] = process.argv.slice(2);
if (!outDir || !readyJson || !stackStdout) {
  console.error("usage: node tests/e2e/demo.mjs OUT_DIR READY_JSON STACK_STDOUT_FILE");
  process.exit(2);
}
const ready = JSON.parse(readyJson);
const { eid, homeserver } = ready;

/** The authority's lines so far (g2c-stack's stdout). */
function authorityLines() {
  return readFileSync(stackStdout, "utf8")
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line))
    .filter((line) => line.event === "authority");
}

const app = await startApp({
  env: {
    AMTSBOTE_HOMESERVER: homeserver,
    AMTSBOTE_IDP: eid.identity_provider,
    SSL_CERT_FILE: eid.ca_file,
    AMTSBOTE_TRUST_ROOTS: ready.trust.roots_file,
    AMTSBOTE_TEST_PICK_PATHS: demoDocument,
  },
});
const shot = async (name) => {
  const file = join(outDir, `${name}.png`);
  await app.browser.saveScreenshot(file);
  console.log(`screenshot: ${file}`);
};
const authorityAnswer = async (kind) => {
  let found;
  await app.browser.waitUntil(
    () => {
      found = authorityLines().find((line) => line.outcome === "answer" && line.kind === kind);
      return found !== undefined;
    },
    { timeout: 120_000, interval: 250, timeoutMsg: `the authority did not receive the ${kind}` },
  );
  return found;
};
try {
  await playDemo(app.browser, { ready, authorityAnswer, shot });
  console.log("The demo reached the decision: every answer arrived at the authority, the notice was acknowledged.");
} catch (error) {
  console.error(error.message);
  process.exitCode = 1;
} finally {
  await app.stop();
}
