// The citizen's eID attestation in words: what the settings and the
// overview say about it and which action they offer. Authorities that
// require the attestation withhold notices until the account has a valid
// one, so a missing or expired one is explained and, where this device can
// renew it, offers "Mit Ausweis bestätigen" (the eID card step again).
// Pure functions (no DOM), unit-tested in ui/test/.
import { formatDate } from "./format.ts";
import type { MessageKey } from "./i18n/de.ts";
import type { Locale } from "./i18n/index.ts";
import type { EidAttestationDto } from "./ipc/bindings/EidAttestationDto.ts";

/** What the screens show for an attestation state. */
export interface AttestationView {
  /** Whether authorities accept the account now. */
  attested: boolean;
  /** The state in one line. */
  status: { key: MessageKey; values: Record<string, string> };
  /** What it means for the citizen, when it is not valid. */
  consequence: MessageKey | null;
  /** `renew`: offer the eID step; `recoverFirst`: this device must be recovered first. */
  action: "renew" | "recoverFirst" | null;
}

export function attestationView(attestation: EidAttestationDto, locale: Locale): AttestationView {
  const date = (ms: number): string => formatDate(new Date(ms).toISOString(), locale);
  const status = attestation.status;
  const action = attestation.renewable ? "renew" : "recoverFirst";
  switch (status.state) {
    case "valid":
      return {
        attested: true,
        status: { key: "settings.eidAttestation.valid", values: { date: date(status.expiresAtMs) } },
        consequence: null,
        action: null,
      };
    case "expired":
      return {
        attested: false,
        status: { key: "settings.eidAttestation.expired", values: { date: date(status.expiredAtMs) } },
        consequence: "settings.eidAttestation.consequence",
        action,
      };
    case "missing":
      return {
        attested: false,
        status: { key: "settings.eidAttestation.missing", values: {} },
        consequence: "settings.eidAttestation.consequence",
        action,
      };
  }
}

/** The overview's reminder for a state that needs the citizen, or null. */
export function overviewAttestationNotice(attestation: EidAttestationDto | null): MessageKey | null {
  if (attestation === null) return null;
  switch (attestation.status.state) {
    case "valid":
      return null;
    case "expired":
      return "overview.attestation.expired";
    case "missing":
      return "overview.attestation.missing";
  }
}
