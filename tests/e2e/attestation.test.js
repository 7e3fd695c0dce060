// The eID attestation reminder and the renewal step in the real window. A
// development build's password login (the stack's citizen account) has no
// eID attestation: the overview says what that means and offers "Mit
// Ausweis bestätigen", which opens the eID card step in the settings (the
// login's consent and PIN, retitled). The virtual card belongs to another
// account (the card's pseudonym), so the login service refuses to attest
// this one and the app says so. The successful renewal through the real
// login service is tested in login-service's sso_tests and core's
// attestation_renewal; the journey checks the attested state.
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { artifactsDir, startApp } from "./support/app.js";
import { assertAccessible } from "./support/axe.js";
import { shown, waitForText } from "./support/dom.js";
import { startStack } from "./support/processes.js";

const LONG = 120_000;
let stack;
let app;

before(async () => {
  stack = await startStack(["--eid"]);
  const { eid, homeserver, trust } = stack.ready;
  app = await startApp({
    env: {
      AMTSBOTE_HOMESERVER: homeserver,
      AMTSBOTE_IDP: eid.identity_provider,
      SSL_CERT_FILE: eid.ca_file,
      AMTSBOTE_TRUST_ROOTS: trust.roots_file,
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

test("without an attestation the overview and the settings say so, and the card step is offered", async () => {
  const { browser } = app;
  const { homeserver, citizen, eid } = stack.ready;

  // The development build's password login: no eID, so no attestation.
  await shown(browser, "form.dev-login", { timeout: 30_000, timeoutMsg: "no password login in this build (dev-login)" });
  await (await browser.$("#dev-homeserver")).setValue(homeserver);
  await (await browser.$("#dev-user")).setValue(citizen.user_id);
  await (await browser.$("#dev-password")).setValue(citizen.password);
  await (await browser.$('form.dev-login button[type="submit"]')).click();

  await (await browser.$('main[data-screen="overview"][data-attestation="missing"]')).waitForExist({
    timeout: LONG,
    timeoutMsg: "the overview did not read a missing attestation",
  });
  const reminder = await browser.$('[data-testid="attestation-reminder"]');
  assert.match(await reminder.getText(), /Konto nicht mit dem Ausweis bestätigt/);
  assert.match(await reminder.getText(), /Bescheide erst, wenn Ihr Konto mit dem Ausweis bestätigt ist/);
  await assertAccessible(browser, "overview with the attestation reminder");
  await browser.saveScreenshot(join(artifactsDir, "overview-attestation-missing.png"));

  // The reminder's button opens the settings with the card step started.
  await (await browser.$("#attestation-confirm")).click();
  const status = await browser.$('[data-testid="eid-attestation"][data-state="missing"]');
  await status.waitForExist({ timeout: LONG, timeoutMsg: "the settings do not show the missing attestation" });
  assert.equal(await status.getAttribute("data-attested"), "false");
  assert.match(await (await browser.$('[data-testid="eid-attestation-consequence"]')).getText(), /halten Bescheide zurück/);
  await shown(browser, '[data-testid="eid-consent"]', { timeout: 60_000, timeoutMsg: "the card step did not show the service's certificate" });
  assert.match(await (await browser.$("#eid-title")).getText(), /Konto mit dem Personalausweis bestätigen/);
  await waitForText(browser, '[data-testid="eid-readers"]', (text) => text.includes(eid.reader), {
    timeout: 30_000,
    timeoutMsg: `the reader ${eid.reader} is not listed`,
  });
  await assertAccessible(browser, "settings with the card step for the attestation");
  await browser.saveScreenshot(join(artifactsDir, "settings-attestation-renew.png"));

  // The card's pseudonym is another account: the login service attests
  // only that one, and the app says what went wrong.
  await (await browser.$("#eid-pin")).setValue(eid.pin);
  await browser.keys("Enter");
  const error = await browser.$('[data-testid="eid-error"]');
  await error.waitForExist({ timeout: LONG, timeoutMsg: "no error after the refused attestation" });
  assert.match(await error.getText(), /Gehört dieser Ausweis zu diesem Konto\?/);
  assert.equal(await browser.execute(() => document.getElementById("eid-pin")?.value ?? ""), "");
  assert.equal(await (await browser.$('[data-testid="eid-attestation"]')).getAttribute("data-state"), "missing");
});
