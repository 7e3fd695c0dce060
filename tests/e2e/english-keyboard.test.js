// The English switch and a keyboard-only walk through the real app. The
// other tests check the German screens; this one switches to English with
// Tab and Enter alone (no clicks), then on every screen it reaches (start,
// overview, a request with open questions, settings) checks that the
// document says it is English, that no text of the German catalogue that
// differs from the English one is left in the page (ui/src/i18n/de.ts
// against en.ts), and that axe-core finds no WCAG 2.1 AA violation. It
// answers a choice with the keyboard (Tab, Space, the arrow keys, Enter)
// and checks the answer at the authority, and after each navigation that
// the focus is visible and on the new page's heading, as the router
// promises. The cheapest set-up: g2c-stack without the card (the
// development build's password login, as attestation.test.js uses) and
// the authority tool playing a two-question scenario.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { runInNewContext } from "node:vm";
import { artifactsDir, repoRoot, startApp } from "./support/app.js";
import { assertAccessible } from "./support/axe.js";
import { shown } from "./support/dom.js";
import { runAuthority, spawnAuthority, startStack } from "./support/processes.js";

const LONG = 120_000;
const scratch = mkdtempSync(join(tmpdir(), "amtsbote-english-"));
const authorityDataDir = join(scratch, "authority");

// Two questions in German, as a German authority writes them: the
// authority's text is not the app's, and no catalogue text is in it.
const scenarioFile = join(scratch, "english-keyboard.toml");
writeFileSync(
  scenarioFile,
  `name = "english-keyboard"
answer_timeout_secs = 120

[request]
service_name = "Angelschein"
authority_name = "Fischereiamt Berlin"
reference_number = "FA-B-2025-004713"
submitted_at = "2025-09-01T10:15:00+02:00"

[[steps]]
action = "set_status"
status = "action_required"

[[steps]]
action = "send_prompt"
id = "inquiry"
type = "inquiry"

[steps.content]
question = "Wo haben Sie die Fischereiprüfung abgelegt?"
max_answer_length = 500

[[steps]]
action = "send_prompt"
id = "delivery"
type = "choice"

[steps.content]
question = "Wie möchten Sie Ihren Fischereischein erhalten?"
mode = "single"
options = [
    { id = "pickup", label = "Abholung vor Ort" },
    { id = "mail", label = "Zusendung per Post" },
]

[[steps]]
action = "wait_for_answer"
prompt = "delivery"
`,
);

/** A message catalogue (`export const NAME … = { … }`) read from ui/src/i18n, evaluated as the object literal it is. */
function catalogue(file, name) {
  const source = readFileSync(join(repoRoot, "ui", "src", "i18n", file), "utf8");
  const start = source.indexOf("{", source.indexOf(`export const ${name}`));
  const end = source.indexOf("\n}", start);
  if (start < 0 || end < 0) throw new Error(`no catalogue ${name} in ${file}`);
  return runInNewContext(`(${source.slice(start, end + 2)})`);
}

/**
 * The German texts that must not appear in English: the literal parts of
 * every German message that differs from its English one (placeholders cut
 * out), at least 6 characters long, and in no English message.
 */
function germanOnlyTexts() {
  const de = catalogue("de.ts", "de");
  const en = catalogue("en.ts", "en");
  const english = Object.values(en);
  const texts = new Set();
  for (const [key, german] of Object.entries(de)) {
    // The switch names the other language in that language ("English").
    if (german === en[key] || key === "language.switch") continue;
    for (const part of german.split(/\{\w+\}/)) {
      const text = part.replace(/\s+/g, " ").trim();
      if (text.length >= 6 && !english.some((value) => value.includes(text))) texts.add(text);
    }
  }
  return [...texts];
}

const GERMAN = germanOnlyTexts();

let stack;
let app;
let scenario;
let authorityLogin;

before(async () => {
  stack = await startStack();
  const { homeserver, authority, trust } = stack.ready;
  // The authority logs in while the app starts.
  authorityLogin = runAuthority(["--data-dir", authorityDataDir, "login", "--homeserver", homeserver, "--user", authority.user], {
    G2C_AUTHORITY_PASSWORD: authority.password,
  });
  app = await startApp({ env: { AMTSBOTE_HOMESERVER: homeserver, AMTSBOTE_TRUST_ROOTS: trust.roots_file } });
});

after(async () => {
  scenario?.child.kill();
  await authorityLogin?.catch(() => undefined);
  try {
    await app?.stop();
  } finally {
    await stack?.stop();
    rmSync(scratch, { recursive: true, force: true });
  }
});

/** What has the focus: a short description, and whether it shows a focus indicator. */
function focused() {
  return app.browser.execute(() => {
    const element = document.activeElement;
    if (!element || element === document.body) return { what: "body", visible: false, heading: false };
    const style = getComputedStyle(element);
    const outline = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2;
    return {
      what: `${element.tagName.toLowerCase()}${element.id ? `#${element.id}` : ""} "${(element.textContent ?? "").trim().slice(0, 60)}"`,
      heading: element.tagName === "H1" && element.closest("#main") !== null,
      visible: element.matches(":focus-visible") && (outline || style.boxShadow !== "none"),
    };
  });
}

/** Presses Tab (or Shift+Tab) until the focused element matches `selector`; fails after `max` presses. */
async function tabTo(selector, { backwards = false, max = 40 } = {}) {
  const { browser } = app;
  for (let presses = 0; presses <= max; presses += 1) {
    if (await browser.execute((wanted) => document.activeElement?.matches(wanted) ?? false, selector)) {
      const focus = await focused();
      assert.ok(focus.visible, `${selector} has the focus but shows no focus indicator`);
      return;
    }
    await browser.keys(backwards ? ["Shift", "Tab"] : ["Tab"]);
  }
  throw new Error(`${selector} was not reached with ${max} presses of ${backwards ? "Shift+Tab" : "Tab"}; the focus is on ${(await focused()).what}`);
}

/** After a navigation: the focus is on the new page's h1, visibly. */
async function assertFocusOnHeading(screen) {
  let focus;
  await app.browser
    .waitUntil(async () => (focus = await focused()).heading, { timeout: 10_000 })
    .catch(() => assert.fail(`${screen}: the focus is not on the page's heading but on ${focus?.what}`));
  assert.ok(focus.visible, `${screen}: the focus on the heading is not visible (${focus.what})`);
}

/** Every text in the page a person sees or hears (text, labels, titles, the window title), outside parts marked as another language. */
function pageTexts() {
  return app.browser.execute(() => {
    const texts = [document.title];
    const otherLanguage = (element) => {
      const marked = element.closest("[lang]");
      return marked !== null && marked !== document.documentElement && !marked.lang.startsWith("en");
    };
    for (const element of document.body.querySelectorAll("*")) {
      if (["SCRIPT", "STYLE", "NOSCRIPT"].includes(element.tagName) || otherLanguage(element)) continue;
      for (const node of element.childNodes) if (node.nodeType === Node.TEXT_NODE) texts.push(node.data);
      for (const name of ["aria-label", "title", "placeholder", "alt", "aria-roledescription"]) {
        const value = element.getAttribute(name);
        if (value) texts.push(value);
      }
    }
    return texts.map((text) => text.replace(/\s+/g, " ").trim()).filter((text) => text !== "");
  });
}

/** The screen is English: the document's language, no German catalogue text, and axe-core's WCAG 2.1 AA rules. */
async function assertEnglish(screen) {
  const { browser } = app;
  assert.equal(await browser.execute(() => document.documentElement.lang), "en", `${screen}: the document's lang`);
  const texts = await pageTexts();
  const leftovers = GERMAN.filter((german) => texts.some((text) => text.includes(german)));
  assert.deepEqual(leftovers, [], `${screen}: German text in the English UI`);
  await assertAccessible(browser, `${screen} (English)`);
  await browser.saveScreenshot(join(artifactsDir, `english-${screen.replace(/\W+/g, "-")}.png`));
}

test("the German catalogue has texts to look for", () => {
  // A parser that found nothing would make every check below pass.
  assert.ok(GERMAN.length > 100, `only ${GERMAN.length} German texts found in ui/src/i18n/de.ts`);
  assert.ok(GERMAN.includes("Antwort senden"));
});

test("the language switches to English by keyboard on the start screen", async () => {
  const { browser } = app;
  await shown(browser, "form.dev-login", { timeout: 30_000, timeoutMsg: "no password login in this build (dev-login)" });
  // The check sees the page: in German it finds the catalogue's texts.
  const german = await pageTexts();
  assert.ok(GERMAN.filter((text) => german.some((shown) => shown.includes(text))).length >= 5, "the German start screen shows no German catalogue text");
  await tabTo("button.language");
  await browser.keys("Enter");
  await browser.waitUntil(async () => (await browser.execute(() => document.documentElement.lang)) === "en", {
    timeout: 10_000,
    timeoutMsg: "Enter on the language switch did not switch to English",
  });
  // The switch keeps the focus, and now offers German.
  const focus = await focused();
  assert.match(focus.what, /^button#language-switch "Deutsch"$/);
  assert.ok(focus.visible, "the language switch shows no focus indicator after the switch");
  await assertEnglish("start");
});

test("the password login leads to the English overview with the focus on its heading", async () => {
  const { browser } = app;
  const { homeserver, citizen } = stack.ready;
  // Typing is the keyboard too; Enter in the password field submits.
  await tabTo("#dev-homeserver");
  await (await browser.$("#dev-homeserver")).setValue(homeserver);
  // Element Send Keys types into the focused field (browser.keys would
  // press the characters as one chord and drop a repeated one).
  await tabTo("#dev-user");
  await (await browser.$("#dev-user")).addValue(citizen.user_id);
  await tabTo("#dev-password");
  await (await browser.$("#dev-password")).addValue(citizen.password);
  // The form is rebuilt on every render (a card reader coming or going, the
  // language switched): switching to German and back keeps what was typed.
  await tabTo("button.language", { backwards: true });
  await browser.keys("Enter");
  await browser.waitUntil(async () => (await browser.execute(() => document.documentElement.lang)) === "de", { timeout: 10_000 });
  await browser.keys("Enter");
  await browser.waitUntil(async () => (await browser.execute(() => document.documentElement.lang)) === "en", { timeout: 10_000 });
  await tabTo("#dev-password");
  const values = await browser.execute(() => ["dev-homeserver", "dev-user", "dev-password"].map((id) => document.getElementById(id)?.value));
  assert.deepEqual(values, [homeserver, citizen.user_id, citizen.password]);
  await browser.keys("Enter");

  await (await browser.$('main[data-screen="overview"]')).waitForExist({ timeout: LONG, timeoutMsg: "the overview did not appear after the login" });
  await assertFocusOnHeading("overview");
  assert.equal(await (await browser.$("#main h1")).getText(), "Your requests");
  // The attestation state is read after the login: check the screen once it is.
  await (await browser.$('main[data-screen="overview"]:not([data-attestation="unknown"])')).waitForExist({ timeout: LONG });
  // The list and the attestation re-rendered the page: the focus stayed on the heading.
  assert.ok((await focused()).heading, `the overview's re-render moved the focus to ${(await focused()).what}`);
  await assertEnglish("overview-empty");
});

test("a request with open questions is opened by keyboard and is English throughout", async () => {
  const { browser } = app;
  const { authority, citizen, trust } = stack.ready;
  await authorityLogin;
  scenario = spawnAuthority(
    [
      "--data-dir",
      authorityDataDir,
      "run-scenario",
      scenarioFile,
      "--citizen",
      citizen.user_id,
      "--certificate",
      trust.authority_chain,
      "--certificate-key",
      trust.authority_key,
    ],
    { G2C_AUTHORITY_PASSWORD: authority.password },
  );
  // Both questions arrived (the overview counts them) before the walk starts.
  const item = await browser.$("li.request.needs-action");
  await item.waitForExist({ timeout: LONG, timeoutMsg: "the case did not appear in the overview as needing action" });
  let listed = "";
  await browser
    .waitUntil(async () => /2 open questions/.test((listed = await (await browser.$("li.request")).getText())), { timeout: LONG })
    .catch(() => assert.fail(`the overview does not count the two open questions: ${listed}`));
  await assertEnglish("overview");

  await tabTo("button.request-open");
  await browser.keys("Enter");
  await (await browser.$('main[data-screen="request"]')).$("h1=Angelschein").waitForExist({ timeout: LONG, timeoutMsg: "the request page did not open" });
  await assertFocusOnHeading("request");
  assert.equal(await browser.getTitle(), "Angelschein – Amtsbote");
  for (const type of ["inquiry", "choice"]) {
    await (await browser.$(`article[data-prompt-type="${type}"][data-prompt-state="open"]`)).waitForExist({ timeout: LONG, timeoutMsg: `no open ${type} card` });
  }
  await (await browser.$('[data-testid="authority-trust"][data-trust="verified"]')).waitForExist({ timeout: LONG, timeoutMsg: "the authority is not shown as verified" });
  await assertEnglish("request");
  // The case names no language, so the authority writes German: inside the
  // English page its text says so (WCAG 2.1 SC 3.1.2), the app's does not.
  const languages = await browser.execute(() => ({
    page: document.documentElement.lang,
    service: document.querySelector("#main h1")?.getAttribute("lang") ?? null,
    option: document.querySelector('article[data-prompt-type="choice"] .option label')?.getAttribute("lang") ?? null,
    backLink: document.querySelector("#main .page-nav button, #main .page-nav a")?.getAttribute("lang") ?? null,
  }));
  assert.deepEqual(languages, { page: "en", service: "de", option: "de", backLink: null });
});

test("the choice is answered by keyboard alone and arrives at the authority", async () => {
  const { browser } = app;
  const card = 'article[data-prompt-type="choice"]';
  // Tab reaches the radio group; Space picks the first option, the arrow key moves to the second.
  await tabTo(`${card} input[type="radio"]`);
  await browser.keys(" ");
  await browser.keys("ArrowDown");
  await browser.waitUntil(
    async () => (await browser.execute((selector) => document.querySelector(`${selector} input:checked`)?.value, card)) === "mail",
    { timeout: 10_000, timeoutMsg: "the arrow key did not select the second option" },
  );
  await tabTo(`${card} button[type="submit"]`);
  await browser.keys("Enter");

  const line = await scenario.lines.next((l) => l.outcome === "answer" && l.kind === "choice_selection", "the choice answer", LONG);
  assert.deepEqual(line.content.option_ids, ["mail"]);
  assert.equal(line.encrypted, true);
  await (await browser.$(`${card} [data-send-state="sent"]`)).waitForExist({ timeout: LONG, timeoutMsg: "the answer is not shown as sent" });
  // The focus goes back to the card's heading, visibly, not to the page's start.
  let focus;
  await browser.waitUntil(async () => /^h3/.test((focus = await focused()).what), {
    timeout: 10_000,
    timeoutMsg: "the focus did not return to the answered card",
  });
  assert.ok(focus.visible, `the focus on the answered card is not visible (${focus.what})`);
  await assertEnglish("request-answered");
});

test("back by keyboard to the overview, then the settings, each with the focus on its heading", async () => {
  const { browser } = app;
  await browser.keys(["Alt", "ArrowLeft"]);
  await (await browser.$('main[data-screen="overview"]')).waitForExist({ timeout: 10_000, timeoutMsg: "Alt+Left did not go back" });
  await assertFocusOnHeading("overview after going back");

  // The main navigation comes before the page: Shift+Tab from the heading reaches it.
  await tabTo("#nav-settings", { backwards: true });
  await browser.keys("Enter");
  await (await browser.$('main[data-screen="settings"]')).waitForExist({ timeout: 10_000, timeoutMsg: "the settings did not open" });
  await assertFocusOnHeading("settings");
  await (await browser.$('[data-testid="user-id"]')).waitForExist({ timeout: LONG, timeoutMsg: "the settings did not load the account" });
  assert.equal(await (await browser.$("#settings-language")).getValue(), "en");
  await assertEnglish("settings");
});

test("back to German and logged out, by keyboard", async () => {
  const { browser } = app;
  // The header's switch is before the page: Shift+Tab from the settings' heading.
  await (await browser.$("#main h1")).waitForExist();
  await tabTo("button.language", { backwards: true });
  await browser.keys("Enter");
  await browser.waitUntil(async () => (await browser.execute(() => document.documentElement.lang)) === "de", {
    timeout: 10_000,
    timeoutMsg: "Enter on the language switch did not switch back to German",
  });
  assert.equal(await (await browser.$("#main h1")).getText(), "Einstellungen");

  await tabTo("#logout");
  await browser.keys("Enter");
  // The confirmation takes the focus, so Enter confirms.
  await browser.waitUntil(async () => (await browser.execute(() => document.activeElement?.id)) === "logout-confirm", {
    timeout: 10_000,
    timeoutMsg: "the logout's confirmation did not take the focus",
  });
  assert.ok((await focused()).visible, "the logout's confirmation shows no focus indicator");
  await browser.keys("Enter");
  await (await browser.$('main[data-screen="welcome"]')).waitForExist({ timeout: LONG, timeoutMsg: "the logout did not return to the start screen" });
  await assertFocusOnHeading("start screen after the logout");
});
