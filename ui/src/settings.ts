// The settings screen: the account's pseudonym, this and the other devices
// with their verification state, the recovery key (exported to a file by
// Rust; shown in the window only on request and dropped again when the
// page is left), language, notifications, update channel, logout with a
// confirmation. The eID attestation's state says what a missing or expired
// one means, or that a valid one expires soon (with its date), and offers
// "Mit Ausweis bestätigen": the eID card step again (ui/src/login/eid.ts),
// which renews it for this account.
import { attestationView } from "./attestation.ts";
import { h, type Child } from "./dom.ts";
import { commandErrorMessage, type Message } from "./errors.ts";
import { locale, setLocale, t, type Locale } from "./i18n/index.ts";
import type { MessageKey } from "./i18n/de.ts";
import type { AccountDto } from "./ipc/bindings/AccountDto.ts";
import type { EidAttestationDto } from "./ipc/bindings/EidAttestationDto.ts";
import type { PreferencesDto } from "./ipc/bindings/PreferencesDto.ts";
import type { RecoveryStatusDto } from "./ipc/bindings/RecoveryStatusDto.ts";
import type { UpdateChannelDto } from "./ipc/bindings/UpdateChannelDto.ts";
import {
  accountOverview,
  exportRecoveryKey,
  logOut,
  preferences as loadPreferences,
  revealRecoveryKey,
  setPreferences,
} from "./ipc/commands.ts";
import type { SessionState } from "./ipc/bindings/SessionState.ts";
import { eidAttestCard, eidState, startEidAttestation, type EidAttestContext } from "./login/eid.ts";

export interface SettingsState {
  account: { state: "loading" } | { state: "loaded"; account: AccountDto } | { state: "failed"; error: Message };
  preferences: PreferencesDto | null;
  /** The recovery key, only while the citizen wants to see it. */
  revealedKey: string | null;
  /** The last result or error of an action on this page. */
  notice: { message: Message; error: boolean } | null;
  confirmingLogout: boolean;
  busy: boolean;
  /** The eID card step that renews the attestation is shown. */
  attesting: boolean;
}

export interface SettingsContext {
  rerender(): void;
  announce(text: string): void;
  back(): void;
  /** The language changed: the shell re-renders everything. */
  languageChanged(): void;
  loggedOut(session: SessionState): void;
}

export function newSettings(): SettingsState {
  return { account: { state: "loading" }, preferences: null, revealedKey: null, notice: null, confirmingLogout: false, busy: false, attesting: false };
}

export async function loadSettings(state: SettingsState, context: SettingsContext): Promise<void> {
  const [account, preferences] = await Promise.allSettled([accountOverview(), loadPreferences()]);
  state.account =
    account.status === "fulfilled"
      ? { state: "loaded", account: account.value }
      : { state: "failed", error: commandErrorMessage(account.reason) };
  if (preferences.status === "fulfilled") state.preferences = preferences.value;
  else console.error("preferences failed", preferences.reason);
  context.rerender();
}

const RECOVERY: Record<RecoveryStatusDto, MessageKey> = {
  unknown: "settings.recovery.unknown",
  enabled: "settings.recovery.enabled",
  disabled: "settings.recovery.disabled",
  needsRecoveryKey: "settings.recovery.needsKey",
};

function say(message: Message): string {
  return t(message.key, message.values);
}

function setNotice(state: SettingsState, context: SettingsContext, message: Message, error: boolean): void {
  state.notice = { message, error };
  state.busy = false;
  context.rerender();
  context.announce(say(message));
}

function attestContext(state: SettingsState, context: SettingsContext): EidAttestContext {
  return {
    rerender: () => context.rerender(),
    announce: (text) => context.announce(text),
    attested: (attestation: EidAttestationDto) => {
      if (state.account.state === "loaded") state.account.account.eidAttestation = attestation;
      state.attesting = false;
      setNotice(state, context, { key: "settings.eidAttestation.renewed" }, false);
      document.getElementById("eid-attestation-status")?.focus();
    },
    closed: () => {
      state.attesting = false;
      context.rerender();
      document.getElementById("eid-attest-start")?.focus();
    },
  };
}

/** Shows the eID card step and starts it (consent and PIN come next). */
export function beginAttestation(state: SettingsState, context: SettingsContext): void {
  state.attesting = true;
  context.rerender();
  void startEidAttestation(eidState, attestContext(state, context));
}

function attestationSection(state: SettingsState, context: SettingsContext, attestation: EidAttestationDto): Child[] {
  const view = attestationView(attestation, locale(), Date.now());
  const parts: Child[] = [
    h(
      "dl",
      { class: "facts" },
      h("dt", {}, t("settings.eidAttestation")),
      h(
        "dd",
        {
          id: "eid-attestation-status",
          tabindex: "-1",
          "data-testid": "eid-attestation",
          "data-attested": String(view.attested),
          "data-state": view.phase,
        },
        t(view.status.key, view.status.values),
      ),
    ),
  ];
  if (view.consequence) {
    parts.push(h("p", { class: "notice", id: "eid-attestation-consequence", "data-testid": "eid-attestation-consequence" }, t(view.consequence)));
  }
  if (view.action === "renew") {
    if (state.attesting) {
      parts.push(eidAttestCard(eidState, attestContext(state, context)));
    } else {
      const renew = h(
        "button",
        { type: "button", class: "primary", id: "eid-attest-start", "aria-describedby": "eid-attestation-consequence" },
        t("settings.eidAttestation.renew"),
      );
      renew.addEventListener("click", () => beginAttestation(state, context));
      parts.push(h("p", { class: "actions" }, renew));
    }
  } else if (view.action === "recoverFirst") {
    parts.push(h("p", { class: "hint", "data-testid": "eid-attestation-recover-first" }, t("settings.eidAttestation.recoverFirst")));
  }
  parts.push(h("p", { class: "hint" }, t("settings.eidAttestation.help")));
  return parts;
}

function accountSection(state: SettingsState, context: SettingsContext): HTMLElement {
  const load = state.account;
  let body: Child[];
  if (load.state === "loading") body = [h("p", { role: "status" }, t("settings.loading"))];
  else if (load.state === "failed") body = [h("p", { class: "error", role: "alert" }, say(load.error))];
  else {
    const account = load.account;
    body = [
      h("dl", { class: "facts" }, h("dt", {}, t("settings.pseudonym")), h("dd", { "data-testid": "user-id" }, account.userId)),
      h("p", { class: "hint" }, t("settings.pseudonym.help")),
      ...attestationSection(state, context, account.eidAttestation),
      h("h3", { id: "devices-title" }, t("settings.devices")),
      h(
        "ul",
        { class: "devices", "aria-labelledby": "devices-title" },
        ...account.devices.map((device) =>
          h(
            "li",
            { class: "device" },
            h(
              "span",
              { class: "device-name" },
              device.displayName ?? t("settings.device.unnamed"),
              " ",
              h("span", { class: "hint" }, `(${device.deviceId})`),
              device.thisDevice ? h("span", { class: "badge" }, t("settings.device.this")) : null,
            ),
            h(
              "span",
              { class: device.verified ? "badge verified" : "badge unverified" },
              t(device.verified ? "settings.device.verified" : "settings.device.unverified"),
            ),
          ),
        ),
      ),
    ];
  }
  return h("section", { class: "card", "aria-labelledby": "account-title" }, h("h2", { id: "account-title" }, t("settings.account")), ...body);
}

function recoverySection(state: SettingsState, context: SettingsContext): HTMLElement {
  const status = state.account.state === "loaded" ? state.account.account.recovery : null;
  const exportButton = h("button", { type: "button", class: "primary", id: "export-recovery-key", disabled: state.busy }, t("settings.recovery.export"));
  exportButton.addEventListener("click", () => {
    state.busy = true;
    context.rerender();
    exportRecoveryKey(t("settings.recovery.dialogTitle"), t("settings.recovery.fileName"))
      .then((outcome) => {
        const key: MessageKey =
          outcome === "saved" ? "settings.recovery.saved" : outcome === "cancelled" ? "settings.recovery.cancelled" : "settings.recovery.notAvailable";
        setNotice(state, context, { key }, outcome === "notAvailable");
      })
      .catch((error: unknown) => setNotice(state, context, commandErrorMessage(error), true));
  });
  const revealButton = h(
    "button",
    { type: "button", id: "reveal-recovery-key", "aria-expanded": state.revealedKey ? "true" : "false", "aria-controls": "recovery-key", disabled: state.busy },
    t(state.revealedKey ? "settings.recovery.hide" : "settings.recovery.reveal"),
  );
  revealButton.addEventListener("click", () => {
    if (state.revealedKey) {
      state.revealedKey = null;
      context.rerender();
      return;
    }
    revealRecoveryKey()
      .then((revealed) => {
        if (revealed.recoveryKey === null) {
          setNotice(state, context, { key: "settings.recovery.notAvailable" }, true);
          return;
        }
        state.revealedKey = revealed.recoveryKey;
        context.rerender();
      })
      .catch((error: unknown) => setNotice(state, context, commandErrorMessage(error), true));
  });
  return h(
    "section",
    { class: "card", "aria-labelledby": "recovery-title" },
    h("h2", { id: "recovery-title" }, t("settings.recovery")),
    h("p", {}, t("settings.recovery.help")),
    status ? h("p", { class: "hint", "data-testid": "recovery-status" }, t(RECOVERY[status])) : null,
    h("p", { class: "actions" }, exportButton, revealButton),
    h(
      "div",
      { id: "recovery-key", class: "recovery-key", hidden: state.revealedKey === null },
      state.revealedKey ? h("code", { "aria-label": t("settings.recovery.keyLabel") }, state.revealedKey) : null,
    ),
  );
}

function preferencesSection(state: SettingsState, context: SettingsContext): HTMLElement {
  const language = h(
    "select",
    { id: "settings-language" },
    h("option", { value: "de", lang: "de", selected: locale() === "de" }, "Deutsch"),
    h("option", { value: "en", lang: "en", selected: locale() === "en" }, "English"),
  );
  language.addEventListener("change", () => {
    setLocale(language.value === "en" ? "en" : ("de" satisfies Locale));
    context.languageChanged();
    document.getElementById("settings-language")?.focus();
  });
  const preferences = state.preferences;
  const store = (next: PreferencesDto): void => {
    state.preferences = next;
    setPreferences(next)
      .then((stored) => {
        state.preferences = stored;
        setNotice(state, context, { key: "settings.saved" }, false);
      })
      .catch((error: unknown) => setNotice(state, context, commandErrorMessage(error), true));
  };
  const notifications = h("input", { type: "checkbox", id: "settings-notifications", checked: preferences?.notifications ?? true, disabled: preferences === null });
  notifications.addEventListener("change", () => {
    if (state.preferences) store({ ...state.preferences, notifications: notifications.checked });
  });
  const channel = h(
    "select",
    { id: "settings-channel", disabled: preferences === null, "aria-describedby": "settings-channel-help" },
    ...(["stable", "beta"] as UpdateChannelDto[]).map((value) =>
      h("option", { value, selected: (preferences?.updateChannel ?? "stable") === value }, t(value === "stable" ? "settings.channel.stable" : "settings.channel.beta")),
    ),
  );
  channel.addEventListener("change", () => {
    if (state.preferences) store({ ...state.preferences, updateChannel: channel.value === "beta" ? "beta" : "stable" });
  });
  return h(
    "section",
    { class: "card", "aria-labelledby": "preferences-title" },
    h("h2", { id: "preferences-title" }, t("settings.preferences")),
    h("p", { class: "field" }, h("label", { for: "settings-language" }, t("settings.language")), language),
    h("p", { class: "check" }, notifications, h("label", { for: "settings-notifications" }, t("settings.notifications"))),
    h("p", { class: "field" }, h("label", { for: "settings-channel" }, t("settings.channel")), channel),
    h("p", { class: "hint", id: "settings-channel-help" }, t("settings.channel.help")),
  );
}

function logoutSection(state: SettingsState, context: SettingsContext): HTMLElement {
  if (!state.confirmingLogout) {
    const button = h("button", { type: "button", id: "logout", class: "danger" }, t("settings.logout"));
    button.addEventListener("click", () => {
      state.confirmingLogout = true;
      context.rerender();
      document.getElementById("logout-confirm")?.focus();
    });
    return h("section", { class: "card", "aria-labelledby": "logout-title" }, h("h2", { id: "logout-title" }, t("settings.logout.title")), h("p", {}, t("settings.logout.help")), button);
  }
  const confirm = h("button", { type: "button", id: "logout-confirm", class: "danger", disabled: state.busy }, t("settings.logout.confirm"));
  const cancel = h("button", { type: "button", id: "logout-cancel", disabled: state.busy }, t("settings.logout.cancel"));
  confirm.addEventListener("click", () => {
    state.busy = true;
    context.rerender();
    logOut()
      .then((session) => {
        state.busy = false;
        context.loggedOut(session);
      })
      .catch((error: unknown) => setNotice(state, context, commandErrorMessage(error), true));
  });
  cancel.addEventListener("click", () => {
    state.confirmingLogout = false;
    context.rerender();
    document.getElementById("logout")?.focus();
  });
  return h(
    "section",
    { class: "card confirm", role: "alertdialog", "aria-labelledby": "logout-title", "aria-describedby": "logout-question" },
    h("h2", { id: "logout-title" }, t("settings.logout.title")),
    h("p", { id: "logout-question" }, t("settings.logout.question")),
    h("p", { class: "actions" }, confirm, cancel),
  );
}

export function settingsPage(state: SettingsState, context: SettingsContext): HTMLElement {
  const back = h("button", { type: "button", class: "back", "aria-keyshortcuts": "Alt+ArrowLeft" }, t("nav.back"));
  back.addEventListener("click", () => context.back());
  return h(
    "main",
    { id: "main", tabindex: "-1", "data-screen": "settings" },
    h("nav", { class: "page-nav", "aria-label": t("nav.label") }, back),
    h("h1", { tabindex: "-1" }, t("settings.title")),
    state.notice
      ? h("p", { class: state.notice.error ? "error" : "success", "data-testid": "settings-notice" }, say(state.notice.message))
      : null,
    accountSection(state, context),
    recoverySection(state, context),
    preferencesSection(state, context),
    logoutSection(state, context),
  );
}
