// The request overview: every request with its status, those that need the
// citizen's action first (Rust sorts them). Authority text goes in as text.
import { h } from "./dom.ts";
import type { MessageKey } from "./i18n/de.ts";
import { t } from "./i18n/index.ts";
import type { ConnectionStateDto } from "./ipc/bindings/ConnectionStateDto.ts";
import type { RequestStatusDto } from "./ipc/bindings/RequestStatusDto.ts";
import type { RequestSummaryDto } from "./ipc/bindings/RequestSummaryDto.ts";

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

/** The date part of an RFC 3339 timestamp, in the reader's locale. */
function formatDate(rfc3339: string, locale: string): string {
  const date = new Date(rfc3339);
  if (Number.isNaN(date.getTime())) return rfc3339;
  return date.toLocaleDateString(locale, { year: "numeric", month: "long", day: "numeric" });
}

function requestItem(request: RequestSummaryDto, locale: string, index: number): HTMLElement {
  const titleId = `request-${index}-title`;
  const status = t(statusKey(request.status));
  const prompts =
    request.openPrompts === 0
      ? null
      : request.openPrompts === 1
        ? t("overview.openPrompts.one")
        : t("overview.openPrompts.many", { count: String(request.openPrompts) });
  return h(
    "li",
    {
      class: request.needsAction ? "request needs-action" : "request",
      tabindex: "0",
      "aria-labelledby": titleId,
      "data-room-id": request.roomId,
    },
    h(
      "div",
      { class: "request-head" },
      h("h2", { id: titleId }, request.service),
      h(
        "span",
        { class: `badge status-${request.status ?? "none"}`, "aria-label": t("overview.status", { status }) },
        status,
      ),
    ),
    h("p", { class: "authority" }, request.authority),
    h(
      "p",
      { class: "meta" },
      h("span", {}, t("overview.reference", { reference: request.reference })),
      h("span", {}, t("overview.submitted", { date: formatDate(request.submittedAt, locale) })),
    ),
    request.needsAction
      ? h(
          "p",
          { class: "action" },
          h("span", { class: "badge action-badge" }, t("overview.needsAction")),
          prompts ? h("span", {}, prompts) : null,
        )
      : null,
  );
}

export function overview(
  userId: string,
  connection: ConnectionStateDto,
  load: RequestsLoad,
  locale: string,
): HTMLElement {
  let body: HTMLElement;
  if (load.state === "loading") {
    body = h("p", { class: "lead", role: "status" }, t("overview.loading"));
  } else if (load.state === "failed") {
    body = h("p", { class: "error", role: "alert" }, t("overview.error"));
  } else if (load.requests.length === 0) {
    body = h(
      "section",
      { class: "card empty", "aria-labelledby": "empty-title" },
      h("h2", { id: "empty-title" }, t("overview.empty.title")),
      h("p", {}, t("overview.empty.text")),
    );
  } else {
    body = h(
      "ul",
      { class: "requests", "aria-label": t("overview.list.label") },
      ...load.requests.map((request, index) => requestItem(request, locale, index)),
    );
  }
  return h(
    "main",
    { id: "main", tabindex: "-1", "data-screen": "overview" },
    h("h1", {}, t("overview.title")),
    h("p", { class: "lead" }, t("overview.lead", { user: userId })),
    h(
      "p",
      { class: `connection connection-${connection.state}`, role: "status", "data-testid": "connection" },
      t(connectionKey(connection)),
    ),
    body,
  );
}
