// The demo's walk through the fishing-permit case (scenarios/fishing-permit.toml,
// played by `g2c-stack --eid --scenario`), shared by the headless demo
// (tests/e2e/demo.mjs, which scripts/demo.sh runs without a display) and its
// CI check (tests/e2e/demo.test.js). It fails with the step it was at when a
// screen does not appear, and checks that the authority received each answer.
import assert from "node:assert/strict";
import { join } from "node:path";
import { repoRoot } from "./app.js";
import { waitForText } from "./dom.js";
import { logIn } from "./login.js";

const LONG = 120_000;

/** The file the demo "uploads": the injected answer of the file dialog (dev-login builds). */
export const demoDocument = join(repoRoot, "icons", "128x128.png");

/**
 * Walks the case in `browser` as the card's citizen.
 * - `ready`: g2c-stack's ready line;
 * - `authorityAnswer(kind)`: resolves with the authority's answer line of `kind`
 *   (`{"event":"authority","outcome":"answer","kind":…}`) once it arrived;
 * - `shot(name)`: takes a screenshot.
 */
export async function playDemo(browser, { ready, authorityAnswer, shot }) {
  let step = "start";
  const at = (name) => {
    step = name;
  };
  try {
    at("the start screen with the card reader");
    await logIn(browser, ready, {
      onConsent: async () => {
        await shot("1-consent");
      },
    });

    at("the case in the overview");
    const open = await browser.$("button.request-open=Angelschein");
    await open.waitForExist({ timeout: LONG, timeoutMsg: "the fishing-permit case did not appear in the overview" });
    await (await browser.$("li.request.needs-action")).waitForExist({ timeout: LONG, timeoutMsg: "the case is not marked as needing action" });
    // The scenario asks four questions, then waits for answers: from then
    // on the list stays as it is, and no re-render takes the click away.
    await waitForText(browser, "li.request.needs-action", (text) => text.includes("4 offene Rückfragen"), {
      timeout: LONG,
      timeoutMsg: "the overview did not count the scenario's four questions",
    });
    await shot("2-overview");

    at("the request page with a verified authority");
    await (await browser.$("button.request-open=Angelschein")).click();
    // From the page's root: the page re-renders as the room's events arrive.
    await waitForText(
      browser,
      '[data-testid="authority-trust"][data-trust="verified"] [data-testid="authority-certificate-name"]',
      (text) => text === ready.trust.authority_name,
      { timeout: LONG, timeoutMsg: `the authority is not shown as verified with the name ${ready.trust.authority_name}` },
    );
    for (const type of ["appointmentOffer", "inquiry", "documentRequest", "choice"]) await openCard(browser, type);
    await shot("3-request");

    at("booking the appointment");
    await (await (await card(browser, "appointmentOffer")).$("label*=Freitag, 19. September 2025")).click();
    await (await buttonIn(browser, "appointmentOffer", "Termin buchen")).click();
    assert.equal((await authorityAnswer("appointment_selection")).content.slot_id, "2025-09-19-0900");
    await waitSent(browser, "appointmentOffer");

    at("answering the inquiry");
    const text = "In Berlin, im März 2019 (Fischereiprüfung beim Fischereiamt).";
    await (await (await card(browser, "inquiry")).$("textarea")).setValue(text);
    await (await buttonIn(browser, "inquiry", "Antwort senden")).click();
    assert.equal((await authorityAnswer("inquiry_answer")).content.text, text);
    await waitSent(browser, "inquiry");

    at("sending the ID card copy");
    await (await buttonIn(browser, "documentRequest", "Dokument hinzufügen")).click();
    const file = await browser.$('article[data-prompt-type="documentRequest"] li.file.ready');
    await file.waitForExist({ timeout: LONG, timeoutMsg: "the picked file was not checked and listed" });
    await (await buttonIn(browser, "documentRequest", "Dokument senden")).click();
    assert.equal((await authorityAnswer("documents_submission")).content.documents[0].document_id, "id_card_copy");
    await waitSent(browser, "documentRequest");

    at("choosing pickup");
    await (await (await card(browser, "choice")).$("label=Abholung vor Ort")).click();
    await (await buttonIn(browser, "choice", "Antwort senden")).click();
    assert.deepEqual((await authorityAnswer("choice_selection")).content.option_ids, ["pickup"]);
    await waitSent(browser, "choice");
    await shot("4-answered");

    // The authority sends the decision only to a citizen whose app published
    // the login service's eID attestation (`--require-attestation`).
    at("the decision notice (needs the citizen's eID attestation)");
    await openCard(browser, "notice");
    await waitForText(
      browser,
      'article[data-prompt-type="notice"]',
      (text) => /Bescheid über die Erteilung eines Fischereischeins/.test(text),
      { timeout: LONG, timeoutMsg: "the notice does not show the decision's title" },
    );
    await (await card(browser, "notice")).scrollIntoView({ block: "center" });
    await shot("5-notice");
    await (await buttonIn(browser, "notice", "Empfang bestätigen")).click();
    assert.ok((await authorityAnswer("notice_acknowledgement")).prompt_event_id);
    await waitSent(browser, "notice");
    await shot("6-acknowledged");

    at("the settings with the eID attestation");
    await (await browser.$("#nav-settings")).click();
    const attestation = await browser.$('[data-testid="eid-attestation"]');
    await attestation.waitForExist({ timeout: LONG, timeoutMsg: "the settings did not load the account" });
    assert.equal(await attestation.getAttribute("data-attested"), "true");
    await shot("7-settings");
  } catch (error) {
    await shot("failed").catch(() => undefined);
    throw new Error(`the demo stopped at ${step}: ${error.message}`, { cause: error });
  }
}

/** The card of the prompt of `type`, once it exists. */
async function card(browser, type) {
  const element = await browser.$(`article[data-prompt-type="${type}"]`);
  await element.waitForExist({ timeout: LONG, timeoutMsg: `no ${type} card` });
  return element;
}

/** The card of `type` once it is open for an answer. */
async function openCard(browser, type) {
  const element = await card(browser, type);
  await browser.waitUntil(async () => (await element.getAttribute("data-prompt-state")) === "open", {
    timeout: LONG,
    timeoutMsg: `the ${type} card is not open`,
  });
  return element;
}

/** The button labelled `label` in the card of `type`, found from the page's root (the page re-renders). */
function buttonIn(browser, type, label) {
  return browser.$(`//article[@data-prompt-type="${type}"]//button[normalize-space(.)="${label}"]`);
}

/** Waits until the card of `type` shows its answer as sent. */
async function waitSent(browser, type) {
  const state = await browser.$(`article[data-prompt-type="${type}"] [data-send-state="sent"]`);
  await state.waitForExist({ timeout: LONG, timeoutMsg: `the ${type} answer was not sent` });
}
