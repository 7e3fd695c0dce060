// One interactive card per prompt type (appointment, inquiry, documents,
// choice, notice): the form while the prompt is open, the given answer with
// its send state afterwards. All authority text goes in as text nodes
// (dom.ts), each in its own element marked with the case's language
// (authority-text.ts); the cards call Rust only through ipc/commands.ts.
import { authorityText } from "../authority-text.ts";
import { h, type Child } from "../dom.ts";
import { commandErrorMessage, mimeLabel, refusalMessage, type Message } from "../errors.ts";
import { characterCount, formatSize, formatSlot } from "../format.ts";
import { locale, t, tCount } from "../i18n/index.ts";
import {
  acknowledgeNotice,
  answerInquiry,
  cancelSend,
  openAttachment,
  pickDocuments,
  prepareDocuments,
  retrySend,
  selectAppointment,
  selectChoice,
  submitDocuments,
} from "../ipc/commands.ts";
import {
  appointmentProblem,
  choiceProblem,
  documentsProblem,
  inquiryProblem,
  readyFiles,
  submission,
  type Draft,
  type DraftAction,
} from "./drafts.ts";
import {
  answerSummary,
  normalisationNotes,
  promptStateKey,
  promptTitleKey,
  sendStateKey,
  takesAnswer,
  type AnswerDto,
  type AttachmentDto,
  type PreparedFileDto,
  type PromptContentDto,
  type PromptDto,
  type RequestedDocumentDto,
} from "./model.ts";

/** What a card needs from its page. */
export interface CardContext {
  roomId: string;
  /** The language the authority writes this case in (BCP 47): its texts are marked with it. */
  language: string;
  draft: Draft;
  /** Updates this card's draft without re-rendering (typing). */
  update(action: DraftAction): void;
  /** Updates this card's draft and re-renders the page. */
  dispatch(action: DraftAction): void;
  /** Fetches the request again (after a command). */
  reload(): Promise<void>;
  /** Puts the focus on this card's heading (its form is gone after sending). */
  focusCard(): void;
  /** Says something to screen readers (send states, results). */
  announce(text: string): void;
  /** The requested document a file drop is aimed at, if any. */
  dragTarget: string | null;
}

/** A DOM id from an event id (which holds `$`, `:` and the like). */
export function domId(prefix: string, eventId: string, suffix = ""): string {
  return `${prefix}-${eventId.replace(/[^A-Za-z0-9_-]/g, "_")}${suffix ? `-${suffix}` : ""}`;
}

function say(message: Message): string {
  return t(message.key, message.values);
}

function errorLine(id: string, message: Message | null): HTMLElement | null {
  // Not a live region itself (it is rebuilt on every render): the page's
  // announcer says it once when it happens.
  return message ? h("p", { id, class: "error" }, say(message)) : null;
}

/** Runs a command for a card: busy while it runs, the error on the card if it fails. */
async function run(context: CardContext, action: () => Promise<unknown>, announcement: string): Promise<void> {
  context.dispatch({ type: "busy" });
  try {
    await action();
    context.dispatch({ type: "done" });
    context.announce(announcement);
    await context.reload();
    context.focusCard();
  } catch (error) {
    console.error("command failed", error);
    const message = commandErrorMessage(error);
    context.dispatch({ type: "failed", error: message });
    context.announce(say(message));
  }
}

/** The card's send button; its id lets a re-render (an event arriving) give the focus back to it. */
function submitButton(label: string, draft: Draft, promptEventId: string): HTMLButtonElement {
  return h(
    "button",
    { type: "submit", class: "primary", id: domId("submit", promptEventId), disabled: draft.busy, "aria-busy": draft.busy ? "true" : undefined },
    draft.busy ? t("card.busy") : label,
  );
}

// ---------------------------------------------------------------- answers

function sendState(prompt: PromptDto, answer: AnswerDto, context: CardContext): HTMLElement {
  const state = answer.sendState;
  const buttons: Child[] = [];
  if (answer.transactionId && (state === "failed" || state === "waitingForNetwork")) {
    const transactionId = answer.transactionId;
    if (state === "failed") {
      const retry = h("button", { type: "button", class: "primary", id: domId("retry", prompt.eventId) }, t("send.retry"));
      retry.addEventListener("click", () => void run(context, () => retrySend(context.roomId, transactionId), t("send.retrying")));
      buttons.push(retry);
    }
    const discard = h("button", { type: "button", id: domId("discard", prompt.eventId) }, t("send.discard"));
    discard.addEventListener("click", () =>
      void run(context, () => cancelSend(context.roomId, transactionId), t("send.discarded")),
    );
    buttons.push(discard);
  }
  return h(
    "div",
    { class: `send-state send-${state}`, "data-testid": "send-state", "data-send-state": state },
    h("span", { class: "send-label" }, t(sendStateKey(state))),
    state === "failed" ? h("span", {}, t("send.failed.help")) : null,
    state === "waitingForNetwork" ? h("span", {}, t("send.waitingForNetwork.help")) : null,
    buttons.length > 0 ? h("span", { class: "actions" }, ...buttons) : null,
  );
}

function givenAnswer(prompt: PromptDto, answer: AnswerDto, context: CardContext): HTMLElement {
  const summary =
    answer.content.type === "documentsSubmission"
      ? submittedFiles(answer)
      : h(
          "ul",
          { class: "answer-lines" },
          ...answerSummary(prompt, answer, locale()).map((line) =>
            "text" in line
              ? line.authority
                ? authorityText("li", context.language, line.text)
                : h("li", {}, line.text)
              : h("li", {}, t(line.key, line.values)),
          ),
        );
  return h(
    "section",
    { class: "given-answer", "aria-labelledby": domId("answer", prompt.eventId, "title") },
    h("h4", { id: domId("answer", prompt.eventId, "title") }, t("answer.title")),
    summary,
    sendState(prompt, answer, context),
  );
}

function submittedFiles(answer: AnswerDto): HTMLElement {
  const files = answer.content.type === "documentsSubmission" ? answer.content.documents.flatMap((document) => document.files) : [];
  return h(
    "ul",
    { class: "answer-lines" },
    ...files.map((file) =>
      h(
        "li",
        {},
        `${file.file.name} (${mimeLabel(file.file.mimetype)}, ${formatSize(file.file.size, locale())})`,
        file.confirmed ? h("span", { class: "badge confirmed" }, t("answer.documents.confirmed")) : null,
      ),
    ),
  );
}

// ------------------------------------------------------------ appointment

function appointmentForm(prompt: PromptDto, content: Extract<PromptContentDto, { type: "appointmentOffer" }>, context: CardContext): HTMLElement {
  const draft = context.draft;
  const name = domId("slot", prompt.eventId);
  const legendId = domId("slots", prompt.eventId, "legend");
  const errorId = domId("appointment", prompt.eventId, "error");
  const radio = (id: string, value: string, checked: boolean, label: Child[], onSelect: () => void): HTMLElement => {
    const input = h("input", { type: "radio", id, name, value, checked, disabled: draft.busy });
    input.addEventListener("change", onSelect);
    return h("div", { class: "option" }, input, h("label", { for: id }, ...label));
  };
  const options = content.slots.map((slot, index) =>
    radio(
      domId("slot", prompt.eventId, String(index)),
      slot.id,
      draft.slotId === slot.id,
      [
        h("span", { class: "slot-time" }, formatSlot(slot, locale())),
        authorityText("span", context.language, slot.address ? `${slot.place}, ${slot.address.replace(/\n/g, ", ")}` : slot.place, { class: "slot-place" }),
      ],
      () => context.update({ type: "selectSlot", slotId: slot.id }),
    ),
  );
  if (content.noneOfTheAboveAllowed) {
    options.push(
      radio(domId("slot", prompt.eventId, "none"), "", draft.slotId === null, [t("card.appointment.none")], () =>
        context.update({ type: "selectSlot", slotId: null }),
      ),
    );
  }
  const form = h(
    "form",
    { class: "prompt-form", "aria-describedby": draft.error ? errorId : undefined },
    h(
      "fieldset",
      { "aria-describedby": undefined },
      h("legend", { id: legendId }, t("card.appointment.legend")),
      h("p", { class: "hint" }, t("card.appointment.timezone", { zone: content.slots[0]?.timeZone ?? "" })),
      ...options,
    ),
    errorLine(errorId, draft.error),
    submitButton(t("card.appointment.submit"), draft, prompt.eventId),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const problem = appointmentProblem(context.draft);
    if (problem) {
      context.dispatch({ type: "failed", error: problem });
      context.announce(say(problem));
      return;
    }
    const slotId = context.draft.slotId ?? null;
    void run(context, () => selectAppointment(context.roomId, prompt.eventId, slotId), t("send.queued"));
  });
  return form;
}

// ---------------------------------------------------------------- inquiry

function inquiryForm(prompt: PromptDto, content: Extract<PromptContentDto, { type: "inquiry" }>, context: CardContext): HTMLElement {
  const draft = context.draft;
  const id = domId("inquiry", prompt.eventId, "text");
  const counterId = domId("inquiry", prompt.eventId, "counter");
  const errorId = domId("inquiry", prompt.eventId, "error");
  const max = content.maxAnswerLength;
  const counterText = (text: string): string =>
    t("card.inquiry.counter", { count: String(characterCount(text)), max: String(max) });
  const counter = h("p", { id: counterId, class: "hint counter" }, counterText(draft.text));
  const textarea = h("textarea", {
    id,
    name: id,
    rows: "5",
    maxlength: String(max),
    required: true,
    disabled: draft.busy,
    "aria-describedby": draft.error ? `${counterId} ${errorId}` : counterId,
    "aria-invalid": draft.error ? "true" : undefined,
  });
  textarea.value = draft.text;
  textarea.addEventListener("input", () => {
    context.update({ type: "setText", text: textarea.value });
    counter.textContent = counterText(textarea.value);
  });
  const form = h(
    "form",
    { class: "prompt-form" },
    h("label", { for: id }, t("card.inquiry.label")),
    textarea,
    counter,
    errorLine(errorId, draft.error),
    submitButton(t("card.inquiry.submit"), draft, prompt.eventId),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = context.draft.text;
    const problem = inquiryProblem(text, max);
    if (problem) {
      context.dispatch({ type: "failed", error: problem });
      context.announce(say(problem));
      document.getElementById(id)?.focus();
      return;
    }
    void run(context, () => answerInquiry(context.roomId, prompt.eventId, text), t("send.queued"));
  });
  return form;
}

// ----------------------------------------------------------------- choice

function choiceForm(prompt: PromptDto, content: Extract<PromptContentDto, { type: "choice" }>, context: CardContext): HTMLElement {
  const draft = context.draft;
  const name = domId("choice", prompt.eventId);
  const errorId = domId("choice", prompt.eventId, "error");
  const options = content.options.map((option, index) => {
    const id = domId("choice", prompt.eventId, String(index));
    const input = h("input", {
      type: content.multiple ? "checkbox" : "radio",
      id,
      name,
      value: option.id,
      checked: draft.optionIds.includes(option.id),
      disabled: draft.busy,
    });
    input.addEventListener("change", () => context.update({ type: "toggleOption", optionId: option.id, multiple: content.multiple }));
    return h("div", { class: "option" }, input, authorityText("label", context.language, option.label, { for: id }));
  });
  const form = h(
    "form",
    { class: "prompt-form" },
    h(
      "fieldset",
      {},
      h("legend", {}, t(content.multiple ? "card.choice.legendMany" : "card.choice.legendOne")),
      ...options,
    ),
    errorLine(errorId, draft.error),
    submitButton(t("card.choice.submit"), draft, prompt.eventId),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const problem = choiceProblem(context.draft);
    if (problem) {
      context.dispatch({ type: "failed", error: problem });
      context.announce(say(problem));
      return;
    }
    const optionIds = [...context.draft.optionIds];
    void run(context, () => selectChoice(context.roomId, prompt.eventId, optionIds), t("send.queued"));
  });
  return form;
}

// -------------------------------------------------------------- documents

/** Checks picked or dropped files in Rust and adds them to the draft. */
export async function addDocumentFiles(context: CardContext, promptEventId: string, documentId: string, paths: string[]): Promise<void> {
  if (paths.length === 0) return;
  context.dispatch({ type: "busy" });
  try {
    const files = await prepareDocuments(context.roomId, promptEventId, documentId, paths);
    context.dispatch({ type: "addFiles", documentId, files });
    const refused = files.filter((file) => file.result === "refused").length;
    context.announce(
      refused > 0
        ? tCount("card.documents.someRefused", refused)
        : tCount("card.documents.addedAnnouncement", files.length),
    );
  } catch (error) {
    console.error("prepare_documents failed", error);
    const message = commandErrorMessage(error);
    context.dispatch({ type: "failed", error: message });
    context.announce(say(message));
  }
}

function preparedFile(file: PreparedFileDto, onRemove: () => void, busy: boolean): HTMLElement {
  const remove = h(
    "button",
    { type: "button", class: "link", disabled: busy, "aria-label": t("card.documents.removeNamed", { name: file.fileName }) },
    t("card.documents.remove"),
  );
  remove.addEventListener("click", onRemove);
  if (file.result === "refused") {
    return h(
      "li",
      { class: "file refused" },
      h("div", { class: "file-text" }, h("span", { class: "file-name" }, file.fileName), h("span", { class: "error" }, say(refusalMessage(file.reason, (bytes) => formatSize(bytes, locale()))))),
      remove,
    );
  }
  const notes = normalisationNotes(file.normalisation).map((note) => t(note.key, note.values));
  return h(
    "li",
    { class: "file ready" },
    file.thumbnailDataUrl
      ? h("img", { class: "thumbnail", src: file.thumbnailDataUrl, alt: t("card.documents.preview", { name: file.fileName }) })
      : h("span", { class: "thumbnail placeholder", "aria-hidden": "true" }, mimeLabel(file.mimetype)),
    h(
      "div",
      { class: "file-text" },
      h("span", { class: "file-name" }, file.fileName),
      h("span", { class: "hint" }, `${mimeLabel(file.mimetype)}, ${formatSize(file.size, locale())}`),
      h("span", { class: "hint normalisation" }, notes.join(", ")),
    ),
    remove,
  );
}

function requestedDocument(prompt: PromptDto, document: RequestedDocumentDto, context: CardContext): HTMLElement {
  const draft = context.draft;
  const titleId = domId("doc", prompt.eventId, `${document.id}-title`);
  const files = draft.files[document.id] ?? [];
  const add = h("button", { type: "button", class: "add-document", disabled: draft.busy, "aria-describedby": titleId }, t("card.documents.add"));
  add.addEventListener("click", () => {
    void pickDocuments(t("card.documents.dialogTitle", { title: document.title }))
      .then((paths) => addDocumentFiles(context, prompt.eventId, document.id, paths))
      .catch((error: unknown) => {
        console.error("pick_documents failed", error);
        context.dispatch({ type: "failed", error: commandErrorMessage(error) });
      });
  });
  const accepted = document.acceptedMimetypes.map(mimeLabel).join(", ");
  return h(
    "section",
    { class: "requested-document", "aria-labelledby": titleId },
    h(
      "h4",
      { id: titleId },
      authorityText("span", context.language, document.title),
      document.required ? h("span", { class: "required" }, ` (${t("card.documents.required")})`) : null,
    ),
    document.description ? authorityText("p", context.language, document.description) : null,
    h("p", { class: "hint" }, t("card.documents.accepted", { types: accepted, max: formatSize(document.maxSize, locale()) })),
    h(
      "div",
      {
        class: context.dragTarget === document.id ? "drop-zone drag-over" : "drop-zone",
        "data-drop-prompt": prompt.eventId,
        "data-drop-document": document.id,
      },
      h("span", { "aria-hidden": "true" }, t("card.documents.drop")),
      add,
    ),
    files.length > 0
      ? h(
          "ul",
          { class: "files", "aria-label": t("card.documents.filesFor", { title: document.title }) },
          ...files.map((file) =>
            preparedFile(file, () => context.dispatch({ type: "removeFile", documentId: document.id, path: file.path }), draft.busy),
          ),
        )
      : null,
  );
}

function documentsForm(prompt: PromptDto, content: Extract<PromptContentDto, { type: "documentRequest" }>, context: CardContext): HTMLElement {
  const draft = context.draft;
  const errorId = domId("documents", prompt.eventId, "error");
  const ready = content.documents.reduce((sum, document) => sum + readyFiles(draft, document.id).length, 0);
  const form = h(
    "form",
    { class: "prompt-form" },
    ...content.documents.map((document) => requestedDocument(prompt, document, context)),
    errorLine(errorId, draft.error),
    submitButton(t(ready === 1 ? "card.documents.submitOne" : "card.documents.submit"), draft, prompt.eventId),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const problem = documentsProblem(context.draft, content.documents);
    if (problem) {
      context.dispatch({ type: "failed", error: problem });
      context.announce(say(problem));
      return;
    }
    const documents = submission(context.draft, content.documents);
    void run(context, () => submitDocuments(context.roomId, prompt.eventId, documents), t("send.queued"));
  });
  return form;
}

// ----------------------------------------------------------------- notice

function attachmentButton(prompt: PromptDto, attachment: AttachmentDto, context: CardContext): HTMLElement {
  const button = h(
    "button",
    { type: "button", class: "attachment", "data-testid": "open-attachment" },
    t("card.notice.open", { name: attachment.name, type: mimeLabel(attachment.mimetype), size: formatSize(attachment.size, locale()) }),
  );
  button.addEventListener("click", () => {
    openAttachment(context.roomId, prompt.eventId, attachment.index).catch((error: unknown) => {
      console.error("open_attachment failed", error);
      const message = commandErrorMessage(error);
      context.dispatch({ type: "failed", error: message });
      context.announce(say(message));
    });
  });
  return h("li", {}, button);
}

function noticeBody(prompt: PromptDto, content: Extract<PromptContentDto, { type: "notice" }>, context: CardContext): Child[] {
  const errorId = domId("notice", prompt.eventId, "error");
  let acknowledge: HTMLElement | null = null;
  if (content.requiresAcknowledgement && takesAnswer(prompt)) {
    const button = h("button", { type: "button", class: "primary", disabled: context.draft.busy }, context.draft.busy ? t("card.busy") : t("card.notice.acknowledge"));
    button.addEventListener("click", () =>
      void run(context, () => acknowledgeNotice(context.roomId, prompt.eventId), t("send.queued")),
    );
    acknowledge = h("div", { class: "prompt-form" }, h("p", { class: "hint" }, t("card.notice.acknowledgeHint")), button);
  }
  return [
    authorityText("h4", context.language, content.title, { class: "notice-title" }),
    authorityText("p", context.language, content.text, { class: "authority-text" }),
    content.attachments.length > 0
      ? h("ul", { class: "attachments", "aria-label": t("card.notice.attachments") }, ...content.attachments.map((attachment) => attachmentButton(prompt, attachment, context)))
      : null,
    errorLine(errorId, context.draft.error),
    acknowledge,
  ];
}

// ------------------------------------------------------------------- card

function promptText(content: PromptContentDto): string | null {
  switch (content.type) {
    case "appointmentOffer":
    case "documentRequest":
      return content.text;
    case "inquiry":
    case "choice":
      return content.question;
    case "notice":
      return null;
  }
}

/** The card of one prompt: its text, then the form or the given answer. */
export function promptCard(prompt: PromptDto, when: string, context: CardContext): HTMLElement {
  const content = prompt.content;
  const titleId = domId("prompt", prompt.eventId, "title");
  const open = takesAnswer(prompt);
  let body: Child[];
  if (content.type === "notice") {
    body = noticeBody(prompt, content, context);
  } else {
    const text = promptText(content);
    body = [text ? authorityText("p", context.language, text, { class: "authority-text" }) : null];
    if (open) {
      switch (content.type) {
        case "appointmentOffer":
          body.push(appointmentForm(prompt, content, context));
          break;
        case "inquiry":
          body.push(inquiryForm(prompt, content, context));
          break;
        case "choice":
          body.push(choiceForm(prompt, content, context));
          break;
        case "documentRequest":
          body.push(documentsForm(prompt, content, context));
          break;
      }
    } else if (!prompt.answer) {
      body.push(h("p", { class: "hint" }, t(promptStateKey(prompt.state))));
    }
  }
  if (prompt.answer) body.push(givenAnswer(prompt, prompt.answer, context));
  else if (!open && context.draft.error) body.push(errorLine(domId("prompt", prompt.eventId, "error"), context.draft.error));
  return h(
    "article",
    {
      class: open ? "card prompt open" : "card prompt",
      id: domId("prompt", prompt.eventId),
      "aria-labelledby": titleId,
      "data-prompt-type": content.type,
      "data-prompt-state": prompt.state,
    },
    h(
      "header",
      { class: "prompt-head" },
      h("h3", { id: titleId, tabindex: "-1" }, t(promptTitleKey(content))),
      h("span", { class: open ? "badge action-badge" : "badge" }, open ? t("prompt.state.open") : t(promptStateKey(prompt.state))),
    ),
    h("p", { class: "hint when" }, when),
    ...body,
  );
}
