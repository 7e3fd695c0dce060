// Logging the citizen in, in one place: with the virtual ID card, as a
// citizen does: start the eID login, see who asks for what (the consent
// from the service's certificate), enter the PIN, wait for the overview.
import { shown, waitForText } from "./dom.js";

/**
 * Logs in with the card described by `ready.eid` (g2c-stack's ready line).
 * `onConsent` runs while the consent screen is shown (e.g. a screenshot).
 */
export async function logIn(browser, ready, { onConsent } = {}) {
  await shown(browser, "#eid-start", { timeout: 30_000, timeoutMsg: "the eID login did not appear" });
  await waitForText(browser, '[data-testid="eid-readers"]', (text) => text.includes(ready.eid.reader), {
    timeout: 30_000,
    timeoutMsg: `the reader ${ready.eid.reader} is not listed`,
  });
  const start = await shown(browser, "#eid-start");
  await start.scrollIntoView({ block: "center" });
  await start.click();
  await shown(browser, '[data-testid="eid-consent"]', { timeout: 60_000, timeoutMsg: "the service's certificate was not shown" });
  const rights = await (await browser.$('[data-testid="eid-rights"]')).getText();
  if (!/Pseudonym/.test(rights)) throw new Error(`the service asks for more than the pseudonym: ${rights}`);
  if (onConsent) await onConsent();
  await (await shown(browser, "#eid-pin")).setValue(ready.eid.pin);
  // Enter in the PIN field submits, as a citizen would.
  await browser.keys("Enter");
  const main = await browser.$('main[data-screen="overview"]');
  await main.waitForExist({ timeout: 120_000, timeoutMsg: "the overview did not appear after the card login" });
  // The field is emptied on submit: the PIN does not stay in the page.
  const left = await browser.execute(() => document.getElementById("eid-pin")?.value ?? "");
  if (left !== "") throw new Error("the PIN stayed in the page");
}
