// The README's first command, headless, as CI runs it: `g2c-stack --eid
// --scenario scenarios/fishing-permit.toml` (the authority plays the case as
// soon as the card's citizen logged in, and sends the decision only to an
// eID-attested citizen), and the demo's walk through it (support/demo.js,
// which tests/e2e/demo.mjs runs for scripts/demo.sh). The journey
// (journey.test.js) drives the authority tool itself and checks each screen
// in depth; this checks the stack's scenario mode and the demo's own steps.
import { join } from "node:path";
import { after, before, test } from "node:test";
import { artifactsDir, repoRoot, startApp } from "./support/app.js";
import { demoDocument, playDemo } from "./support/demo.js";
import { startStack } from "./support/processes.js";

let stack;
let app;

before(async () => {
  stack = await startStack(["--eid", "--scenario", join(repoRoot, "scenarios", "fishing-permit.toml")]);
  const { eid, homeserver, trust } = stack.ready;
  app = await startApp({
    env: {
      AMTSBOTE_HOMESERVER: homeserver,
      AMTSBOTE_IDP: eid.identity_provider,
      SSL_CERT_FILE: eid.ca_file,
      AMTSBOTE_TRUST_ROOTS: trust.roots_file,
      AMTSBOTE_TEST_PICK_PATHS: demoDocument,
    },
  });
});

after(async () => {
  try {
    await app?.stop();
  } finally {
    await stack?.stop();
  }
});

test("the demo reaches the acknowledged decision", async () => {
  await playDemo(app.browser, {
    ready: stack.ready,
    authorityAnswer: (kind) =>
      stack.lines.next((line) => line.event === "authority" && line.outcome === "answer" && line.kind === kind, `the authority's ${kind}`, 120_000),
    shot: (name) => app.browser.saveScreenshot(join(artifactsDir, `demo-${name}.png`)),
  });
});
