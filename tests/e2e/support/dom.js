// Waiting for what the page shows, robust against re-renders. The UI builds
// a screen anew when its data changes (a reader plugged in, a sync, an event
// of the authority), and WebKitWebDriver reports an element reference whose
// node was replaced as gone rather than stale, which WebdriverIO does not
// retry by itself: a reference looked up before a re-render then never
// becomes displayed. These helpers look the element up afresh each time.

const DEFAULT_TIMEOUT = 60_000;

/** Resolves with the element at `selector` once it is displayed. */
export async function shown(browser, selector, { timeout = DEFAULT_TIMEOUT, timeoutMsg = `${selector} was not shown` } = {}) {
  await browser.waitUntil(
    async () => {
      try {
        return await (await browser.$(selector)).isDisplayed();
      } catch {
        return false;
      }
    },
    { timeout, timeoutMsg },
  );
  return browser.$(selector);
}

/** Waits until the element at `selector` has a text that `accepts` takes. */
export async function waitForText(browser, selector, accepts, { timeout = DEFAULT_TIMEOUT, timeoutMsg } = {}) {
  await browser.waitUntil(
    async () => {
      try {
        return accepts(await (await browser.$(selector)).getText());
      } catch {
        return false;
      }
    },
    { timeout, timeoutMsg: timeoutMsg ?? `${selector} did not show the expected text` },
  );
}
