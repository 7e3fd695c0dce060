// What the settings and the overview say about the account's eID attestation.
import assert from "node:assert/strict";
import { test } from "node:test";
import { attestationView, overviewAttestationNotice } from "../src/attestation.ts";
import { de } from "../src/i18n/de.ts";
import { en } from "../src/i18n/en.ts";

// 2027-03-01T12:00:00Z
const MARCH_2027 = Date.UTC(2027, 2, 1, 12);

test("a valid attestation is issued, with its expiry date, and needs nothing", () => {
  const view = attestationView({ status: { state: "valid", expiresAtMs: MARCH_2027 }, renewable: true }, "de");
  assert.equal(view.attested, true);
  assert.equal(view.status.key, "settings.eidAttestation.valid");
  assert.equal(view.status.values.date, "1. März 2027");
  assert.match(de[view.status.key], /^Ausgestellt, gültig bis \{date\}/);
  assert.equal(view.consequence, null);
  assert.equal(view.action, null);
  assert.equal(attestationView({ status: { state: "valid", expiresAtMs: MARCH_2027 }, renewable: true }, "en").status.values.date, "1 March 2027");
  assert.equal(overviewAttestationNotice({ status: { state: "valid", expiresAtMs: MARCH_2027 }, renewable: false }), null);
});

test("a missing attestation says what it means and offers the eID step", () => {
  const view = attestationView({ status: { state: "missing" }, renewable: true }, "de");
  assert.equal(view.attested, false);
  assert.equal(view.status.key, "settings.eidAttestation.missing");
  assert.equal(view.consequence, "settings.eidAttestation.consequence");
  assert.match(de["settings.eidAttestation.consequence"], /halten Bescheide zurück/);
  assert.match(en["settings.eidAttestation.consequence"], /hold back decisions/);
  assert.equal(view.action, "renew");
  assert.equal(de["settings.eidAttestation.renew"], "Mit Ausweis bestätigen");
  assert.equal(en["settings.eidAttestation.renew"], "Confirm with ID card");
  assert.equal(overviewAttestationNotice({ status: { state: "missing" }, renewable: true }), "overview.attestation.missing");
});

test("an expired attestation gives its date and is renewed the same way", () => {
  const view = attestationView({ status: { state: "expired", expiredAtMs: MARCH_2027 }, renewable: true }, "en");
  assert.equal(view.attested, false);
  assert.equal(view.status.key, "settings.eidAttestation.expired");
  assert.equal(en[view.status.key].replace("{date}", view.status.values.date ?? ""), "Expired on 1 March 2027.");
  assert.equal(view.action, "renew");
  assert.equal(overviewAttestationNotice({ status: { state: "expired", expiredAtMs: MARCH_2027 }, renewable: true }), "overview.attestation.expired");
});

test("a device without the account's master key is sent to recovery, not to the card", () => {
  const view = attestationView({ status: { state: "missing" }, renewable: false }, "de");
  assert.equal(view.action, "recoverFirst");
  assert.match(de["settings.eidAttestation.recoverFirst"], /Wiederherstellungsschlüssel/);
});

test("nothing is said before the state is known", () => {
  assert.equal(overviewAttestationNotice(null), null);
});
