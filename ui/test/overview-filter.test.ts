// The overview's search, status filter and order.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { RequestSummaryDto } from "../src/ipc/bindings/RequestSummaryDto.ts";
import { filterRequests, resultCount, statusesPresent } from "../src/overview-filter.ts";

function request(overrides: Partial<RequestSummaryDto>): RequestSummaryDto {
  return {
    roomId: "!r:example",
    service: "Angelschein",
    authority: "Fischereiamt Berlin",
    authorityTrust: { state: "verified", name: "Fischereiamt Berlin" },
    reference: "FA-B-2025-004711",
    submittedAt: "2025-09-01T10:15:00+02:00",
    status: "inReview",
    openPrompts: 0,
    needsAction: false,
    ...overrides,
  };
}

const requests = [
  request({ roomId: "!old", service: "Wohnsitz anmelden", authority: "Bürgeramt Mitte", reference: "BA-1", submittedAt: "2025-01-01T00:00:00Z", status: "closed" }),
  request({ roomId: "!fish", needsAction: true, openPrompts: 2, status: "actionRequired" }),
  request({ roomId: "!new", service: "Parkausweis", authority: "Straßenverkehrsbehörde", reference: "SV-99", submittedAt: "2025-10-01T00:00:00Z", status: null }),
];

const ids = (list: RequestSummaryDto[]): string[] => list.map((item) => item.roomId);

test("those needing action come first, then the newest", () => {
  assert.deepEqual(ids(filterRequests(requests, { text: "", status: "all" })), ["!fish", "!new", "!old"]);
});

test("search looks at service, authority and reference, every word must match", () => {
  assert.deepEqual(ids(filterRequests(requests, { text: "angel", status: "all" })), ["!fish"]);
  assert.deepEqual(ids(filterRequests(requests, { text: "fischereiamt berlin", status: "all" })), ["!fish"]);
  assert.deepEqual(ids(filterRequests(requests, { text: "sv-99", status: "all" })), ["!new"]);
  assert.deepEqual(ids(filterRequests(requests, { text: "berlin parkausweis", status: "all" })), []);
});

test("search ignores case and accents", () => {
  assert.deepEqual(ids(filterRequests(requests, { text: "BURGERAMT", status: "all" })), ["!old"]);
  assert.deepEqual(ids(filterRequests(requests, { text: "straßen", status: "all" })), ["!new"]);
});

test("the status filter: action needed, one status, or none yet", () => {
  assert.deepEqual(ids(filterRequests(requests, { text: "", status: "actionNeeded" })), ["!fish"]);
  assert.deepEqual(ids(filterRequests(requests, { text: "", status: "closed" })), ["!old"]);
  assert.deepEqual(ids(filterRequests(requests, { text: "", status: "none" })), ["!new"]);
  assert.deepEqual(ids(filterRequests(requests, { text: "", status: "decided" })), []);
});

test("the filter offers the statuses present, in the process's order", () => {
  assert.deepEqual(statusesPresent(requests), ["actionRequired", "closed", "none"]);
});

test("filtering does not reorder or change the caller's list", () => {
  const before = ids(requests);
  filterRequests(requests, { text: "", status: "all" });
  assert.deepEqual(ids(requests), before);
});

test("the count reads in the singular for one request", () => {
  assert.deepEqual(resultCount(1, 1), { key: "overview.count.one", values: {} });
  assert.deepEqual(resultCount(3, 3), { key: "overview.count.all", values: { count: "3" } });
  assert.deepEqual(resultCount(0, 1), { key: "overview.count.filteredOfOne", values: { shown: "0" } });
  assert.deepEqual(resultCount(2, 3), { key: "overview.count.filtered", values: { shown: "2", count: "3" } });
});
