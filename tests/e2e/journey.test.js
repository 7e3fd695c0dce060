// The citizen's journey through the real app, against a real homeserver and
// the authority's real side: g2c-stack starts Synapse, the virtual ID card
// and the eID login service; the citizen logs in with the card (PIN, then
// the login service's TA/CA/RI relayed through the app); `g2c-authority run-scenario`
// plays the fishing-permit case; the citizen picks an appointment, answers
// the inquiry, uploads a document (the file dialog's answer is injected),
// chooses pickup and acknowledges the decision. Each answer must arrive at
// the authority as a JSON line with the right content. Every screen is
// checked with axe-core and photographed into tests/e2e/artifacts/.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { artifactsDir, repoRoot, startApp } from "./support/app.js";
import { assertAccessible } from "./support/axe.js";
import { shown } from "./support/dom.js";
import { logIn } from "./support/login.js";
import { runAuthority, spawnAuthority, startStack } from "./support/processes.js";

const LONG = 120_000;
const documentPath = join(repoRoot, "icons", "128x128.png");
const scratch = mkdtempSync(join(tmpdir(), "amtsbote-journey-"));
const recoveryKeyPath = join(scratch, "recovery-key.txt");
const authorityDataDir = join(scratch, "authority");

let stack;
let app;
let scenario;

before(async () => {
  // With the virtual ID card and the eID login service: the citizen logs
  // in with the card, as a citizen would.
  stack = await startStack(["--eid"]);
  const { eid, homeserver } = stack.ready;
  app = await startApp({
    env: {
      AMTSBOTE_HOMESERVER: homeserver,
      AMTSBOTE_IDP: eid.identity_provider,
      // The login service's TLS certificate comes from the stack's own CA.
      SSL_CERT_FILE: eid.ca_file,
      // The stack's test government root: authorities are verified by
      // their certificate chains up to it.
      AMTSBOTE_TRUST_ROOTS: stack.ready.trust.roots_file,
      // Native dialogs are invisible to WebDriver: dev-login builds take
      // their answers from these instead.
      AMTSBOTE_TEST_PICK_PATHS: documentPath,
      AMTSBOTE_TEST_SAVE_PATH: recoveryKeyPath,
    },
  });
});

after(async () => {
  scenario?.child.kill();
  await app?.stop();
  await stack?.stop();
  rmSync(scratch, { recursive: true, force: true });
});

async function screenshot(name) {
  await app.browser.saveScreenshot(join(artifactsDir, `${name}.png`));
}

/** The card of the prompt of `type`, once it exists. */
async function card(type) {
  const element = await app.browser.$(`article[data-prompt-type="${type}"]`);
  await element.waitForExist({ timeout: LONG, timeoutMsg: `no ${type} card` });
  return element;
}

/** The button labelled `label` in the card of `type`, found from the page's root. */
function buttonIn(type, label) {
  return app.browser.$(`//article[@data-prompt-type="${type}"]//button[normalize-space(.)="${label}"]`);
}

/** Waits until the card of `type` shows its answer as sent. */
async function waitSent(type) {
  const state = await app.browser.$(`article[data-prompt-type="${type}"] [data-send-state="sent"]`);
  await state.waitForExist({ timeout: LONG, timeoutMsg: `the ${type} answer was not sent` });
}

/** The authority's answer line of `kind`. */
function answer(kind) {
  return scenario.lines.next((line) => line.outcome === "answer" && line.kind === kind, `a ${kind} answer`, LONG);
}

test("the start screen is accessible", async () => {
  const { browser } = app;
  await shown(browser, "#eid-start", { timeout: 30_000 });
  await assertAccessible(browser, "start screen");
  await screenshot("start");
});

test("the citizen logs in and sees the case the authority opened", async () => {
  const { browser } = app;
  const { homeserver, authority, eid } = stack.ready;
  await logIn(browser, stack.ready, { onConsent: () => screenshot("login-consent") });

  const env = { G2C_AUTHORITY_PASSWORD: authority.password };
  await runAuthority(["--data-dir", authorityDataDir, "login", "--homeserver", homeserver, "--user", authority.user], env);
  // The authority publishes its certificate (from the stack's test PKI) in the room it opens.
  const certificate = stack.ready.trust;
  scenario = spawnAuthority(
    [
      "--data-dir",
      authorityDataDir,
      "run-scenario",
      join(repoRoot, "scenarios", "fishing-permit.toml"),
      "--citizen",
      eid.user_id,
      "--certificate",
      certificate.authority_chain,
      "--certificate-key",
      certificate.authority_key,
      // The notice goes out only once the app has published the login
      // service's eID attestation of the citizen's master key in the room.
      "--require-attestation",
      eid.attestation_issuer,
      "--attestation-jwks",
      eid.attestation_jwks_file,
    ],
    env,
  );

  const open = await browser.$("button.request-open=Angelschein");
  await open.waitForExist({ timeout: LONG, timeoutMsg: "the fishing-permit case did not appear in the overview" });
  const item = await browser.$("li.request.needs-action");
  await item.waitForExist({ timeout: LONG, timeoutMsg: "the case is not marked as needing action" });
  assert.match(await item.getText(), /Fischereiamt Berlin/);
  assert.match(await item.getText(), /FA-B-2025-004711/);
  // The card login got the account its eID attestation: once the overview
  // has read it, there is no reminder to confirm the account.
  await (await browser.$('main[data-screen="overview"][data-attestation="valid"]')).waitForExist({
    timeout: LONG,
    timeoutMsg: "the overview did not read a valid eID attestation",
  });
  assert.equal(await (await browser.$('[data-testid="attestation-reminder"]')).isExisting(), false);
  await assertAccessible(browser, "overview");
  await screenshot("overview");

  // Keyboard: the search narrows the list, Enter opens the request, focus lands on its heading.
  await (await browser.$("#request-search")).setValue("fischerei");
  assert.equal(await (await browser.$$("li.request")).length, 1);
  await browser.execute(() => document.querySelector("button.request-open")?.focus());
  await browser.keys("Enter");
  const heading = await browser.$('main[data-screen="request"]').$("h1=Angelschein");
  await heading.waitForExist({ timeout: LONG, timeoutMsg: "the request page did not open" });
  await browser.waitUntil(async () => (await browser.execute(() => document.activeElement?.tagName)) === "H1", {
    timeout: 10_000,
    timeoutMsg: "the focus is not on the request's heading",
  });
  assert.match(await browser.getTitle(), /^Angelschein – Amtsbote$/);

  // The authority is verified by its certificate: the header names it as the certificate does.
  const trust = await browser.$('[data-testid="authority-trust"][data-trust="verified"]');
  await trust.waitForExist({ timeout: LONG, timeoutMsg: "the authority is not shown as verified" });
  assert.equal(await (await trust.$('[data-testid="authority-certificate-name"]')).getText(), stack.ready.trust.authority_name);
  assert.match(await trust.getText(), /Identität bestätigt \(Zertifikat\)/);
  // German authority text in the German app needs no language of its own
  // (english-keyboard.test.js checks the English app marks it).
  assert.equal(await browser.execute(() => document.querySelectorAll("#main [lang]").length), 0);
  await assertAccessible(browser, "request page, verified authority");
  await screenshot("request-verified");
});

test("the four questions arrive as cards, and the page is accessible", async () => {
  const { browser } = app;
  for (const type of ["appointmentOffer", "inquiry", "documentRequest", "choice"]) {
    const element = await card(type);
    await browser.waitUntil(async () => (await element.getAttribute("data-prompt-state")) === "open", { timeout: LONG });
  }
  const appointment = await card("appointmentOffer");
  assert.match(await appointment.getText(), /Freitag, 19\. September 2025, 09:00–09:30 Uhr/);
  assert.match(await appointment.getText(), /Havelchaussee 149-151/);
  await assertAccessible(browser, "request page with open questions");
  await screenshot("request");
});

test("an appointment is booked", async () => {
  const { browser } = app;
  const appointment = await card("appointmentOffer");
  await (await appointment.$("label*=Freitag, 19. September 2025")).click();
  await (await appointment.$("button=Termin buchen")).click();
  const line = await answer("appointment_selection");
  assert.equal(line.content.slot_id, "2025-09-19-0900");
  assert.equal(line.encrypted, true);
  await waitSent("appointmentOffer");
  assert.match(await (await card("appointmentOffer")).getText(), /Termin: Freitag, 19\. September 2025/);
});

test("the inquiry is answered, with the counter", async () => {
  const { browser } = app;
  const inquiry = await card("inquiry");
  const text = "In Berlin, im März 2019 (Fischereiprüfung beim Fischereiamt).";
  const field = await inquiry.$("textarea");
  await field.setValue(text);
  assert.match(await (await inquiry.$(".counter")).getText(), new RegExp(`^${[...text].length} von 2000 Zeichen$`));
  await (await inquiry.$("button=Antwort senden")).click();
  const line = await answer("inquiry_answer");
  assert.equal(line.content.text, text);
  await waitSent("inquiry");
});

test("a document is added through the (injected) file dialog, previewed and sent", async () => {
  const { browser } = app;
  await card("documentRequest");
  // Found from the page's root each time: the page re-renders when the
  // earlier answers' send states change, which would leave a card found
  // before stale.
  await (await buttonIn("documentRequest", "Dokument hinzufügen")).click();
  const file = await browser.$('article[data-prompt-type="documentRequest"] li.file.ready');
  await file.waitForExist({ timeout: LONG, timeoutMsg: "the picked file was not checked and listed" });
  assert.match(await file.getText(), /128x128\.png/);
  assert.match(await file.getText(), /Metadaten entfernt|unverändert/);
  await assertAccessible(browser, "documents card with a picked file");
  await screenshot("documents");
  await (await buttonIn("documentRequest", "Dokument senden")).click();
  const line = await answer("documents_submission");
  assert.equal(line.content.documents.length, 1);
  assert.equal(line.content.documents[0].document_id, "id_card_copy");
  assert.equal(line.content.documents[0].files.length, 1);
  await waitSent("documentRequest");
  // The scenario confirms the documents: the receipt appears in the timeline.
  const receipt = await browser.$('[data-testid="documents-received"]');
  await receipt.waitForExist({ timeout: LONG, timeoutMsg: "no documents-received receipt" });
});

test("pickup is chosen", async () => {
  const choice = await card("choice");
  await (await choice.$("label=Abholung vor Ort")).click();
  await (await choice.$("button=Antwort senden")).click();
  const line = await answer("choice_selection");
  assert.deepEqual(line.content.option_ids, ["pickup"]);
  await waitSent("choice");
});

test("the decision arrives and its receipt is acknowledged", async () => {
  const { browser } = app;
  const notice = await card("notice");
  await browser.waitUntil(async () => (await notice.getAttribute("data-prompt-state")) === "open", { timeout: LONG });
  assert.match(await notice.getText(), /Bescheid über die Erteilung eines Fischereischeins/);
  assert.match(await notice.getText(), /Fischereischein\.pdf öffnen \(PDF/);
  await screenshot("notice");
  await (await notice.$("button=Empfang bestätigen")).click();
  const line = await answer("notice_acknowledgement");
  assert.ok(line.prompt_event_id);
  await waitSent("notice");
  // The scenario is over once the acknowledgement is in.
  await browser.waitUntil(() => scenario.lines.exit !== null, { timeout: LONG, timeoutMsg: "the scenario did not finish" });
  assert.equal(scenario.lines.exit.code, 0);
  assert.match(await (await browser.$('[data-testid="todo"]')).getText(), /nichts tun/);
  await assertAccessible(browser, "request page, everything answered");
  await screenshot("request-answered");
});

test("back by keyboard returns to the overview, where nothing waits any more", async () => {
  const { browser } = app;
  await browser.keys(["Alt", "ArrowLeft"]);
  const main = await browser.$('main[data-screen="overview"]');
  await main.waitForExist({ timeout: 10_000, timeoutMsg: "Alt+Left did not go back" });
  // From the page's root: the overview re-renders as the list changes.
  await browser.waitUntil(async () => !(await (await browser.$("li.request")).getAttribute("class")).includes("needs-action"), {
    timeout: LONG,
    timeoutMsg: "the case still needs action",
  });
  assert.match(await (await browser.$("li.request")).getText(), /Entschieden/);
});

test("a room opened without the certificate shows the authority as unverified, with the reason", async () => {
  const { browser } = app;
  const { authority, eid } = stack.ready;
  const request = join(scratch, "request-without-certificate.json");
  writeFileSync(
    request,
    JSON.stringify({
      service_name: "Fischereiabgabe",
      authority_name: "Fischereiamt Berlin",
      reference_number: "FA-B-2025-004712",
      submitted_at: "2025-09-02T09:00:00+02:00",
    }),
  );
  const env = { G2C_AUTHORITY_PASSWORD: authority.password };
  await runAuthority(["--data-dir", authorityDataDir, "open-room", "--citizen", eid.user_id, "--request", request], env);

  const open = await browser.$("button.request-open=Fischereiabgabe");
  await open.waitForExist({ timeout: LONG, timeoutMsg: "the second case did not appear in the overview" });
  // From the page's root: the overview re-renders as the list changes.
  const markerOf = (service) =>
    browser.$(`//li[contains(@class, "request")][.//button[normalize-space(.)="${service}"]]//*[@data-testid="trust-marker"]`);
  const marker = await markerOf("Fischereiabgabe");
  await marker.waitForExist({ timeout: LONG, timeoutMsg: "the unverified authority has no marker in the overview" });
  assert.match(await marker.getText(), /Identität nicht bestätigt/);
  await screenshot("overview-unverified");
  // The verified case has no marker.
  assert.equal(await (await markerOf("Angelschein")).isExisting(), false);

  await open.click();
  const trust = await browser.$('[data-testid="authority-trust"][data-trust="unverified"]');
  await trust.waitForExist({ timeout: LONG, timeoutMsg: "the authority is not shown as unverified" });
  assert.equal(await trust.getAttribute("data-reason"), "noCertificate");
  assert.match(await trust.getText(), /Identität der Behörde nicht bestätigt/);
  assert.match(await trust.getText(), /Die Behörde hat kein Zertifikat vorgelegt\./);
  await assertAccessible(browser, "request page, unverified authority");
  await screenshot("request-unverified");
});

test("settings show the pseudonym and devices, export the recovery key to a file, and log out", async () => {
  const { browser } = app;
  await (await browser.$("#nav-settings")).click();
  const userId = await browser.$('[data-testid="user-id"]');
  await userId.waitForExist({ timeout: LONG, timeoutMsg: "the settings did not load the account" });
  // The card's pseudonym, not a name: the login service derived it from
  // the card's Restricted Identification.
  assert.equal(await userId.getText(), stack.ready.eid.user_id);
  assert.match(await (await browser.$("ul.devices")).getText(), /Dieses Gerät/);
  // The login service attested this login's master key (the authority
  // required it for the decision above).
  const attestation = await browser.$('[data-testid="eid-attestation"]');
  assert.equal(await attestation.getAttribute("data-attested"), "true");
  assert.match(await attestation.getText(), /Ausgestellt/);
  // The key is not in the page until the citizen asks for it.
  assert.equal(await browser.execute(() => document.getElementById("recovery-key")?.textContent ?? ""), "");
  await assertAccessible(browser, "settings");
  await screenshot("settings");

  await (await browser.$("#export-recovery-key")).click();
  const notice = await browser.$('[data-testid="settings-notice"]');
  await notice.waitForExist({ timeout: LONG });
  await browser.waitUntil(async () => /gespeichert/.test(await notice.getText()), { timeout: LONG, timeoutMsg: "the export did not report success" });
  const key = readFileSync(recoveryKeyPath, "utf8").trim();
  assert.ok(key.length > 20, "the file holds the recovery key");
  assert.equal(statSync(recoveryKeyPath).mode & 0o077, 0, "only the citizen may read the file");
  assert.equal(await browser.execute((secret) => document.body.textContent?.includes(secret) ?? true, key), false, "the key stays out of the page");

  await (await browser.$("#logout")).click();
  const confirm = await browser.$("#logout-confirm");
  await confirm.waitForDisplayed();
  assert.equal(await browser.execute(() => document.activeElement?.id), "logout-confirm");
  await assertAccessible(browser, "logout confirmation");
  await confirm.click();
  await (await browser.$('main[data-screen="welcome"]')).waitForExist({ timeout: LONG, timeoutMsg: "logout did not return to the start screen" });
});
