// Search and status filter of the request overview, and its order: those
// that need the citizen first, then the newest. Pure; unit-tested.
import type { MessageKey } from "./i18n/de.ts";
import type { RequestStatusDto } from "./ipc/bindings/RequestStatusDto.ts";
import type { RequestSummaryDto } from "./ipc/bindings/RequestSummaryDto.ts";

/** The status filter: every request, those needing action, or one status. */
export type StatusFilter = "all" | "actionNeeded" | RequestStatusDto | "none";

export interface OverviewQuery {
  text: string;
  status: StatusFilter;
}

/** Lower case without accents: "bürgeramt" and "burgeramt" both find "Bürgeramt". */
function fold(text: string): string {
  return text.normalize("NFKD").replace(/\p{M}/gu, "").toLocaleLowerCase("de");
}

function matchesText(request: RequestSummaryDto, words: string[]): boolean {
  const haystack = fold(`${request.service} ${request.authority} ${request.reference}`);
  return words.every((word) => haystack.includes(word));
}

function matchesStatus(request: RequestSummaryDto, status: StatusFilter): boolean {
  switch (status) {
    case "all":
      return true;
    case "actionNeeded":
      return request.needsAction;
    case "none":
      return request.status === null;
    default:
      return request.status === status;
  }
}

/** The requests that match, in display order: action needed first, then by submission, newest first. */
export function filterRequests(requests: readonly RequestSummaryDto[], query: OverviewQuery): RequestSummaryDto[] {
  const words = fold(query.text).split(/\s+/).filter((word) => word !== "");
  return requests
    .filter((request) => matchesStatus(request, query.status) && matchesText(request, words))
    .sort((a, b) => {
      if (a.needsAction !== b.needsAction) return a.needsAction ? -1 : 1;
      const at = Date.parse(a.submittedAt);
      const bt = Date.parse(b.submittedAt);
      return (Number.isNaN(bt) ? 0 : bt) - (Number.isNaN(at) ? 0 : at);
    });
}

/** The statuses present in the list, for the filter's options (every request's status counts). */
export function statusesPresent(requests: readonly RequestSummaryDto[]): StatusFilter[] {
  const order: StatusFilter[] = ["submitted", "inReview", "actionRequired", "decided", "closed", "unknown", "none"];
  const present = new Set<StatusFilter>(requests.map((request) => request.status ?? "none"));
  return order.filter((status) => present.has(status));
}

/** The message for the list's count: "1 Antrag", "3 Anträge", "2 von 3
 * Anträgen" (German needs the singular for one). */
export function resultCount(shown: number, total: number): { key: MessageKey; values: Record<string, string> } {
  if (shown === total) {
    return total === 1 ? { key: "overview.count.one", values: {} } : { key: "overview.count.all", values: { count: String(total) } };
  }
  return total === 1
    ? { key: "overview.count.filteredOfOne", values: { shown: String(shown) } }
    : { key: "overview.count.filtered", values: { shown: String(shown), count: String(total) } };
}
