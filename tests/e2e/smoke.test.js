// Smoke test of the real app: ui/ renders in the Tauri window, a typed
// command round-trips through IPC, and the language switch works.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { artifactsDir, startApp, workspaceVersion } from "./support/app.js";

let app;

before(async () => {
  app = await startApp();
});

after(async () => {
  await app?.stop();
});

test("ui/ renders in German with the version the app_info command returns", async () => {
  const { browser } = app;
  const version = await browser.$('[data-testid="app-version"]');
  // The footer only shows a version after app_info came back over IPC.
  await version.waitForDisplayed({ timeout: 30_000 });
  assert.equal(await version.getText(), `Version ${workspaceVersion()}`);

  const heading = await browser.$("h1");
  assert.equal(await heading.getText(), "Ihre Anliegen bei Behörden – sicher und digital");
  assert.equal(await browser.execute(() => document.documentElement.lang), "de");

  await browser.saveScreenshot(join(artifactsDir, "smoke-de.png"));
  // The whole X screen as well: the window as a person sees it.
  execFileSync("import", ["-window", "root", join(artifactsDir, "smoke-window.png")]);
});

test("the language switch works by keyboard and changes every text", async () => {
  const { browser } = app;
  const toggle = await browser.$("button.language");
  await toggle.waitForDisplayed();
  await browser.execute(() => document.querySelector("button.language")?.focus());
  await browser.keys("Enter");

  const heading = await browser.$("h1");
  await heading.waitUntil(async () => (await heading.getText()).startsWith("Your matters"), {
    timeout: 10_000,
    timeoutMsg: "the heading did not switch to English",
  });
  assert.equal(await browser.execute(() => document.documentElement.lang), "en");
  assert.equal(await browser.execute(() => document.activeElement?.className), "language");
  assert.equal(await toggle.getText(), "Deutsch");
  await browser.saveScreenshot(join(artifactsDir, "smoke-en.png"));
});
