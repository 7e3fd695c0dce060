// The drafts reducer and the validation of answers before they are sent.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  appointmentProblem,
  choiceProblem,
  documentsProblem,
  emptyDraft,
  inquiryProblem,
  reduceDraft,
  submission,
  type Draft,
} from "../src/request/drafts.ts";
import type { PreparedFileDto, RequestedDocumentDto } from "../src/request/model.ts";

function ready(path: string): PreparedFileDto {
  return {
    result: "ready",
    path,
    fileName: path.split("/").pop() ?? path,
    mimetype: "image/jpeg",
    size: 1000,
    sha256: "00",
    thumbnailDataUrl: null,
    normalisation: { originalSize: 2000, originalDimensions: [4000, 3000], finalDimensions: [3000, 2250], rotated: false, metadataRemoved: true, reencoded: true },
  };
}

function refused(path: string): PreparedFileDto {
  return { result: "refused", path, fileName: path, reason: { code: "unsupportedType", detected: "HEIC/HEIF" } };
}

const idCard: RequestedDocumentDto = {
  id: "id_card_copy",
  title: "Aktuelle Kopie des Personalausweises",
  description: null,
  acceptedMimetypes: ["image/jpeg", "application/pdf"],
  maxSize: 10_485_760,
  required: true,
};
const optional: RequestedDocumentDto = { ...idCard, id: "other", title: "Sonstiges", required: false };

function apply(draft: Draft, ...actions: Parameters<typeof reduceDraft>[1][]): Draft {
  return actions.reduce(reduceDraft, draft);
}

test("an inquiry answer must not be empty or blank", () => {
  assert.deepEqual(inquiryProblem("", 10), { key: "validation.answerEmpty" });
  assert.deepEqual(inquiryProblem("  \n ", 10), { key: "validation.answerEmpty" });
  assert.equal(inquiryProblem("Berlin, 2019", 2000), null);
});

test("an inquiry answer may use the whole length, counted in characters", () => {
  assert.equal(inquiryProblem("🎣".repeat(5), 5), null);
  assert.deepEqual(inquiryProblem("ab🎣def", 5), { key: "validation.answerTooLong", values: { max: "5", count: "6" } });
});

test("an appointment needs a slot or 'none of these'", () => {
  assert.deepEqual(appointmentProblem(emptyDraft()), { key: "validation.chooseSlot" });
  assert.equal(appointmentProblem(apply(emptyDraft(), { type: "selectSlot", slotId: "2025-09-19-0900" })), null);
  const none = apply(emptyDraft(), { type: "selectSlot", slotId: null });
  assert.equal(none.slotId, null);
  assert.equal(appointmentProblem(none), null);
});

test("a single choice keeps one option, a multiple choice toggles", () => {
  const single = apply(
    emptyDraft(),
    { type: "toggleOption", optionId: "pickup", multiple: false },
    { type: "toggleOption", optionId: "mail", multiple: false },
  );
  assert.deepEqual(single.optionIds, ["mail"]);
  const multiple = apply(
    emptyDraft(),
    { type: "toggleOption", optionId: "a", multiple: true },
    { type: "toggleOption", optionId: "b", multiple: true },
    { type: "toggleOption", optionId: "a", multiple: true },
  );
  assert.deepEqual(multiple.optionIds, ["b"]);
  assert.deepEqual(choiceProblem(emptyDraft()), { key: "validation.chooseOption" });
  assert.equal(choiceProblem(single), null);
});

test("files picked again replace their earlier check; removing drops one", () => {
  let draft = apply(emptyDraft(), { type: "busy" }, { type: "addFiles", documentId: "id_card_copy", files: [refused("/a.heic"), ready("/b.jpg")] });
  assert.equal(draft.busy, false);
  draft = reduceDraft(draft, { type: "addFiles", documentId: "id_card_copy", files: [ready("/a.heic")] });
  assert.deepEqual(
    draft.files["id_card_copy"]?.map((file) => [file.path, file.result]),
    [["/b.jpg", "ready"], ["/a.heic", "ready"]],
  );
  draft = reduceDraft(draft, { type: "removeFile", documentId: "id_card_copy", path: "/b.jpg" });
  assert.deepEqual(draft.files["id_card_copy"]?.map((file) => file.path), ["/a.heic"]);
});

test("documents: a required document needs an accepted file; refused files are not submitted", () => {
  const onlyRefused = apply(emptyDraft(), { type: "addFiles", documentId: "id_card_copy", files: [refused("/scan.heic")] });
  assert.deepEqual(documentsProblem(onlyRefused, [idCard, optional]), {
    key: "validation.documentMissing",
    values: { title: "Aktuelle Kopie des Personalausweises" },
  });
  const good = reduceDraft(onlyRefused, { type: "addFiles", documentId: "id_card_copy", files: [ready("/scan.jpg")] });
  assert.equal(documentsProblem(good, [idCard, optional]), null);
  assert.deepEqual(submission(good, [idCard, optional]), [{ documentId: "id_card_copy", paths: ["/scan.jpg"] }]);
});

test("documents: with nothing required, at least one file is needed", () => {
  assert.deepEqual(documentsProblem(emptyDraft(), [optional]), { key: "validation.noDocuments" });
});

test("a failed command keeps the draft and shows the error; success clears it", () => {
  const typed = apply(emptyDraft(), { type: "setText", text: "Berlin 2019" }, { type: "busy" });
  assert.equal(typed.busy, true);
  const failed = reduceDraft(typed, { type: "failed", error: { key: "error.network" } });
  assert.equal(failed.text, "Berlin 2019");
  assert.equal(failed.busy, false);
  assert.deepEqual(failed.error, { key: "error.network" });
  assert.deepEqual(reduceDraft(failed, { type: "done" }), emptyDraft());
});
