// One request's page: header (service, authority, reference, status in
// words), what is waiting for the citizen, and the case's timeline with a
// card per prompt. State lives here and is re-rendered from Rust's
// `request-changed` events; drafts (typed text, picked files) survive.
// Authority text is marked with the case's language (authority-text.ts).
import { authorityText, DEFAULT_CASE_LANGUAGE } from "../authority-text.ts";
import { h, type Child } from "../dom.ts";
import { commandErrorMessage, type Message } from "../errors.ts";
import { formatDate, formatDateTime } from "../format.ts";
import { locale, t, tCount } from "../i18n/index.ts";
import { getRequest } from "../ipc/commands.ts";
import { statusKey } from "../overview.ts";
import { domId, promptCard, addDocumentFiles, type CardContext } from "./cards.ts";
import { emptyDraft, reduceDraft, type Draft, type DraftAction } from "./drafts.ts";
import { ShownData } from "../shown.ts";
import { trustView } from "./trust.ts";
import type { MessageKey } from "../i18n/de.ts";
import { cannotDisplayKey, openPrompts, type PromptType, type RequestDetailDto, type TimelineItemDto } from "./model.ts";

export type RequestLoad =
  | { state: "loading" }
  | { state: "loaded"; detail: RequestDetailDto }
  | { state: "failed"; error: Message };

export interface RequestPageState {
  roomId: string;
  load: RequestLoad;
  drafts: Map<string, Draft>;
  /** The requested document files are being dragged over: `${promptEventId}\n${documentId}`. */
  dragTarget: string | null;
}

/** What the page needs from the app shell. */
export interface PageContext {
  rerender(): void;
  announce(text: string): void;
  back(): void;
}

export function newRequestPage(roomId: string): RequestPageState {
  return { roomId, load: { state: "loading" }, drafts: new Map(), dragTarget: null };
}

/** Per page: what it was last rendered from. */
const shown = new WeakMap<RequestPageState, ShownData>();

function shownOf(state: RequestPageState): ShownData {
  let data = shown.get(state);
  if (!data) shown.set(state, (data = new ShownData()));
  return data;
}

/** Per page: the fetch under way, and whether another was asked for meanwhile. */
const fetches = new WeakMap<RequestPageState, { running: Promise<void>; again: boolean }>();

/** Fetches the request; bursts of change events coalesce into one extra fetch. */
export async function loadRequest(state: RequestPageState, context: PageContext): Promise<void> {
  const current = fetches.get(state);
  if (current) {
    current.again = true;
    return current.running;
  }
  const fetch = { running: Promise.resolve(), again: false };
  fetch.running = (async () => {
    try {
      do {
        fetch.again = false;
        try {
          const detail = await getRequest(state.roomId);
          state.load = { state: "loaded", detail };
        } catch (error) {
          console.error("get_request failed", error);
          state.load = { state: "failed", error: commandErrorMessage(error) };
        }
        // Most change events leave the page as it was (see shown.ts).
        if (shownOf(state).changed(state.load)) context.rerender();
      } while (fetch.again);
    } finally {
      fetches.delete(state);
    }
  })();
  fetches.set(state, fetch);
  return fetch.running;
}

function draftOf(state: RequestPageState, promptEventId: string): Draft {
  return state.drafts.get(promptEventId) ?? emptyDraft();
}

function cardContext(state: RequestPageState, promptEventId: string, context: PageContext): CardContext {
  const apply = (action: DraftAction): void => {
    state.drafts.set(promptEventId, reduceDraft(draftOf(state, promptEventId), action));
  };
  const [dragPrompt, dragDocument] = (state.dragTarget ?? "").split("\n");
  return {
    roomId: state.roomId,
    language: state.load.state === "loaded" ? state.load.detail.language : DEFAULT_CASE_LANGUAGE,
    // A getter: typing updates the draft without a re-render, and the
    // form's submit handler must see the latest, not the one at render.
    get draft() {
      return draftOf(state, promptEventId);
    },
    update: apply,
    dispatch: (action) => {
      apply(action);
      context.rerender();
    },
    reload: () => loadRequest(state, context),
    focusCard: () => document.getElementById(domId("prompt", promptEventId, "title"))?.focus(),
    announce: context.announce,
    dragTarget: dragPrompt === promptEventId ? (dragDocument ?? null) : null,
  };
}

/** Files dropped on the window at (x, y) CSS pixels: added to the drop zone there, if any. */
export function dropFiles(state: RequestPageState, context: PageContext, paths: string[], x: number, y: number): boolean {
  const zone = document.elementFromPoint(x, y)?.closest<HTMLElement>("[data-drop-document]");
  state.dragTarget = null;
  const promptEventId = zone?.dataset.dropPrompt;
  const documentId = zone?.dataset.dropDocument;
  if (!promptEventId || !documentId) {
    context.rerender();
    return false;
  }
  void addDocumentFiles(cardContext(state, promptEventId, context), promptEventId, documentId, paths);
  return true;
}

/** Files dragged over the window at (x, y): highlights the drop zone under them. */
export function dragOver(state: RequestPageState, context: PageContext, x: number | null, y: number | null): void {
  const zone = x === null || y === null ? null : document.elementFromPoint(x, y)?.closest<HTMLElement>("[data-drop-document]");
  const target = zone ? `${zone.dataset.dropPrompt ?? ""}\n${zone.dataset.dropDocument ?? ""}` : null;
  if (target !== state.dragTarget) {
    state.dragTarget = target;
    context.rerender();
  }
}

/** The authority's identity: its certificate's name with a check, or a warning with the reason. Icons are decoration; the text says it. */
function authorityTrust(detail: RequestDetailDto): HTMLElement {
  const view = trustView(detail.authorityTrust);
  if (view.verified) {
    return h(
      "p",
      { class: "trust trust-verified", "data-testid": "authority-trust", "data-trust": "verified" },
      h("span", { class: "trust-icon", "aria-hidden": "true" }, "✓"),
      authorityText("span", detail.language, view.name, { class: "authority", "data-testid": "authority-certificate-name" }),
      h("span", { class: "trust-label" }, t(view.label)),
    );
  }
  return h(
    "div",
    {
      class: view.urgent ? "trust trust-unverified urgent" : "trust trust-unverified",
      "data-testid": "authority-trust",
      "data-trust": "unverified",
      "data-reason": detail.authorityTrust.state === "unverified" ? detail.authorityTrust.reason : undefined,
    },
    authorityText("p", detail.language, detail.authority, { class: "authority" }),
    h("p", { class: "trust-title" }, h("span", { class: "trust-icon", "aria-hidden": "true" }, "⚠"), t(view.label)),
    h("p", { class: "trust-reason" }, t(view.reason)),
    h("p", { class: "trust-advice" }, t(view.advice)),
  );
}

function header(detail: RequestDetailDto): HTMLElement {
  const status = t(statusKey(detail.status));
  return h(
    "header",
    { class: "request-header card" },
    authorityText("h1", detail.language, detail.service, { tabindex: "-1" }),
    authorityTrust(detail),
    detail.description ? authorityText("p", detail.language, detail.description, { class: "authority-text" }) : null,
    h(
      "dl",
      { class: "facts" },
      h("dt", {}, t("request.reference")),
      h("dd", {}, detail.reference),
      h("dt", {}, t("request.submitted")),
      h("dd", {}, formatDate(detail.submittedAt, locale())),
      h("dt", {}, t("request.status")),
      h("dd", {}, h("span", { class: `badge status-${detail.status ?? "none"}`, "data-testid": "request-status" }, status)),
    ),
  );
}

const TODO: Record<PromptType, MessageKey> = {
  appointmentOffer: "todo.appointmentOffer",
  inquiry: "todo.inquiry",
  documentRequest: "todo.documentRequest",
  choice: "todo.choice",
  notice: "todo.notice",
};

function waiting(detail: RequestDetailDto): HTMLElement {
  const prompts = openPrompts(detail.timeline);
  if (prompts.length === 0) {
    return h("p", { class: "todo done", "data-testid": "todo" }, t("request.nothingToDo"));
  }
  return h(
    "section",
    { class: "todo card", "aria-labelledby": "todo-title", "data-testid": "todo" },
    h("h2", { id: "todo-title" }, prompts.length === 1 ? t("request.todo.one") : t("request.todo.many", { count: String(prompts.length) })),
    h(
      "ul",
      {},
      ...prompts.map((prompt) => {
        const link = h("a", { href: `#${domId("prompt", prompt.eventId)}` }, t(TODO[prompt.content.type]));
        link.addEventListener("click", (event) => {
          event.preventDefault();
          const card = document.getElementById(domId("prompt", prompt.eventId));
          card?.scrollIntoView({ block: "start" });
          document.getElementById(domId("prompt", prompt.eventId, "title"))?.focus();
        });
        return h("li", {}, link);
      }),
    ),
  );
}

function timelineItem(item: TimelineItemDto, language: string, state: RequestPageState, context: PageContext): HTMLElement {
  const when = formatDateTime(item.atMs, locale());
  const content = item.content;
  const from = t(item.from === "authority" ? "timeline.fromAuthority" : "timeline.fromYou");
  let body: Child;
  switch (content.kind) {
    case "prompt":
      body = promptCard(content.prompt, `${from} · ${when}`, cardContext(state, content.prompt.eventId, context));
      break;
    case "statusChange":
      body = h(
        "p",
        { class: "event status-change" },
        h("span", { class: "when" }, when),
        " ",
        t("timeline.status", { status: t(statusKey(content.status)) }),
        content.note ? " – " : null,
        content.note ? authorityText("span", language, content.note, { class: "note" }) : null,
      );
      break;
    case "documentsReceived":
      body = h(
        "div",
        { class: "card receipt", "data-testid": "documents-received" },
        h("h3", {}, t("timeline.documentsReceived")),
        h("p", { class: "hint when" }, `${from} · ${when}`),
        h("p", {}, tCount("timeline.documentsReceived.count", content.receivedSha256.length)),
        content.missingSha256.length > 0
          ? h("p", { class: "error" }, tCount("timeline.documentsReceived.missing", content.missingSha256.length))
          : null,
        content.note ? authorityText("p", language, content.note, { class: "authority-text" }) : null,
      );
      break;
    case "message":
      body = h(
        "div",
        { class: `card message from-${item.from}` },
        h("p", { class: "hint when" }, `${from} · ${when}`),
        item.from === "authority"
          ? authorityText("p", language, content.body, { class: "authority-text" })
          : h("p", { class: "authority-text" }, content.body),
      );
      break;
    case "cannotDisplay":
      body = h(
        "div",
        { class: "card cannot-display", "data-testid": "cannot-display" },
        h("h3", {}, t("timeline.cannotDisplay")),
        h("p", { class: "hint when" }, `${from} · ${when}`),
        h("p", {}, t(cannotDisplayKey(content.reason))),
        content.fallback
          ? item.from === "authority"
            ? authorityText("blockquote", language, content.fallback, { class: "fallback" })
            : h("blockquote", { class: "fallback" }, content.fallback)
          : null,
      );
      break;
  }
  return h("li", { class: `timeline-item kind-${content.kind}` }, body);
}

/** The page for the current state of the request. */
export function requestPage(state: RequestPageState, context: PageContext): HTMLElement {
  const back = h("button", { type: "button", class: "back", "aria-keyshortcuts": "Alt+ArrowLeft" }, t("nav.back"));
  back.addEventListener("click", () => context.back());
  const load = state.load;
  let body: Child[];
  if (load.state === "loading") {
    body = [h("h1", { tabindex: "-1" }, t("request.loadingTitle")), h("p", { class: "lead", role: "status" }, t("request.loading"))];
  } else if (load.state === "failed") {
    body = [h("h1", { tabindex: "-1" }, t("request.failedTitle")), h("p", { class: "error", role: "alert" }, t(load.error.key, load.error.values))];
  } else {
    const detail = load.detail;
    body = [
      header(detail),
      waiting(detail),
      h("h2", { id: "timeline-title" }, t("request.timeline")),
      detail.historyComplete ? null : h("p", { class: "hint" }, t("request.historyIncomplete")),
      h("ol", { class: "timeline", "aria-labelledby": "timeline-title" }, ...detail.timeline.map((item) => timelineItem(item, detail.language, state, context))),
    ];
  }
  return h("main", { id: "main", tabindex: "-1", "data-screen": "request" }, h("nav", { class: "page-nav", "aria-label": t("nav.label") }, back), ...body);
}

/** The page's title for the window (document.title). */
export function requestTitle(state: RequestPageState): string {
  return state.load.state === "loaded" ? state.load.detail.service : t("request.loadingTitle");
}
