// What the settings and the overview say about the account's eID attestation.
import assert from "node:assert/strict";
import { test } from "node:test";
import { attestationPhase, attestationView, overviewAttestationNotice, RENEW_SOON_WINDOW_MS } from "../src/attestation.ts";
import { de } from "../src/i18n/de.ts";
import { en } from "../src/i18n/en.ts";
import type { EidAttestationDto } from "../src/ipc/bindings/EidAttestationDto.ts";

// 2027-03-01T12:00:00Z
const MARCH_2027 = Date.UTC(2027, 2, 1, 12);
const DAY_MS = 24 * 60 * 60 * 1000;
// Far enough before MARCH_2027 that an attestation valid until then is not due.
const LAST_YEAR = Date.UTC(2026, 2, 1, 12);

function validUntil(expiresAtMs: number, renewable = true): EidAttestationDto {
  return { status: { state: "valid", expiresAtMs }, renewable };
}

function fill(template: string, values: Record<string, string>): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => values[name] ?? whole);
}

test("a valid attestation is issued, with its expiry date, and needs nothing", () => {
  const view = attestationView(validUntil(MARCH_2027), "de", LAST_YEAR);
  assert.equal(view.phase, "valid");
  assert.equal(view.attested, true);
  assert.equal(view.status.key, "settings.eidAttestation.valid");
  assert.equal(view.status.values.date, "1. März 2027");
  assert.match(de[view.status.key], /^Ausgestellt, gültig bis \{date\}/);
  assert.equal(view.consequence, null);
  assert.equal(view.action, null);
  assert.equal(attestationView(validUntil(MARCH_2027), "en", LAST_YEAR).status.values.date, "1 March 2027");
  assert.equal(overviewAttestationNotice(validUntil(MARCH_2027, false), "de", LAST_YEAR), null);
});

test("one day outside the window the attestation is still plainly valid", () => {
  const now = MARCH_2027 - RENEW_SOON_WINDOW_MS - DAY_MS;
  assert.equal(attestationPhase(validUntil(MARCH_2027), now), "valid");
  assert.equal(attestationPhase(validUntil(MARCH_2027), MARCH_2027 - RENEW_SOON_WINDOW_MS - 1), "valid");
  assert.equal(overviewAttestationNotice(validUntil(MARCH_2027), "de", now), null);
});

test("exactly a window before the expiry the attestation counts as expiring soon", () => {
  assert.equal(attestationPhase(validUntil(MARCH_2027), MARCH_2027 - RENEW_SOON_WINDOW_MS), "expiring");
});

test("inside the window the settings say it expires soon, with the date, and offer the eID step", () => {
  const now = MARCH_2027 - 10 * DAY_MS;
  const view = attestationView(validUntil(MARCH_2027), "de", now);
  assert.equal(view.phase, "expiring");
  assert.equal(view.attested, true, "it is still accepted until it expires");
  assert.equal(view.status.key, "settings.eidAttestation.expiring");
  assert.equal(fill(de[view.status.key], view.status.values).startsWith("Gültig bis 1. März 2027, läuft bald ab"), true);
  assert.equal(view.consequence, "settings.eidAttestation.expiringConsequence");
  assert.match(de["settings.eidAttestation.expiringConsequence"], /Bis zum Ablauf erhalten Sie Bescheide wie gewohnt/);
  assert.match(en["settings.eidAttestation.expiringConsequence"], /Until it expires, decisions keep arriving/);
  assert.equal(view.action, "renew");
  const en_ = attestationView(validUntil(MARCH_2027), "en", now);
  assert.equal(fill(en[en_.status.key], en_.status.values).startsWith("Valid until 1 March 2027, expires soon"), true);
});

test("inside the window the overview reminds with the date and says notices still arrive", () => {
  const now = MARCH_2027 - DAY_MS;
  const notice = overviewAttestationNotice(validUntil(MARCH_2027), "de", now);
  assert.ok(notice);
  assert.equal(notice.phase, "expiring");
  assert.equal(notice.title, "overview.attestation.expiringTitle");
  assert.equal(de[notice.title], "Bestätigung mit dem Ausweis läuft bald ab");
  const text = fill(de[notice.text.key], notice.text.values);
  assert.match(text, /noch bis 1\. März 2027 gültig/);
  assert.match(text, /Bis dahin erhalten Sie Bescheide wie gewohnt/);
  assert.doesNotMatch(text, /zurück|senden Bescheide erst/, "not the wording of a missing or expired one");
  const english = overviewAttestationNotice(validUntil(MARCH_2027), "en", now);
  assert.ok(english);
  assert.match(fill(en[english.text.key], english.text.values), /still valid until 1 March 2027\. Until then, decisions keep arriving/);
});

test("a device that cannot renew is sent to recovery also when the attestation expires soon", () => {
  const view = attestationView(validUntil(MARCH_2027, false), "de", MARCH_2027 - DAY_MS);
  assert.equal(view.phase, "expiring");
  assert.equal(view.action, "recoverFirst");
});

test("a valid attestation whose expiry has passed since it was read is expired", () => {
  assert.equal(attestationPhase(validUntil(MARCH_2027), MARCH_2027 - 1), "expiring");
  assert.equal(attestationPhase(validUntil(MARCH_2027), MARCH_2027), "expired");
  const view = attestationView(validUntil(MARCH_2027), "en", MARCH_2027 + DAY_MS);
  assert.equal(view.phase, "expired");
  assert.equal(view.attested, false);
  assert.equal(fill(en[view.status.key], view.status.values), "Expired on 1 March 2027.");
  assert.equal(view.consequence, "settings.eidAttestation.consequence");
  assert.equal(overviewAttestationNotice(validUntil(MARCH_2027), "de", MARCH_2027)?.phase, "expired");
});

test("a missing attestation says what it means and offers the eID step", () => {
  const view = attestationView({ status: { state: "missing" }, renewable: true }, "de", MARCH_2027);
  assert.equal(view.phase, "missing");
  assert.equal(view.attested, false);
  assert.equal(view.status.key, "settings.eidAttestation.missing");
  assert.equal(view.consequence, "settings.eidAttestation.consequence");
  assert.match(de["settings.eidAttestation.consequence"], /halten Bescheide zurück/);
  assert.match(en["settings.eidAttestation.consequence"], /hold back decisions/);
  assert.equal(view.action, "renew");
  assert.equal(de["settings.eidAttestation.renew"], "Mit Ausweis bestätigen");
  assert.equal(en["settings.eidAttestation.renew"], "Confirm with ID card");
  const notice = overviewAttestationNotice({ status: { state: "missing" }, renewable: true }, "de", MARCH_2027);
  assert.equal(notice?.phase, "missing");
  assert.equal(notice?.title, "overview.attestation.title");
  assert.equal(notice?.text.key, "overview.attestation.missing");
});

test("an expired attestation gives its date and is renewed the same way", () => {
  const expired: EidAttestationDto = { status: { state: "expired", expiredAtMs: MARCH_2027 }, renewable: true };
  const view = attestationView(expired, "en", MARCH_2027 + DAY_MS);
  assert.equal(view.phase, "expired");
  assert.equal(view.attested, false);
  assert.equal(view.status.key, "settings.eidAttestation.expired");
  assert.equal(fill(en[view.status.key], view.status.values), "Expired on 1 March 2027.");
  assert.equal(view.action, "renew");
  const notice = overviewAttestationNotice(expired, "de", MARCH_2027 + DAY_MS);
  assert.equal(notice?.phase, "expired");
  assert.equal(notice?.title, "overview.attestation.title");
  assert.equal(notice?.text.key, "overview.attestation.expired");
  assert.match(de["overview.attestation.expired"], /abgelaufen/);
});

test("a device without the account's master key is sent to recovery, not to the card", () => {
  const view = attestationView({ status: { state: "missing" }, renewable: false }, "de", MARCH_2027);
  assert.equal(view.action, "recoverFirst");
  assert.match(de["settings.eidAttestation.recoverFirst"], /Wiederherstellungsschlüssel/);
});

test("nothing is said before the state is known", () => {
  assert.equal(overviewAttestationNotice(null, "de", MARCH_2027), null);
});
