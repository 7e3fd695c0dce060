// The start screen while nobody is logged in: what Amtsbote is, how the
// eID login works, and (development builds only) a password login form.
// The eID login itself lives in ui/src/login/.
import { h } from "./dom.ts";
import { commandErrorMessage, type Message } from "./errors.ts";
import type { MessageKey } from "./i18n/de.ts";
import { t } from "./i18n/index.ts";
import type { SessionState } from "./ipc/bindings/SessionState.ts";
import { loginWithPassword } from "./ipc/commands.ts";
import { eidLoginCard, eidState } from "./login/eid.ts";

export interface WelcomeState {
  devLogin: boolean;
  startError: boolean;
  login: { busy: boolean; error: Message | null };
}

export interface WelcomeContext {
  rerender(): void;
  announce(text: string): void;
  loggedIn(session: SessionState): void;
}

type DevLoginField = "dev-homeserver" | "dev-user" | "dev-password";

/**
 * What the citizen typed into the password login. The welcome screen is
 * built anew on every render (a card reader plugged in, the language
 * switched), which would otherwise empty the fields while someone types.
 * The password is dropped when the form is sent.
 */
const devLoginFields: Record<DevLoginField, string> = { "dev-homeserver": "http://localhost:8008", "dev-user": "", "dev-password": "" };

function field(id: DevLoginField, label: MessageKey, attributes: Record<string, string>): HTMLElement {
  const input = h("input", { id, name: id, required: true, ...attributes });
  // The property, not the attribute: the password stays out of the markup.
  input.value = devLoginFields[id];
  input.addEventListener("input", () => {
    devLoginFields[id] = input.value;
  });
  return h("p", { class: "field" }, h("label", { for: id }, t(label)), input);
}

/** Development and demo builds only: password login instead of the eID card. */
function devLoginForm(state: WelcomeState, context: WelcomeContext): HTMLElement {
  const form = h(
    "form",
    { class: "card dev-login", "aria-labelledby": "dev-login-title" },
    h("h2", { id: "dev-login-title" }, t("devLogin.title")),
    h("p", {}, t("devLogin.text")),
    field("dev-homeserver", "devLogin.homeserver", { type: "url" }),
    field("dev-user", "devLogin.user", { type: "text", autocomplete: "username" }),
    field("dev-password", "devLogin.password", { type: "password", autocomplete: "current-password" }),
    h("button", { type: "submit", class: "primary", disabled: state.login.busy }, t(state.login.busy ? "devLogin.busy" : "devLogin.submit")),
    state.login.error ? h("p", { class: "error" }, t(state.login.error.key, state.login.error.values)) : null,
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const homeserver = devLoginFields["dev-homeserver"].trim();
    const user = devLoginFields["dev-user"].trim();
    const password = devLoginFields["dev-password"];
    devLoginFields["dev-password"] = "";
    state.login = { busy: true, error: null };
    context.rerender();
    loginWithPassword(homeserver, user, password)
      .then((session) => {
        state.login = { busy: false, error: null };
        context.loggedIn(session);
      })
      .catch((error: unknown) => {
        const message = commandErrorMessage(error);
        state.login = { busy: false, error: message };
        context.rerender();
        context.announce(t(message.key, message.values));
      });
  });
  return form;
}

export function welcome(state: WelcomeState, context: WelcomeContext): HTMLElement {
  return h(
    "main",
    { id: "main", tabindex: "-1", "data-screen": "welcome" },
    h("h1", { tabindex: "-1" }, t("app.tagline")),
    h("p", { class: "lead" }, t("welcome.lead")),
    eidLoginCard(eidState, context),
    h(
      "section",
      { class: "card", "aria-labelledby": "steps-title" },
      h("h2", { id: "steps-title" }, t("welcome.steps.title")),
      h("ol", { class: "steps" }, h("li", {}, t("welcome.steps.reader")), h("li", {}, t("welcome.steps.card")), h("li", {}, t("welcome.steps.pin"))),
    ),
    h(
      "section",
      { class: "card", "aria-labelledby": "privacy-title" },
      h("h2", { id: "privacy-title" }, t("welcome.privacy.title")),
      h("p", {}, t("welcome.privacy.text")),
    ),
    state.devLogin ? devLoginForm(state, context) : null,
    state.startError ? h("p", { class: "error", role: "alert" }, t("error.start")) : null,
  );
}
