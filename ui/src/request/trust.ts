// Whether the authority behind a request is verified, in words: what the
// request page's header and the overview's marker show. Pure mapping from
// the typed IPC value to catalogue keys (no DOM; unit-tested in ui/test/):
// the reason is a closed set Rust sends, never text from the server.
import type { MessageKey } from "../i18n/de.ts";
import type { AuthorityTrustDto } from "../ipc/bindings/AuthorityTrustDto.ts";
import type { UntrustedReasonDto } from "../ipc/bindings/UntrustedReasonDto.ts";

export type { AuthorityTrustDto } from "../ipc/bindings/AuthorityTrustDto.ts";
export type { UntrustedReasonDto } from "../ipc/bindings/UntrustedReasonDto.ts";

const REASONS: Record<UntrustedReasonDto, MessageKey> = {
  noRootsConfigured: "trust.reason.noRootsConfigured",
  rootsUnreadable: "trust.reason.rootsUnreadable",
  identityChanged: "trust.reason.identityChanged",
  noCertificate: "trust.reason.noCertificate",
  nameMismatch: "trust.reason.nameMismatch",
  expired: "trust.reason.expired",
  notYetValid: "trust.reason.notYetValid",
  revoked: "trust.reason.revoked",
  otherRoot: "trust.reason.otherRoot",
  invalidChain: "trust.reason.invalidChain",
  keyMismatch: "trust.reason.keyMismatch",
  malformed: "trust.reason.malformed",
  noIdentity: "trust.reason.noIdentity",
  notARequestRoom: "trust.reason.notARequestRoom",
  checkFailed: "trust.reason.checkFailed",
};

/** Every reason Rust may send. */
export const UNTRUSTED_REASONS = Object.keys(REASONS) as UntrustedReasonDto[];

export function untrustedReasonKey(reason: UntrustedReasonDto): MessageKey {
  return REASONS[reason];
}

/** What the request page's header shows about the authority. */
export type TrustView =
  | { verified: true; name: string; label: MessageKey }
  | { verified: false; label: MessageKey; reason: MessageKey; advice: MessageKey; urgent: boolean };

export function trustView(trust: AuthorityTrustDto): TrustView {
  if (trust.state === "verified") {
    return { verified: true, name: trust.name, label: "trust.verified" };
  }
  return {
    verified: false,
    label: "trust.unverified",
    reason: untrustedReasonKey(trust.reason),
    advice: "trust.unverified.advice",
    // A changed identity without a valid chain may be an impostor.
    urgent: trust.reason === "identityChanged",
  };
}

/** The overview's marker: only unverified authorities get one. */
export function overviewTrustMarker(trust: AuthorityTrustDto): MessageKey | null {
  return trust.state === "verified" ? null : "trust.overview.unverified";
}
