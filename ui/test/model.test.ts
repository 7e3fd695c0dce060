// What the request page shows for prompts and answers, and the error texts.
import assert from "node:assert/strict";
import { test } from "node:test";
import { commandErrorMessage, refusalMessage } from "../src/errors.ts";
import { de } from "../src/i18n/de.ts";
import { en } from "../src/i18n/en.ts";
import { answerSummary, normalisationNotes, openPrompts, promptTitleKey, takesAnswer, type PromptDto } from "../src/request/model.ts";
import { Router } from "../src/router.ts";

const appointment: PromptDto = {
  eventId: "$appointment",
  state: "open",
  supersededBy: null,
  expiresAt: null,
  content: {
    type: "appointmentOffer",
    text: "Bitte wählen Sie einen Termin.",
    noneOfTheAboveAllowed: true,
    slots: [
      {
        id: "2025-09-19-0900",
        start: "2025-09-19T09:00:00+02:00",
        end: "2025-09-19T09:30:00+02:00",
        timeZone: "Europe/Berlin",
        localDate: "2025-09-19",
        localStart: "09:00",
        localEnd: "09:30",
        place: "Fischereiamt Berlin",
        address: "Havelchaussee 149-151\n14055 Berlin",
      },
    ],
  },
  answer: null,
};

test("an open prompt takes an answer until one is on its way", () => {
  assert.equal(takesAnswer(appointment), true);
  const queued: PromptDto = {
    ...appointment,
    answer: { eventId: null, transactionId: "t1", sendState: "sending", content: { type: "appointmentSelection", slotId: null } },
  };
  assert.equal(takesAnswer(queued), false);
  assert.equal(takesAnswer({ ...appointment, state: "expired" }), false);
});

test("the chosen slot reads in local time with its place", () => {
  const answered: PromptDto = {
    ...appointment,
    state: "answered",
    answer: { eventId: "$a", transactionId: null, sendState: "sent", content: { type: "appointmentSelection", slotId: "2025-09-19-0900" } },
  };
  assert.deepEqual(answerSummary(answered, answered.answer!, "de"), [
    { key: "answer.appointment.chosen", values: { slot: "Freitag, 19. September 2025, 09:00–09:30 Uhr" } },
    { text: "Fischereiamt Berlin, Havelchaussee 149-151, 14055 Berlin", authority: true },
  ]);
  const none = { ...answered.answer!, content: { type: "appointmentSelection" as const, slotId: null } };
  assert.deepEqual(answerSummary(answered, none, "de"), [{ key: "answer.appointment.none" }]);
});

test("choice answers show the options' labels", () => {
  const choice: PromptDto = {
    ...appointment,
    content: { type: "choice", question: "Wie?", multiple: false, options: [{ id: "pickup", label: "Abholung vor Ort" }] },
  };
  const answer = { eventId: "$a", transactionId: null, sendState: "sent" as const, content: { type: "choiceSelection" as const, optionIds: ["pickup", "gone"] } };
  assert.deepEqual(answerSummary(choice, answer, "en"), [{ text: "Abholung vor Ort", authority: true }, { key: "answer.choice.unknown", values: { id: "gone" } }]);
});

test("open prompts are listed in timeline order", () => {
  const items = [
    { content: { kind: "prompt", prompt: appointment } },
    { content: { kind: "message" } },
    { content: { kind: "prompt", prompt: { ...appointment, eventId: "$done", state: "answered" as const } } },
  ];
  assert.deepEqual(openPrompts(items).map((prompt) => prompt.eventId), ["$appointment"]);
});

test("a decision is titled as such", () => {
  const notice: PromptDto = {
    ...appointment,
    content: { type: "notice", noticeKind: "decision", title: "Bescheid", text: "…", attachments: [], requiresAcknowledgement: true },
  };
  assert.equal(promptTitleKey(notice.content), "card.decision.title");
  assert.equal(promptTitleKey(appointment.content), "card.appointment.title");
});

test("normalisation reads as what was done", () => {
  assert.deepEqual(
    normalisationNotes({ originalDimensions: [4000, 3000], finalDimensions: [3000, 2250], rotated: true, metadataRemoved: true }),
    [{ key: "normalisation.metadataRemoved" }, { key: "normalisation.rotated" }, { key: "normalisation.resized", values: { width: "3000", height: "2250" } }],
  );
  assert.deepEqual(normalisationNotes({ originalDimensions: null, finalDimensions: null, rotated: false, metadataRemoved: false }), [
    { key: "normalisation.unchanged" },
  ]);
});

test("every command error code has its own text in both languages", () => {
  const codes = [
    "internal", "notLoggedIn", "alreadyLoggedIn", "loginFailed", "keychainUnavailable", "network",
    "notFound", "promptNotOpen", "invalidAnswer", "attachmentDamaged", "openFailed",
  ];
  const keys = codes.map((code) => commandErrorMessage({ code, field: "text" }).key);
  assert.equal(new Set(keys).size, codes.length, "each code maps to a distinct message");
  for (const key of keys) {
    assert.notEqual(key, "error.other");
    assert.ok(de[key].length > 0 && en[key].length > 0, key);
  }
  assert.deepEqual(commandErrorMessage({ code: "documentRefused", path: "/x", reason: { code: "empty" } }), { key: "refusal.empty" });
  assert.deepEqual(commandErrorMessage("boom"), { key: "error.other" });
  assert.deepEqual(commandErrorMessage({ code: "fromTheFuture" }), { key: "error.other" });
});

test("a too large file names both sizes", () => {
  assert.deepEqual(refusalMessage({ code: "tooLarge", maxSize: 10, size: 20 }, (bytes) => `${bytes} B`), {
    key: "refusal.tooLarge",
    values: { max: "10 B", size: "20 B" },
  });
});

test("the router goes back like a browser; the overview is home", () => {
  const router = new Router();
  assert.equal(router.canGoBack, false);
  assert.equal(router.navigate({ page: "request", roomId: "!a" }), true);
  assert.equal(router.navigate({ page: "request", roomId: "!a" }), false, "same page: no new history entry");
  router.navigate({ page: "settings" });
  assert.equal(router.back(), true);
  assert.deepEqual(router.current, { page: "request", roomId: "!a" });
  router.navigate({ page: "overview" });
  assert.equal(router.canGoBack, false);
  assert.equal(router.back(), false);
  assert.deepEqual(router.current, { page: "overview" });
});
