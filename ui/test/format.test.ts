// Formatting of slots, dates and sizes: what the citizen reads must not
// depend on this computer's time zone, and must be correct in both languages.
import assert from "node:assert/strict";
import { test } from "node:test";
import { characterCount, formatDate, formatSize, formatSlot } from "../src/format.ts";

const slot = { localDate: "2025-09-19", localStart: "09:00", localEnd: "09:30" };

test("a slot reads with weekday, date and local times in German", () => {
  assert.equal(formatSlot(slot, "de"), "Freitag, 19. September 2025, 09:00–09:30 Uhr");
});

test("a slot reads with weekday, date and local times in English", () => {
  assert.equal(formatSlot(slot, "en"), "Friday, 19 September 2025, 09:00–09:30");
});

test("the weekday is the place's, whatever the computer's time zone", () => {
  // 21 September 2025 is a Sunday everywhere; the formatting must not shift
  // it through a UTC conversion.
  const previous = process.env.TZ;
  try {
    for (const zone of ["Pacific/Kiritimati", "Pacific/Pago_Pago", "Europe/Berlin"]) {
      process.env.TZ = zone;
      assert.match(formatSlot({ localDate: "2025-09-21", localStart: "12:00", localEnd: "12:30" }, "de"), /^Sonntag, 21\. September 2025/);
    }
  } finally {
    process.env.TZ = previous;
  }
});

test("a slot with a date that does not parse shows the date as given", () => {
  assert.equal(formatSlot({ localDate: "soon", localStart: "09:00", localEnd: "10:00" }, "en"), "soon, 09:00–10:00");
});

test("submission dates read as long dates; garbage stays visible as is", () => {
  assert.equal(formatDate("2025-09-01T10:15:00+02:00", "de"), "1. September 2025");
  assert.equal(formatDate("2025-09-01T10:15:00+02:00", "en"), "1 September 2025");
  assert.equal(formatDate("not a date", "de"), "not a date");
});

test("sizes use decimal units and the language's decimal separator", () => {
  assert.equal(formatSize(0, "de"), "0 Bytes");
  assert.equal(formatSize(999, "en"), "999 bytes");
  assert.equal(formatSize(12_500, "de"), "12,5 kB");
  assert.equal(formatSize(12_500, "en"), "12.5 kB");
  assert.equal(formatSize(10_485_760, "de"), "10,5 MB");
  assert.equal(formatSize(3_000_000, "en"), "3 MB");
  assert.equal(formatSize(2_500_000_000, "en"), "2.5 GB");
});

test("characters are counted as the protocol counts them (code points)", () => {
  assert.equal(characterCount(""), 0);
  assert.equal(characterCount("Grüße"), 5);
  // One emoji is two UTF-16 units but one character.
  assert.equal(characterCount("🎣"), 1);
  assert.equal("🎣".length, 2);
});
