import assert from "node:assert/strict";
import { test } from "node:test";
import { authorityLang, DEFAULT_CASE_LANGUAGE } from "../src/authority-text.ts";

test("German authority text in the English UI is marked German", () => {
  assert.equal(authorityLang("de", "en"), "de");
});

test("German authority text in the German UI is not marked", () => {
  assert.equal(authorityLang("de", "de"), undefined);
});

test("a regional variant of the UI's language is not marked, another language keeps its full tag", () => {
  assert.equal(authorityLang("de-AT", "de"), undefined);
  assert.equal(authorityLang("DE", "de"), undefined);
  assert.equal(authorityLang("en-GB", "en"), undefined);
  assert.equal(authorityLang("de-CH-1996", "en"), "de-CH-1996");
  assert.equal(authorityLang("en-GB", "de"), "en-GB");
  assert.equal(authorityLang("tr", "de"), "tr");
  assert.equal(authorityLang("tr", "en"), "tr");
});

test("a missing or malformed tag counts as German, the protocol's default", () => {
  assert.equal(DEFAULT_CASE_LANGUAGE, "de");
  for (const bad of ["", "deutsch", "de_DE", "de-", "\" onmouseover=\"x", `de-${"abcdefgh-".repeat(4)}x`]) {
    assert.equal(authorityLang(bad, "en"), "de", bad);
    assert.equal(authorityLang(bad, "de"), undefined, bad);
  }
});
