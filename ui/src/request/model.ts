// The request page's view model: the types Rust sends (generated bindings,
// re-exported from one place) and pure helpers that decide what the page
// shows: whether a prompt takes an answer, how a given answer reads, which
// send state to announce. No DOM here; unit-tested in ui/test/.
import { formatSlot } from "../format.ts";
import type { MessageKey } from "../i18n/de.ts";
import type { Locale } from "../i18n/index.ts";
import type { AnswerDto } from "../ipc/bindings/AnswerDto.ts";
import type { AnswerSendStateDto } from "../ipc/bindings/AnswerSendStateDto.ts";
import type { CannotDisplayReasonDto } from "../ipc/bindings/CannotDisplayReasonDto.ts";
import type { PromptContentDto } from "../ipc/bindings/PromptContentDto.ts";
import type { PromptDto } from "../ipc/bindings/PromptDto.ts";
import type { PromptStateDto } from "../ipc/bindings/PromptStateDto.ts";

export type { AnswerDto } from "../ipc/bindings/AnswerDto.ts";
export type { AnswerContentDto } from "../ipc/bindings/AnswerContentDto.ts";
export type { AppointmentSlotDto } from "../ipc/bindings/AppointmentSlotDto.ts";
export type { AttachmentDto } from "../ipc/bindings/AttachmentDto.ts";
export type { DocumentFilesDto } from "../ipc/bindings/DocumentFilesDto.ts";
export type { PreparedFileDto } from "../ipc/bindings/PreparedFileDto.ts";
export type { PromptContentDto } from "../ipc/bindings/PromptContentDto.ts";
export type { PromptDto } from "../ipc/bindings/PromptDto.ts";
export type { RequestDetailDto } from "../ipc/bindings/RequestDetailDto.ts";
export type { RequestedDocumentDto } from "../ipc/bindings/RequestedDocumentDto.ts";
export type { TimelineItemDto } from "../ipc/bindings/TimelineItemDto.ts";

export type PromptType = PromptContentDto["type"];

/** Whether the card shows its form: the prompt is open and no answer is on its way. */
export function takesAnswer(prompt: PromptDto): boolean {
  return prompt.state === "open" && prompt.answer === null;
}

const PROMPT_TITLE: Record<PromptType, MessageKey> = {
  appointmentOffer: "card.appointment.title",
  inquiry: "card.inquiry.title",
  documentRequest: "card.documents.title",
  choice: "card.choice.title",
  notice: "card.notice.title",
};

/** The card's heading for a prompt type (a notice's own title is shown below it). */
export function promptTitleKey(content: PromptContentDto): MessageKey {
  if (content.type === "notice" && content.noticeKind === "decision") return "card.decision.title";
  return PROMPT_TITLE[content.type];
}

const PROMPT_STATE: Record<PromptStateDto, MessageKey> = {
  open: "prompt.state.open",
  answered: "prompt.state.answered",
  expired: "prompt.state.expired",
  superseded: "prompt.state.superseded",
  informational: "prompt.state.informational",
  closed: "prompt.state.closed",
};

export function promptStateKey(state: PromptStateDto): MessageKey {
  return PROMPT_STATE[state];
}

const SEND_STATE: Record<AnswerSendStateDto, MessageKey> = {
  sending: "send.sending",
  waitingForNetwork: "send.waitingForNetwork",
  failed: "send.failed",
  sent: "send.sent",
};

export function sendStateKey(state: AnswerSendStateDto): MessageKey {
  return SEND_STATE[state];
}

const CANNOT_DISPLAY: Record<CannotDisplayReasonDto, MessageKey> = {
  malformed: "timeline.cannotDisplay.malformed",
  unsupportedVersion: "timeline.cannotDisplay.unsupportedVersion",
  undecryptable: "timeline.cannotDisplay.undecryptable",
  rejected: "timeline.cannotDisplay.rejected",
};

export function cannotDisplayKey(reason: CannotDisplayReasonDto): MessageKey {
  return CANNOT_DISPLAY[reason];
}

/** A given answer in words, or `null` where the card shows it otherwise (documents). */
/** One line of an answer: catalogue text, or text as written, `authority` when the authority wrote it (an option label, a place: in the case's language). */
export type AnswerSummary = { key: MessageKey; values?: Record<string, string> } | { text: string; authority: boolean };

/** How the citizen's answer to `prompt` reads on its card. */
export function answerSummary(prompt: PromptDto, answer: AnswerDto, locale: Locale): AnswerSummary[] {
  const content = answer.content;
  switch (content.type) {
    case "appointmentSelection": {
      if (content.slotId === null) return [{ key: "answer.appointment.none" }];
      const slots = prompt.content.type === "appointmentOffer" ? prompt.content.slots : [];
      const slot = slots.find((candidate) => candidate.id === content.slotId);
      if (!slot) return [{ key: "answer.appointment.unknown", values: { id: content.slotId } }];
      return [
        { key: "answer.appointment.chosen", values: { slot: formatSlot(slot, locale) } },
        { text: slot.address ? `${slot.place}, ${slot.address.replace(/\n/g, ", ")}` : slot.place, authority: true },
      ];
    }
    case "inquiryAnswer":
      return [{ text: content.text, authority: false }];
    case "choiceSelection": {
      const options = prompt.content.type === "choice" ? prompt.content.options : [];
      return content.optionIds.map((id) => {
        const option = options.find((candidate) => candidate.id === id);
        return option ? { text: option.label, authority: true } : { key: "answer.choice.unknown", values: { id } };
      });
    }
    case "documentsSubmission":
      return content.documents.flatMap((document) => document.files.map((file) => ({ text: file.file.name, authority: false })));
    case "noticeAcknowledgement":
      return [{ key: "answer.notice.acknowledged" }];
  }
}

/** Prompts that wait for the citizen, in timeline order: what the page's summary links to. */
export function openPrompts(items: readonly { content: { kind: string; prompt?: PromptDto } }[]): PromptDto[] {
  const prompts: PromptDto[] = [];
  for (const item of items) {
    if (item.content.kind === "prompt" && item.content.prompt && takesAnswer(item.content.prompt)) {
      prompts.push(item.content.prompt);
    }
  }
  return prompts;
}

/** What normalisation did, as short phrases: "Metadaten entfernt", "verkleinert auf 3000 × 2000 px". */
export function normalisationNotes(normalisation: {
  originalDimensions: [number, number] | null;
  finalDimensions: [number, number] | null;
  rotated: boolean;
  metadataRemoved: boolean;
}): { key: MessageKey; values?: Record<string, string> }[] {
  const notes: { key: MessageKey; values?: Record<string, string> }[] = [];
  if (normalisation.metadataRemoved) notes.push({ key: "normalisation.metadataRemoved" });
  if (normalisation.rotated) notes.push({ key: "normalisation.rotated" });
  const [before, after] = [normalisation.originalDimensions, normalisation.finalDimensions];
  if (before && after && (before[0] !== after[0] || before[1] !== after[1])) {
    notes.push({ key: "normalisation.resized", values: { width: String(after[0]), height: String(after[1]) } });
  }
  if (notes.length === 0) notes.push({ key: "normalisation.unchanged" });
  return notes;
}
