// What the citizen has entered on a prompt's card but not sent yet, as a
// reducer: the page re-renders from this state whenever Rust reports a
// change, so typed text, a chosen slot or picked files survive the
// re-render. Validation lives here too. Pure; unit-tested in ui/test/.
import { characterCount } from "../format.ts";
import type { Message } from "../errors.ts";
import type { DocumentFilesDto, PreparedFileDto, RequestedDocumentDto } from "./model.ts";

export interface Draft {
  /** The chosen slot; `null` is "none of these"; `undefined` nothing chosen yet. */
  slotId: string | null | undefined;
  /** The inquiry answer as typed. */
  text: string;
  /** The chosen options, in the authority's order of choosing. */
  optionIds: string[];
  /** Picked files per requested document id, checked by Rust. */
  files: Record<string, PreparedFileDto[]>;
  /** A command for this card is under way. */
  busy: boolean;
  /** The last error of this card, shown until the next attempt. */
  error: Message | null;
}

export type DraftAction =
  | { type: "selectSlot"; slotId: string | null }
  | { type: "setText"; text: string }
  | { type: "toggleOption"; optionId: string; multiple: boolean }
  /** Files checked by Rust; ends the busy state of the check. */
  | { type: "addFiles"; documentId: string; files: PreparedFileDto[] }
  | { type: "removeFile"; documentId: string; path: string }
  | { type: "busy" }
  | { type: "failed"; error: Message }
  | { type: "done" };

export function emptyDraft(): Draft {
  return { slotId: undefined, text: "", optionIds: [], files: {}, busy: false, error: null };
}

export function reduceDraft(draft: Draft, action: DraftAction): Draft {
  switch (action.type) {
    case "selectSlot":
      return { ...draft, slotId: action.slotId, error: null };
    case "setText":
      return { ...draft, text: action.text };
    case "toggleOption": {
      const chosen = draft.optionIds.includes(action.optionId);
      const optionIds = action.multiple
        ? chosen
          ? draft.optionIds.filter((id) => id !== action.optionId)
          : [...draft.optionIds, action.optionId]
        : [action.optionId];
      return { ...draft, optionIds, error: null };
    }
    case "addFiles": {
      const existing = draft.files[action.documentId] ?? [];
      // A file picked again replaces its earlier check (it may have changed).
      const paths = new Set(action.files.map((file) => file.path));
      const merged = [...existing.filter((file) => !paths.has(file.path)), ...action.files];
      return { ...draft, files: { ...draft.files, [action.documentId]: merged }, busy: false, error: null };
    }
    case "removeFile": {
      const remaining = (draft.files[action.documentId] ?? []).filter((file) => file.path !== action.path);
      return { ...draft, files: { ...draft.files, [action.documentId]: remaining } };
    }
    case "busy":
      return { ...draft, busy: true, error: null };
    case "failed":
      return { ...draft, busy: false, error: action.error };
    case "done":
      return emptyDraft();
  }
}

/** Why an inquiry answer cannot be sent yet, or `null` if it can. */
export function inquiryProblem(text: string, maxLength: number): Message | null {
  if (text.trim() === "") return { key: "validation.answerEmpty" };
  const count = characterCount(text);
  if (count > maxLength) {
    return { key: "validation.answerTooLong", values: { max: String(maxLength), count: String(count) } };
  }
  return null;
}

/** Why an appointment cannot be booked yet, or `null`. */
export function appointmentProblem(draft: Draft): Message | null {
  return draft.slotId === undefined ? { key: "validation.chooseSlot" } : null;
}

/** Why a choice cannot be sent yet, or `null`. */
export function choiceProblem(draft: Draft): Message | null {
  return draft.optionIds.length === 0 ? { key: "validation.chooseOption" } : null;
}

/** The files that will be submitted: the checked, accepted ones. */
export function readyFiles(draft: Draft, documentId: string): Extract<PreparedFileDto, { result: "ready" }>[] {
  return (draft.files[documentId] ?? []).filter(
    (file): file is Extract<PreparedFileDto, { result: "ready" }> => file.result === "ready",
  );
}

/** Why the documents cannot be sent yet (the first required document without a file), or `null`. */
export function documentsProblem(draft: Draft, requested: readonly RequestedDocumentDto[]): Message | null {
  const missing = requested.find((document) => document.required && readyFiles(draft, document.id).length === 0);
  if (missing) return { key: "validation.documentMissing", values: { title: missing.title } };
  const anything = requested.some((document) => readyFiles(draft, document.id).length > 0);
  return anything ? null : { key: "validation.noDocuments" };
}

/** The submission `submit_documents` takes: accepted files per document, empty documents left out. */
export function submission(draft: Draft, requested: readonly RequestedDocumentDto[]): DocumentFilesDto[] {
  return requested
    .map((document) => ({ documentId: document.id, paths: readyFiles(draft, document.id).map((file) => file.path) }))
    .filter((document) => document.paths.length > 0);
}
