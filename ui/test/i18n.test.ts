import assert from "node:assert/strict";
import { test } from "node:test";
import { de } from "../src/i18n/de.ts";
import { en } from "../src/i18n/en.ts";
import { tCount } from "../src/i18n/index.ts";

test("one thing takes the singular, every other count the plural with the number", () => {
  assert.equal(tCount("timeline.documentsReceived.count", 1), "Die Behörde bestätigt den Eingang von 1 Datei.");
  assert.equal(tCount("timeline.documentsReceived.count", 3), "Die Behörde bestätigt den Eingang von 3 Dateien.");
  assert.equal(tCount("timeline.documentsReceived.count", 0), "Die Behörde bestätigt den Eingang von 0 Dateien.");
  assert.equal(tCount("overview.openPrompts", 1), "1 offene Rückfrage");
});

test("no catalogue text counts with a bracketed plural", () => {
  for (const catalogue of [de, en]) {
    const bracketed = Object.entries(catalogue).filter(([, text]) => /\((en|e|n|s)\)/.test(text));
    assert.deepEqual(bracketed, []);
  }
});
