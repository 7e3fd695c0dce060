// Logging the citizen in, in one place: today the development password
// form; the eID login with the virtual card replaces this helper later.

/** Logs in as `citizen` ({ user, password }) on `homeserver` through the dev login form. */
export async function logIn(browser, { homeserver, citizen }) {
  const user = await browser.$("#dev-user");
  await user.waitForDisplayed({ timeout: 30_000, timeoutMsg: "the development login form did not appear" });
  const homeserverField = await browser.$("#dev-homeserver");
  await homeserverField.clearValue();
  await homeserverField.setValue(homeserver);
  await user.setValue(citizen.user);
  await (await browser.$("#dev-password")).setValue(citizen.password);
  await (await browser.$("form.dev-login button[type=submit]")).click();
  const main = await browser.$('main[data-screen="overview"]');
  await main.waitForExist({ timeout: 120_000, timeoutMsg: "the overview did not appear after login" });
}
