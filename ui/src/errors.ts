// Command errors as the citizen reads them: every CommandError code Rust can
// return maps to a message key (the switch is exhaustive, so a new code fails
// the type check until it has a text). Pure, unit-tested.
import type { MessageKey } from "./i18n/de.ts";
import type { CommandError } from "./ipc/bindings/CommandError.ts";
import type { DocumentRefusalDto } from "./ipc/bindings/DocumentRefusalDto.ts";

/** A message key with the values it needs. */
export interface Message {
  key: MessageKey;
  values?: Record<string, string>;
}

function isCommandError(error: unknown): error is CommandError {
  return typeof error === "object" && error !== null && typeof (error as { code?: unknown }).code === "string";
}

/** The message for a failed command; unknown shapes (a bug, a broken IPC) get the generic text. */
export function commandErrorMessage(error: unknown): Message {
  if (!isCommandError(error)) return { key: "error.other" };
  switch (error.code) {
    case "internal":
      return { key: "error.internal" };
    case "notLoggedIn":
      return { key: "error.notLoggedIn" };
    case "alreadyLoggedIn":
      return { key: "error.alreadyLoggedIn" };
    case "loginFailed":
      return { key: "error.loginFailed" };
    case "keychainUnavailable":
      return { key: "error.keychainUnavailable" };
    case "network":
      return { key: "error.network" };
    case "notFound":
      return { key: "error.notFound" };
    case "promptNotOpen":
      return { key: "error.promptNotOpen" };
    case "invalidAnswer":
      return { key: "error.invalidAnswer" };
    case "documentRefused":
      return refusalMessage(error.reason);
    case "attachmentDamaged":
      return { key: "error.attachmentDamaged" };
    case "openFailed":
      return { key: "error.openFailed" };
    default:
      return { key: "error.other" };
  }
}

/** Why a picked file cannot be submitted. `formatSize` renders byte counts. */
export function refusalMessage(reason: DocumentRefusalDto, formatSize: (bytes: number) => string = String): Message {
  switch (reason.code) {
    case "unreadable":
      return { key: "refusal.unreadable" };
    case "empty":
      return { key: "refusal.empty" };
    case "unsupportedType":
      return { key: "refusal.unsupportedType", values: { detected: reason.detected } };
    case "corrupt":
      return { key: "refusal.corrupt" };
    case "imageTooLarge":
      return { key: "refusal.imageTooLarge" };
    case "tooLarge":
      return { key: "refusal.tooLarge", values: { max: formatSize(reason.maxSize), size: formatSize(reason.size) } };
    case "typeNotAccepted":
      return {
        key: "refusal.typeNotAccepted",
        values: { mimetype: reason.mimetype, accepted: reason.accepted.map(mimeLabel).join(", ") },
      };
  }
}

/** A MIME type as people know it: "PDF", "JPEG", "PNG"; other types as given. */
export function mimeLabel(mimetype: string): string {
  const known: Record<string, string> = {
    "application/pdf": "PDF",
    "image/jpeg": "JPEG",
    "image/png": "PNG",
    "image/webp": "WebP",
  };
  return known[mimetype] ?? mimetype;
}
