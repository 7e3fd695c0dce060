// The headless demo (scripts/demo.sh without a display): the real app logs
// in with the virtual ID card against the stack that scripts/demo.sh
// started, waits for the case the authority opens, opens it, and leaves
// screenshots of each step in the directory given as the first argument.
// Not a test: it asserts nothing beyond reaching each screen.
import { join } from "node:path";
import { startApp } from "./support/app.js";

const [outDir, readyJson] = process.argv.slice(2);
const ready = JSON.parse(readyJson);
const { eid, homeserver } = ready;
const app = await startApp({
  env: {
    AMTSBOTE_HOMESERVER: homeserver,
    AMTSBOTE_IDP: eid.identity_provider,
    SSL_CERT_FILE: eid.ca_file,
    AMTSBOTE_TRUST_ROOTS: ready.trust.roots_file,
  },
});
const shot = async (name) => {
  await app.browser.saveScreenshot(join(outDir, `${name}.png`));
  console.log(`screenshot: ${join(outDir, `${name}.png`)}`);
};
try {
  const b = app.browser;
  const start = await b.$("#eid-start");
  await start.waitForDisplayed({ timeout: 60_000 });
  await shot("1-start");
  await start.scrollIntoView({ block: "center" });
  await start.click();
  const pin = await b.$("#eid-pin");
  await pin.waitForDisplayed({ timeout: 60_000 });
  await shot("2-consent");
  await pin.setValue(eid.pin);
  // Enter in the PIN field submits, as a citizen would.
  await b.keys("Enter");
  await (await b.$('main[data-screen="overview"]')).waitForExist({ timeout: 120_000 });
  const request = await b.$("[data-room-id]");
  await request.waitForExist({ timeout: 120_000 });
  await shot("3-overview");
  await request.scrollIntoView({ block: "center" });
  await request.click();
  await (await b.$("article[data-prompt-type]")).waitForExist({ timeout: 120_000 });
  await shot("4-request");
} finally {
  await app.stop();
}
