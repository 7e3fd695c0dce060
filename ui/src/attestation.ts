// The citizen's eID attestation in words: what the settings and the
// overview say about it and which action they offer. Authorities that
// require the attestation withhold notices until the account has a valid
// one, so a missing or expired one is explained and, where this device can
// renew it, offers "Mit Ausweis bestätigen" (the eID card step again). A
// valid one that expires within RENEW_SOON_WINDOW_MS is announced ahead of
// time with the same button, while notices still arrive.
// Pure functions (no DOM, "now" passed in), unit-tested in ui/test/.
import { formatDate } from "./format.ts";
import type { MessageKey } from "./i18n/de.ts";
import type { Locale } from "./i18n/index.ts";
import type { EidAttestationDto } from "./ipc/bindings/EidAttestationDto.ts";

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * How long before its expiry a valid attestation is announced as "expires
 * soon": 30 days. The login service issues attestations for one year
 * (`ATTESTATION_LIFETIME_SECS` in crates/login-service/src/attestation.rs),
 * so the warning covers the last twelfth of the lifetime and the other
 * eleven months stay quiet. A month leaves time for what renewing can need
 * besides a minute at the card reader: finding a forgotten PIN or the PUK,
 * a Bürgeramt appointment for a new PIN or a new ID card, or getting to the
 * device that holds the account's keys. Should the service's lifetime ever
 * drop below a few months, this window must shrink with it (say a tenth of
 * the lifetime), or the citizen would be warned for most of it.
 */
export const RENEW_SOON_WINDOW_MS = 30 * DAY_MS;

/**
 * The attestation's state as the citizen is told about it: `expiring` is a
 * valid one within RENEW_SOON_WINDOW_MS of its expiry (still accepted).
 * A `valid` status whose expiry has passed since core read it is `expired`.
 */
export type AttestationPhase = "valid" | "expiring" | "expired" | "missing";

/** The phase of `attestation` at `nowMs` (milliseconds since the epoch). */
export function attestationPhase(attestation: EidAttestationDto, nowMs: number): AttestationPhase {
  const status = attestation.status;
  switch (status.state) {
    case "valid": {
      const remainingMs = status.expiresAtMs - nowMs;
      if (remainingMs <= 0) return "expired";
      return remainingMs <= RENEW_SOON_WINDOW_MS ? "expiring" : "valid";
    }
    case "expired":
      return "expired";
    case "missing":
      return "missing";
  }
}

/** A catalogue message with its `{name}` values. */
export interface Message {
  key: MessageKey;
  values: Record<string, string>;
}

/** What the screens show for an attestation state. */
export interface AttestationView {
  phase: AttestationPhase;
  /** Whether authorities accept the account now. */
  attested: boolean;
  /** The state in one line. */
  status: Message;
  /** What it means for the citizen, when it is not valid or expires soon. */
  consequence: MessageKey | null;
  /** `renew`: offer the eID step; `recoverFirst`: this device must be recovered first. */
  action: "renew" | "recoverFirst" | null;
}

/** The expiry (or, for an expired one, the date it expired), or null when missing. */
function expiryMs(attestation: EidAttestationDto): number | null {
  const status = attestation.status;
  if (status.state === "valid") return status.expiresAtMs;
  if (status.state === "expired") return status.expiredAtMs;
  return null;
}

function dateValues(attestation: EidAttestationDto, locale: Locale): Record<string, string> {
  const ms = expiryMs(attestation);
  return ms === null ? {} : { date: formatDate(new Date(ms).toISOString(), locale) };
}

/** What the settings say about the attestation at `nowMs`. */
export function attestationView(attestation: EidAttestationDto, locale: Locale, nowMs: number): AttestationView {
  const phase = attestationPhase(attestation, nowMs);
  const values = dateValues(attestation, locale);
  const action = attestation.renewable ? "renew" : "recoverFirst";
  switch (phase) {
    case "valid":
      return { phase, attested: true, status: { key: "settings.eidAttestation.valid", values }, consequence: null, action: null };
    case "expiring":
      return {
        phase,
        attested: true,
        status: { key: "settings.eidAttestation.expiring", values },
        consequence: "settings.eidAttestation.expiringConsequence",
        action,
      };
    case "expired":
      return {
        phase,
        attested: false,
        status: { key: "settings.eidAttestation.expired", values },
        consequence: "settings.eidAttestation.consequence",
        action,
      };
    case "missing":
      return {
        phase,
        attested: false,
        status: { key: "settings.eidAttestation.missing", values },
        consequence: "settings.eidAttestation.consequence",
        action,
      };
  }
}

/** The overview's reminder: its heading and text. */
export interface OverviewAttestationNotice {
  phase: "expiring" | "expired" | "missing";
  title: MessageKey;
  text: Message;
}

/** The overview's reminder for a state that needs the citizen at `nowMs`, or null. */
export function overviewAttestationNotice(
  attestation: EidAttestationDto | null,
  locale: Locale,
  nowMs: number,
): OverviewAttestationNotice | null {
  if (attestation === null) return null;
  const phase = attestationPhase(attestation, nowMs);
  const values = dateValues(attestation, locale);
  switch (phase) {
    case "valid":
      return null;
    case "expiring":
      return { phase, title: "overview.attestation.expiringTitle", text: { key: "overview.attestation.expiring", values } };
    case "expired":
      return { phase, title: "overview.attestation.title", text: { key: "overview.attestation.expired", values } };
    case "missing":
      return { phase, title: "overview.attestation.title", text: { key: "overview.attestation.missing", values } };
  }
}
