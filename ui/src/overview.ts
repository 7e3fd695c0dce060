// The request overview: every request with its status in words, those that
// need the citizen's action first, a search over service, authority and
// reference, and a status filter. Authority text goes in as text, marked
// with the case's language when it is not the UI's (authority-text.ts).
import type { AttestationPhase, OverviewAttestationNotice } from "./attestation.ts";
import { authorityText } from "./authority-text.ts";
import { h, replaceChildren } from "./dom.ts";
import { formatDate } from "./format.ts";
import type { MessageKey } from "./i18n/de.ts";
import { locale, t, tCount } from "./i18n/index.ts";
import type { ConnectionStateDto } from "./ipc/bindings/ConnectionStateDto.ts";
import type { RequestStatusDto } from "./ipc/bindings/RequestStatusDto.ts";
import type { RequestSummaryDto } from "./ipc/bindings/RequestSummaryDto.ts";
import { filterRequests, resultCount, statusesPresent, type OverviewQuery, type StatusFilter } from "./overview-filter.ts";
import { overviewTrustMarker } from "./request/trust.ts";

export type RequestsLoad =
  | { state: "loading" }
  | { state: "loaded"; requests: RequestSummaryDto[] }
  | { state: "failed" };

const STATUS_KEYS: Record<RequestStatusDto, MessageKey> = {
  submitted: "status.submitted",
  inReview: "status.inReview",
  actionRequired: "status.actionRequired",
  decided: "status.decided",
  closed: "status.closed",
  unknown: "status.unknown",
};

export function statusKey(status: RequestStatusDto | null): MessageKey {
  return status === null ? "status.none" : STATUS_KEYS[status];
}

const FILTER_KEYS: Record<StatusFilter, MessageKey> = {
  all: "overview.filter.all",
  actionNeeded: "overview.filter.actionNeeded",
  none: "status.none",
  ...STATUS_KEYS,
};

export function connectionKey(connection: ConnectionStateDto): MessageKey {
  switch (connection.state) {
    case "stopped":
      return "connection.stopped";
    case "connecting":
      return "connection.connecting";
    case "connected":
      return "connection.connected";
    case "reconnecting":
      return "connection.reconnecting";
  }
}

/** What the overview needs from the app shell. */
export interface OverviewContext {
  query: OverviewQuery;
  open(roomId: string): void;
  /**
   * The reminder that the account's eID attestation is missing or expired
   * (authorities that require it withhold notices) or expires soon (notices
   * still arrive until then); `confirm` starts the eID step that renews it,
   * null where this device cannot.
   */
  attestation?: { notice: OverviewAttestationNotice; confirm: (() => void) | null } | null;
  /** The attestation's phase as read (`unknown` before), for tests/e2e. */
  attestationState?: "unknown" | AttestationPhase;
}

function attestationReminder(reminder: OverviewContext["attestation"]): HTMLElement | null {
  if (!reminder) return null;
  let action: HTMLElement | null = null;
  if (reminder.confirm) {
    const confirm = reminder.confirm;
    action = h("button", { type: "button", class: "primary", id: "attestation-confirm" }, t("overview.attestation.action"));
    action.addEventListener("click", () => confirm());
  }
  return h(
    "section",
    {
      class: "card attention",
      "aria-labelledby": "attestation-title",
      "data-testid": "attestation-reminder",
      "data-phase": reminder.notice.phase,
    },
    h("h2", { id: "attestation-title" }, t(reminder.notice.title)),
    h("p", {}, t(reminder.notice.text.key, reminder.notice.text.values)),
    action ? h("p", { class: "actions" }, action) : null,
  );
}

/** A small marker beside an authority whose identity is not confirmed (icon plus words, not colour alone). */
function unverifiedMarker(request: RequestSummaryDto): HTMLElement | null {
  const marker = overviewTrustMarker(request.authorityTrust);
  if (marker === null) return null;
  return h(
    "span",
    { class: "badge unverified trust-marker", "data-testid": "trust-marker" },
    h("span", { "aria-hidden": "true" }, "⚠ "),
    t(marker),
  );
}

function requestItem(request: RequestSummaryDto, index: number, context: OverviewContext): HTMLElement {
  const titleId = `request-${index}-title`;
  const detailsId = `request-${index}-details`;
  const status = t(statusKey(request.status));
  const prompts = request.openPrompts === 0 ? null : tCount("overview.openPrompts", request.openPrompts);
  const open = authorityText("button", request.language, request.service, {
    type: "button",
    class: "request-open",
    id: titleId,
    "data-room-id": request.roomId,
    "aria-describedby": detailsId,
  });
  open.addEventListener("click", () => context.open(request.roomId));
  const item = h(
    "li",
    { class: request.needsAction ? "request needs-action" : "request" },
    h("div", { class: "request-head" }, h("h2", {}, open), h("span", { class: `badge status-${request.status ?? "none"}` }, status)),
    h(
      "div",
      { id: detailsId },
      h("p", { class: "authority" }, authorityText("span", request.language, request.authority), unverifiedMarker(request)),
      h(
        "p",
        { class: "meta" },
        h("span", {}, t("overview.reference", { reference: request.reference })),
        h("span", {}, t("overview.submitted", { date: formatDate(request.submittedAt, locale()) })),
        h("span", { class: "visually-hidden" }, t("overview.status", { status })),
      ),
      request.needsAction
        ? h("p", { class: "action" }, h("span", { class: "badge action-badge" }, t("overview.needsAction")), prompts ? h("span", {}, prompts) : null)
        : null,
    ),
  );
  // The whole card opens the request on a pointer click; keyboard users use the button.
  item.addEventListener("click", (event) => {
    if (event.target !== open) context.open(request.roomId);
  });
  return item;
}

function resultList(requests: RequestSummaryDto[], context: OverviewContext): HTMLElement[] {
  const shown = filterRequests(requests, context.query);
  const count = h(
    "p",
    { id: "result-count", class: "hint", role: "status" },
    ((count) => t(count.key, count.values))(resultCount(shown.length, requests.length)),
  );
  if (shown.length === 0) return [count, h("p", { class: "lead" }, t("overview.noMatch"))];
  return [count, h("ul", { class: "requests", "aria-label": t("overview.list.label") }, ...shown.map((request, index) => requestItem(request, index, context)))];
}

function controls(requests: RequestSummaryDto[], context: OverviewContext, results: HTMLElement): HTMLElement {
  const search = h("input", { id: "request-search", type: "search", autocomplete: "off", spellcheck: "false", "aria-controls": "request-results" });
  search.value = context.query.text;
  const filter = h(
    "select",
    { id: "request-filter", "aria-controls": "request-results" },
    ...(["all", "actionNeeded", ...statusesPresent(requests)] as StatusFilter[]).map((value) =>
      h("option", { value, selected: value === context.query.status }, t(FILTER_KEYS[value])),
    ),
  );
  const update = (): void => replaceChildren(results, ...resultList(requests, context));
  search.addEventListener("input", () => {
    context.query.text = search.value;
    update();
  });
  filter.addEventListener("change", () => {
    context.query.status = filter.value as StatusFilter;
    update();
  });
  return h(
    "div",
    { class: "overview-controls", role: "search" },
    h("p", { class: "field" }, h("label", { for: "request-search" }, t("overview.search")), search),
    h("p", { class: "field" }, h("label", { for: "request-filter" }, t("overview.filter")), filter),
  );
}

export function overview(userId: string, connection: ConnectionStateDto, load: RequestsLoad, context: OverviewContext): HTMLElement {
  let body: HTMLElement[];
  if (load.state === "loading") {
    body = [h("p", { class: "lead", role: "status" }, t("overview.loading"))];
  } else if (load.state === "failed") {
    body = [h("p", { class: "error", role: "alert" }, t("overview.error"))];
  } else if (load.requests.length === 0) {
    body = [
      h(
        "section",
        { class: "card empty", "aria-labelledby": "empty-title" },
        h("h2", { id: "empty-title" }, t("overview.empty.title")),
        h("p", {}, t("overview.empty.text")),
      ),
    ];
  } else {
    const results = h("div", { id: "request-results" }, ...resultList(load.requests, context));
    body = [controls(load.requests, context, results), results];
  }
  return h(
    "main",
    { id: "main", tabindex: "-1", "data-screen": "overview", "data-attestation": context.attestationState ?? "unknown" },
    h("h1", { tabindex: "-1" }, t("overview.title")),
    h("p", { class: "lead" }, t("overview.lead", { user: userId })),
    h("p", { class: `connection connection-${connection.state}`, role: "status", "data-testid": "connection" }, t(connectionKey(connection))),
    attestationReminder(context.attestation),
    ...body,
  );
}
