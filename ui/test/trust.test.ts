// What the request page and the overview say about the authority's identity.
import assert from "node:assert/strict";
import { test } from "node:test";
import { de } from "../src/i18n/de.ts";
import { en } from "../src/i18n/en.ts";
import { UNTRUSTED_REASONS, overviewTrustMarker, trustView, untrustedReasonKey } from "../src/request/trust.ts";

test("a verified authority shows its certificate's name and the confirmation", () => {
  const view = trustView({ state: "verified", name: "Fischereiamt Berlin" });
  assert.deepEqual(view, { verified: true, name: "Fischereiamt Berlin", label: "trust.verified" });
  assert.equal(de[view.label], "Identität bestätigt (Zertifikat)");
  assert.equal(en[view.label], "Identity confirmed (certificate)");
  assert.equal(overviewTrustMarker({ state: "verified", name: "Fischereiamt Berlin" }), null);
});

test("an unverified authority is a warning with the translated reason", () => {
  const view = trustView({ state: "unverified", reason: "expired" });
  assert.equal(view.verified, false);
  if (view.verified) return;
  assert.equal(view.reason, "trust.reason.expired");
  assert.equal(de[view.reason], "Das Zertifikat der Behörde ist abgelaufen.");
  assert.equal(view.urgent, false);
  assert.equal(overviewTrustMarker({ state: "unverified", reason: "expired" }), "trust.overview.unverified");
});

test("no configured roots and a changed identity say so", () => {
  const none = trustView({ state: "unverified", reason: "noRootsConfigured" });
  assert.ok(!none.verified && /Wurzelzertifikat/.test(de[none.reason]));
  const changed = trustView({ state: "unverified", reason: "identityChanged" });
  assert.ok(!changed.verified && changed.urgent);
  assert.match(en[changed.verified ? changed.label : changed.reason], /identity has changed/);
});

test("every reason has its own text in both languages", () => {
  assert.equal(UNTRUSTED_REASONS.length, 15);
  const keys = UNTRUSTED_REASONS.map(untrustedReasonKey);
  assert.equal(new Set(keys).size, keys.length, "two reasons share a text");
  for (const key of keys) {
    assert.ok(de[key].length > 0 && en[key].length > 0, key);
    assert.notEqual(de[key], en[key], `${key} is not translated`);
  }
});
