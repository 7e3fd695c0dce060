// Entry point of the UI: the app shell (header with logo, navigation and
// language switch; footer; a screen-reader announcer) is mounted once, and
// only the main region is rendered again from the state Rust sends. A small
// router moves between the overview, a request's page and the settings,
// puts the focus on the new page's heading and names the window after it.
import { h, replaceChildren } from "./dom.ts";
import { locale, setLocale, t } from "./i18n/index.ts";
import type { AppInfo } from "./ipc/bindings/AppInfo.ts";
import type { SessionState } from "./ipc/bindings/SessionState.ts";
import { appInfo, eidAttestationState, listRequests, sessionState } from "./ipc/commands.ts";
import type { EidAttestationDto } from "./ipc/bindings/EidAttestationDto.ts";
import { attestationPhase, overviewAttestationNotice, type OverviewAttestationNotice } from "./attestation.ts";
import { onFileDrop, onRequestChanged, onRequestsChanged } from "./ipc/events.ts";
import type { OverviewQuery } from "./overview-filter.ts";
import { overview, type RequestsLoad } from "./overview.ts";
import { dragOver, dropFiles, loadRequest, newRequestPage, requestPage, requestTitle, type RequestPageState } from "./request/page.ts";
import { Router, type Route } from "./router.ts";
import { beginAttestation, loadSettings, newSettings, settingsPage, type SettingsState } from "./settings.ts";
import { ShownData } from "./shown.ts";
import { welcome, type WelcomeState } from "./welcome.ts";
import { onOpenRequest } from "./ipc/events.ts";
import { mountUpdateBanner } from "./update.ts";
import { watchReaders } from "./login/eid.ts";

interface State {
  info: AppInfo | null;
  /** False until the shell first answered session_state (it restores a stored session first). */
  sessionKnown: boolean;
  session: SessionState;
  requests: RequestsLoad;
  query: OverviewQuery;
  welcome: WelcomeState;
  request: RequestPageState | null;
  settings: SettingsState | null;
  /** The account's eID attestation, for the overview's reminder; null until read. */
  attestation: EidAttestationDto | null;
}

const state: State = {
  info: null,
  sessionKnown: false,
  session: { state: "loggedOut" },
  requests: { state: "loading" },
  query: { text: "", status: "all" },
  welcome: { devLogin: false, startError: false, login: { busy: false, error: null } },
  request: null,
  settings: null,
  attestation: null,
};

const router = new Router();

// ------------------------------------------------------------------ shell

interface Shell {
  brandName: HTMLElement;
  nav: HTMLElement;
  overviewLink: HTMLButtonElement;
  settingsLink: HTMLButtonElement;
  language: HTMLButtonElement;
  version: HTMLElement;
  announcer: HTMLElement;
  slot: HTMLElement;
}

let shell: Shell | null = null;

function mountShell(root: HTMLElement): Shell {
  const brandName = h("span", {}, t("app.name"));
  const overviewLink = h("button", { type: "button", class: "nav-link", id: "nav-overview" });
  overviewLink.addEventListener("click", () => navigate({ page: "overview" }));
  const settingsLink = h("button", { type: "button", class: "nav-link", id: "nav-settings" });
  settingsLink.addEventListener("click", () => navigate({ page: "settings" }));
  const nav = h("nav", { class: "top-nav" }, overviewLink, settingsLink);
  const language = h("button", { type: "button", id: "language-switch", class: "language" });
  language.addEventListener("click", () => {
    setLocale(locale() === "de" ? "en" : "de");
    languageChanged();
    language.focus();
  });
  const version = h("span", { "data-testid": "app-version" });
  const announcer = h("div", { class: "visually-hidden", role: "status", "aria-live": "polite", "data-testid": "announcer" });
  const slot = h("div", { class: "page" });
  replaceChildren(
    root,
    h(
      "header",
      { class: "top" },
      h("div", { class: "brand" }, h("img", { class: "logo", src: "logo.svg", alt: "" }), brandName),
      nav,
      language,
    ),
    slot,
    h("footer", { class: "bottom" }, version),
    announcer,
  );
  return { brandName, nav, overviewLink, settingsLink, language, version, announcer, slot };
}

/** Texts and states of the parts that stay mounted. */
function updateShell(current: Shell): void {
  current.brandName.textContent = t("app.name");
  const loggedIn = state.session.state === "loggedIn";
  current.nav.hidden = !loggedIn;
  current.nav.setAttribute("aria-label", t("nav.main"));
  current.overviewLink.textContent = t("nav.overview");
  current.settingsLink.textContent = t("nav.settings");
  const page = router.current.page;
  const currentPage = (link: HTMLElement, active: boolean): void => {
    if (active) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  };
  currentPage(current.overviewLink, page === "overview");
  currentPage(current.settingsLink, page === "settings");
  current.language.textContent = t("language.switch");
  current.language.lang = locale() === "de" ? "en" : "de";
  // The visible text ("English"/"Deutsch", in its own language) is the
  // accessible name; the tooltip says what the button does.
  current.language.title = t("language.switch.label");
  current.version.textContent = state.info ? t("footer.version", { version: state.info.version }) : "";
  const skip = document.querySelector<HTMLAnchorElement>("a.skip-link");
  if (skip) skip.textContent = t("skip.main");
}

/** Says `text` once to screen readers (send states, results, errors). */
function announce(text: string): void {
  if (!shell) return;
  // Cleared first, so the same text said twice is announced twice.
  shell.announcer.textContent = "";
  const announcer = shell.announcer;
  requestAnimationFrame(() => {
    announcer.textContent = text;
  });
}

// ----------------------------------------------------------------- render

function pageTitle(): string {
  if (state.session.state !== "loggedIn") return t("app.name");
  const route = router.current;
  switch (route.page) {
    case "overview":
      return `${t("overview.title")} – ${t("app.name")}`;
    case "settings":
      return `${t("settings.title")} – ${t("app.name")}`;
    case "request":
      return `${state.request ? requestTitle(state.request) : t("request.loadingTitle")} – ${t("app.name")}`;
  }
}

const pageContext = {
  rerender: () => renderKeepingFocus(),
  announce,
  back: () => goBack(),
};

function mainRegion(): HTMLElement {
  if (!state.sessionKnown) {
    // Not the login card while a stored session is being opened: it would
    // flash up and invite a second login.
    return h(
      "main",
      { id: "main", tabindex: "-1", "data-screen": "starting" },
      h("h1", {}, t("app.tagline")),
      h("p", { role: "status" }, t("app.starting")),
    );
  }
  if (state.session.state !== "loggedIn") {
    return welcome(state.welcome, {
      rerender: () => renderKeepingFocus(),
      announce,
      loggedIn: (session) => {
        state.session = session;
        state.requests = { state: "loading" };
        router.reset();
        render();
        focusHeading();
        void refreshRequests();
      },
    });
  }
  const route = router.current;
  switch (route.page) {
    case "overview":
      return overview(state.session.userId, state.session.connection, state.requests, {
        query: state.query,
        open: (roomId) => navigate({ page: "request", roomId }),
        attestation: attestationReminder(),
        attestationState: state.attestation ? attestationPhase(state.attestation, Date.now()) : "unknown",
      });
    case "request":
      state.request ??= newRequestPage(route.roomId);
      return requestPage(state.request, pageContext);
    case "settings":
      state.settings ??= newSettings();
      return settingsPage(state.settings, {
        ...pageContext,
        languageChanged,
        loggedOut: (session) => {
          state.session = session;
          state.settings = null;
          state.attestation = null;
          state.request = null;
          router.reset();
          render();
          focusHeading();
          announce(t("settings.loggedOut"));
        },
      });
  }
}

/**
 * After a language switch: everything is rendered in the new language, and
 * the last announcement (already spoken) leaves the page rather than stay
 * behind in the old one.
 */
function languageChanged(): void {
  if (shell) shell.announcer.textContent = "";
  render();
}

function render(): void {
  const root = document.getElementById("app");
  if (!root) return;
  shell ??= mountShell(root);
  updateShell(shell);
  document.title = pageTitle();
  replaceChildren(shell.slot, mainRegion());
}

/** Re-renders and puts the focus (and a text field's selection) back where it was. */
function renderKeepingFocus(): void {
  const active = document.activeElement;
  const roomId = active?.getAttribute("data-room-id");
  const id = active?.id;
  // The page's heading has no id: the router focuses it after each
  // navigation, and the list or the request loading after that must not
  // drop the focus to the window's start.
  const onHeading = active?.matches("#main h1") ?? false;
  const selection =
    active instanceof HTMLInputElement || active instanceof HTMLTextAreaElement
      ? { start: active.selectionStart, end: active.selectionEnd }
      : null;
  render();
  let target: HTMLElement | null = null;
  if (roomId) target = document.querySelector<HTMLElement>(`[data-room-id="${CSS.escape(roomId)}"]`);
  else if (id) target = document.getElementById(id);
  else if (onHeading) target = document.querySelector<HTMLElement>("#main h1");
  if (!target) return;
  target.focus();
  if (selection && (target instanceof HTMLInputElement || target instanceof HTMLTextAreaElement)) {
    try {
      target.setSelectionRange(selection.start, selection.end);
    } catch {
      // Some input types (e.g. search in some engines) have no selection.
    }
  }
}

function focusHeading(): void {
  document.querySelector<HTMLElement>("#main h1")?.focus();
}

// ------------------------------------------------------------- navigation

function enter(route: Route): void {
  state.request = null;
  state.settings = null;
  render();
  focusHeading();
  if (route.page === "request") {
    const page = (state.request ??= newRequestPage(route.roomId));
    void loadRequest(page, pageContext).then(() => {
      document.title = pageTitle();
      // The heading changed from "loading" to the service: focus it again
      // unless the citizen moved on meanwhile.
      if (document.activeElement === document.body || document.activeElement?.id === "main") focusHeading();
    });
  } else if (route.page === "settings") {
    const page = (state.settings ??= newSettings());
    void loadSettings(page, { ...pageContext, languageChanged, loggedOut: () => undefined });
  } else {
    void refreshRequests();
    void refreshAttestation();
  }
}

/** Reads the account's eID attestation state; the overview shows a reminder when it is missing, expired or expires soon. */
async function refreshAttestation(): Promise<void> {
  if (state.session.state !== "loggedIn") return;
  try {
    state.attestation = await eidAttestationState();
  } catch (error) {
    console.error("eid_attestation_state failed", error);
    return;
  }
  if (router.current.page === "overview") renderKeepingFocus();
}

/** The overview's reminder: what it says and, where this device can renew it, the eID step from the settings. */
function attestationReminder(): { notice: OverviewAttestationNotice; confirm: (() => void) | null } | null {
  const notice = overviewAttestationNotice(state.attestation, locale(), Date.now());
  if (notice === null) return null;
  const confirm = (): void => {
    navigate({ page: "settings" });
    if (state.settings) beginAttestation(state.settings, { ...pageContext, languageChanged, loggedOut: () => undefined });
  };
  return { notice, confirm: state.attestation?.renewable ? confirm : null };
}

function navigate(route: Route): void {
  if (state.session.state !== "loggedIn") return;
  if (router.navigate(route)) enter(router.current);
}

function goBack(): void {
  if (router.back()) enter(router.current);
}

document.addEventListener("keydown", (event) => {
  if ((event.altKey && event.key === "ArrowLeft") || event.key === "BrowserBack") {
    event.preventDefault();
    goBack();
  }
});

// ------------------------------------------------------------------- data

let refreshing = false;
let refreshAgain = false;
/** What the last refresh showed: an unchanged list is not rendered again. */
const shownList = new ShownData();

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
      const wasLoggedIn = state.session.state === "loggedIn";
      try {
        state.session = await sessionState();
        state.sessionKnown = true;
        if (state.session.state === "loggedIn") {
          state.requests = { state: "loaded", requests: await listRequests() };
          // Once per session (a restored one, or right after a login).
          if (state.attestation === null) void refreshAttestation();
        }
      } catch (error) {
        console.error("list_requests failed", error);
        state.sessionKnown = true;
        state.requests = { state: "failed" };
      }
      if (wasLoggedIn && state.session.state !== "loggedIn") {
        router.reset();
        state.request = null;
        state.settings = null;
        state.attestation = null;
      }
      // Most change events leave the list as it was (see shown.ts).
      if (!shownList.changed([state.sessionKnown, state.session, state.requests])) continue;
      // Only the overview and the shell show the list; other pages keep their DOM.
      if (router.current.page === "overview" || state.session.state !== "loggedIn") renderKeepingFocus();
      else if (shell) updateShell(shell);
      if (state.requests.state === "loaded") {
        // For tests/e2e/bench/app-start.mjs: when a list of how many requests was shown.
        performance.mark("amtsbote:requests-rendered", { detail: { count: state.requests.requests.length } });
      }
    } while (refreshAgain);
  } finally {
    refreshing = false;
  }
}

async function start(): Promise<void> {
  setLocale(locale());
  render();
  try {
    state.info = await appInfo();
    state.welcome.devLogin = state.info.devLogin;
  } catch (error) {
    console.error("app_info failed", error);
    state.welcome.startError = true;
  }
  renderKeepingFocus();
  let initialLoad: Promise<void> = Promise.resolve();
  try {
    await onRequestsChanged(() => void refreshRequests());
    // The list loads while the other listeners are registered: they do not
    // concern it, and every change after this point reaches the one above.
    initialLoad = refreshRequests();
    // A click on a notification (Rust shows the window first).
    await onOpenRequest((open) => navigate({ page: "request", roomId: open.roomId }));
    await mountUpdateBanner(document.body);
    await watchReaders(() => {
      // Also while the settings show the eID step that renews the attestation.
      if (state.session.state !== "loggedIn" || state.settings?.attesting) renderKeepingFocus();
    });
    await onRequestChanged((changed) => {
      if (state.request && state.request.roomId === changed.roomId) void loadRequest(state.request, pageContext);
    });
    await onFileDrop((drop) => {
      const page = state.request;
      if (!page) return;
      const scale = window.devicePixelRatio || 1;
      if (drop.type === "drop") dropFiles(page, pageContext, drop.paths, drop.position.x / scale, drop.position.y / scale);
      else if (drop.type === "over" || drop.type === "enter") dragOver(page, pageContext, drop.position.x / scale, drop.position.y / scale);
      else dragOver(page, pageContext, null, null);
    });
  } catch (error) {
    console.error("listening to the app's events failed", error);
    initialLoad = refreshRequests();
  }
  await initialLoad;
}

void start();
