// Logging the citizen in, in one place: with the virtual ID card, as a
// citizen does: start the eID login, see who asks for what (the consent
// from the service's certificate), enter the PIN, wait for the overview.

/**
 * Logs in with the card described by `ready.eid` (g2c-stack's ready line).
 * `onConsent` runs while the consent screen is shown (e.g. a screenshot).
 */
export async function logIn(browser, ready, { onConsent } = {}) {
  const start = await browser.$("#eid-start");
  await start.waitForDisplayed({ timeout: 30_000, timeoutMsg: "the eID login did not appear" });
  const readers = await browser.$('[data-testid="eid-readers"]');
  await readers.waitUntil(async () => (await readers.getText()).includes(ready.eid.reader), {
    timeout: 30_000,
    timeoutMsg: `the reader ${ready.eid.reader} is not listed`,
  });
  await start.scrollIntoView({ block: "center" });
  await start.click();
  const consent = await browser.$('[data-testid="eid-consent"]');
  await consent.waitForDisplayed({ timeout: 60_000, timeoutMsg: "the service's certificate was not shown" });
  const rights = await (await browser.$('[data-testid="eid-rights"]')).getText();
  if (!/Pseudonym/.test(rights)) throw new Error(`the service asks for more than the pseudonym: ${rights}`);
  if (onConsent) await onConsent();
  const pin = await browser.$("#eid-pin");
  await pin.setValue(ready.eid.pin);
  // Enter in the PIN field submits, as a citizen would.
  await browser.keys("Enter");
  const main = await browser.$('main[data-screen="overview"]');
  await main.waitForExist({ timeout: 120_000, timeoutMsg: "the overview did not appear after the card login" });
  // The field is emptied on submit: the PIN does not stay in the page.
  const left = await browser.execute(() => document.getElementById("eid-pin")?.value ?? "");
  if (left !== "") throw new Error("the PIN stayed in the page");
}

/**
 * Logs out through the settings, so that the next test file's app starts at
 * the login again: one e2e run shares the app's data directory and the
 * keychain, and a stored session would be restored. For `after` hooks:
 * resolves without doing anything when nobody is logged in.
 */
export async function logOut(browser) {
  const settings = await browser.$("#nav-settings");
  if (!(await settings.isDisplayed())) return;
  await settings.click();
  const logout = await browser.$("#logout");
  await logout.waitForDisplayed({ timeout: 60_000, timeoutMsg: "the settings did not offer the logout" });
  await logout.click();
  const confirm = await browser.$("#logout-confirm");
  await confirm.waitForDisplayed({ timeout: 10_000 });
  await confirm.click();
  await (await browser.$('main[data-screen="welcome"]')).waitForExist({ timeout: 60_000, timeoutMsg: "logout did not return to the start screen" });
}
