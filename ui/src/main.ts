// Entry point of the UI: renders the current screen from state that Rust
// sends, and turns the citizen's intents into typed commands.
import { h, replaceChildren } from "./dom.ts";
import { locale, setLocale, t } from "./i18n/index.ts";
import type { AppInfo } from "./ipc/bindings/AppInfo.ts";
import type { CommandError } from "./ipc/bindings/CommandError.ts";
import type { SessionState } from "./ipc/bindings/SessionState.ts";
import { appInfo, listRequests, loginWithPassword, sessionState } from "./ipc/commands.ts";
import { onRequestsChanged } from "./ipc/events.ts";
import type { MessageKey } from "./i18n/de.ts";
import { overview, type RequestsLoad } from "./overview.ts";

interface State {
  info: AppInfo | null;
  startError: boolean;
  session: SessionState;
  requests: RequestsLoad;
  login: { busy: boolean; error: MessageKey | null };
}

const state: State = {
  info: null,
  startError: false,
  session: { state: "loggedOut" },
  requests: { state: "loading" },
  login: { busy: false, error: null },
};

function header(): HTMLElement {
  const toggle = h(
    "button",
    { type: "button", id: "language-switch", class: "language", lang: locale() === "de" ? "en" : "de", "aria-label": t("language.switch.label") },
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
    state.info?.devLogin ? devLoginForm() : null,
    state.startError ? h("p", { class: "error", role: "alert" }, t("error.start")) : null,
  );
}

function errorKey(error: unknown): MessageKey {
  const code = (error as Partial<CommandError> | null)?.code;
  switch (code) {
    case "loginFailed":
      return "error.loginFailed";
    case "keychainUnavailable":
      return "error.keychainUnavailable";
    case "network":
      return "error.network";
    default:
      return "error.other";
  }
}

function field(id: string, label: MessageKey, attributes: Record<string, string>): HTMLElement {
  return h(
    "p",
    { class: "field" },
    h("label", { for: id }, t(label)),
    h("input", { id, name: id, required: true, ...attributes }),
  );
}

/** Development and demo builds only: password login instead of the eID card. */
function devLoginForm(): HTMLElement {
  const form = h(
    "form",
    { class: "card dev-login", "aria-labelledby": "dev-login-title" },
    h("h2", { id: "dev-login-title" }, t("devLogin.title")),
    h("p", {}, t("devLogin.text")),
    field("dev-homeserver", "devLogin.homeserver", { type: "url", value: "http://localhost:8008" }),
    field("dev-user", "devLogin.user", { type: "text", autocomplete: "username" }),
    field("dev-password", "devLogin.password", { type: "password", autocomplete: "current-password" }),
    h(
      "button",
      { type: "submit", class: "primary", disabled: state.login.busy },
      t(state.login.busy ? "devLogin.busy" : "devLogin.submit"),
    ),
    state.login.error ? h("p", { class: "error", role: "alert" }, t(state.login.error)) : null,
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const value = (id: string): string => (form.querySelector<HTMLInputElement>(`#${id}`)?.value ?? "").trim();
    const homeserver = value("dev-homeserver");
    const user = value("dev-user");
    const password = form.querySelector<HTMLInputElement>("#dev-password")?.value ?? "";
    state.login = { busy: true, error: null };
    render();
    loginWithPassword(homeserver, user, password)
      .then((session) => {
        state.login = { busy: false, error: null };
        state.session = session;
        state.requests = { state: "loading" };
        render();
        void refreshRequests();
      })
      .catch((error: unknown) => {
        state.login = { busy: false, error: errorKey(error) };
        render();
      });
  });
  return form;
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
  const main =
    state.session.state === "loggedIn"
      ? overview(state.session.userId, state.session.connection, state.requests, locale())
      : welcome();
  replaceChildren(root, header(), main, footer());
}

let refreshing = false;
let refreshAgain = false;

/** Fetches session and list again; coalesces bursts of change events. */
async function refreshRequests(): Promise<void> {
  if (refreshing) {
    refreshAgain = true;
    return;
  }
  refreshing = true;
  try {
    do {
      refreshAgain = false;
      try {
        state.session = await sessionState();
        if (state.session.state === "loggedIn") {
          state.requests = { state: "loaded", requests: await listRequests() };
        }
      } catch (error) {
        console.error("list_requests failed", error);
        state.requests = { state: "failed" };
      }
      renderKeepingFocus();
    } while (refreshAgain);
  } finally {
    refreshing = false;
  }
}

/** Re-renders and puts the focus back on the element with the same identity. */
function renderKeepingFocus(): void {
  const active = document.activeElement;
  const roomId = active?.getAttribute("data-room-id");
  const id = active?.id;
  render();
  if (roomId) {
    document.querySelector<HTMLElement>(`[data-room-id="${CSS.escape(roomId)}"]`)?.focus();
  } else if (id) {
    document.getElementById(id)?.focus();
  }
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
  try {
    await onRequestsChanged(() => void refreshRequests());
  } catch (error) {
    console.error("listening to requests-changed failed", error);
  }
  await refreshRequests();
}

void start();
