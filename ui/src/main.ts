// Entry point of the UI: renders the current screen from state that Rust
// sends, and turns the citizen's intents into typed commands.
import { h, replaceChildren } from "./dom.ts";
import { locale, setLocale, t } from "./i18n/index.ts";
import type { AppInfo } from "./ipc/bindings/AppInfo.ts";
import { appInfo } from "./ipc/commands.ts";

interface State {
  info: AppInfo | null;
  startError: boolean;
}

const state: State = { info: null, startError: false };

function header(): HTMLElement {
  const toggle = h(
    "button",
    { type: "button", class: "language", lang: locale() === "de" ? "en" : "de", "aria-label": t("language.switch.label") },
    t("language.switch"),
  );
  toggle.addEventListener("click", () => {
    setLocale(locale() === "de" ? "en" : "de");
    render();
    document.querySelector<HTMLButtonElement>("button.language")?.focus();
  });
  return h(
    "header",
    { class: "top" },
    h("div", { class: "brand" }, h("img", { class: "logo", src: "logo.svg", alt: "" }), h("span", {}, t("app.name"))),
    toggle,
  );
}

function welcome(): HTMLElement {
  return h(
    "main",
    { id: "main", tabindex: "-1" },
    h("h1", {}, t("app.tagline")),
    h("p", { class: "lead" }, t("welcome.lead")),
    h(
      "section",
      { class: "card", "aria-labelledby": "steps-title" },
      h("h2", { id: "steps-title" }, t("welcome.steps.title")),
      h(
        "ol",
        { class: "steps" },
        h("li", {}, t("welcome.steps.reader")),
        h("li", {}, t("welcome.steps.card")),
        h("li", {}, t("welcome.steps.pin")),
      ),
    ),
    h(
      "section",
      { class: "card", "aria-labelledby": "privacy-title" },
      h("h2", { id: "privacy-title" }, t("welcome.privacy.title")),
      h("p", {}, t("welcome.privacy.text")),
    ),
    state.startError ? h("p", { class: "error", role: "alert" }, t("error.start")) : null,
  );
}

function footer(): HTMLElement {
  return h(
    "footer",
    { class: "bottom" },
    state.info ? h("span", { "data-testid": "app-version" }, t("footer.version", { version: state.info.version })) : null,
  );
}

function render(): void {
  const root = document.getElementById("app");
  if (!root) return;
  document.title = t("app.name");
  const skip = document.querySelector<HTMLAnchorElement>("a.skip-link");
  if (skip) skip.textContent = t("skip.main");
  replaceChildren(root, header(), welcome(), footer());
}

async function start(): Promise<void> {
  setLocale(locale());
  render();
  try {
    state.info = await appInfo();
  } catch (error) {
    console.error("app_info failed", error);
    state.startError = true;
  }
  render();
}

void start();
