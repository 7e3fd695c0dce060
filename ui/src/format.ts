// Formatting of dates, appointment slots and file sizes for the citizen's
// language. Pure functions (no DOM), unit-tested in ui/test/.
import type { Locale } from "./i18n/index.ts";

const INTL_LOCALE: Record<Locale, string> = { de: "de-DE", en: "en-GB" };

/** The date of an RFC 3339 timestamp ("1. September 2025"); the input as is if it does not parse. */
export function formatDate(rfc3339: string, locale: Locale): string {
  const date = new Date(rfc3339);
  if (Number.isNaN(date.getTime())) return rfc3339;
  return date.toLocaleDateString(INTL_LOCALE[locale], { year: "numeric", month: "long", day: "numeric" });
}

/** Date and time of an instant (milliseconds since the epoch) in this computer's time zone. */
export function formatDateTime(ms: number, locale: Locale, timeZone?: string): string {
  const date = new Date(ms);
  if (Number.isNaN(date.getTime())) return "";
  return date.toLocaleString(INTL_LOCALE[locale], {
    year: "numeric",
    month: "numeric",
    day: "numeric",
    hour: "2-digit",
    minute: "2-digit",
    ...(timeZone ? { timeZone } : {}),
  });
}

/** What an appointment slot needs for display: the wall clock at the place. */
export interface SlotTimes {
  /** `YYYY-MM-DD` at the place. */
  localDate: string;
  /** `HH:MM` at the place. */
  localStart: string;
  /** `HH:MM` at the place. */
  localEnd: string;
}

/**
 * A slot as a person reads it, in the place's local time with the weekday:
 * "Freitag, 19. September 2025, 09:00–09:30 Uhr" /
 * "Friday, 19 September 2025, 09:00–09:30".
 */
export function formatSlot(slot: SlotTimes, locale: Locale): string {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(slot.localDate);
  let day = slot.localDate;
  if (match) {
    // Noon UTC of that calendar date, formatted in UTC: the weekday and
    // date are the place's, whatever this computer's time zone is.
    const date = new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]), 12));
    day = date.toLocaleDateString(INTL_LOCALE[locale], {
      weekday: "long",
      year: "numeric",
      month: "long",
      day: "numeric",
      timeZone: "UTC",
    });
  }
  const times = `${slot.localStart}–${slot.localEnd}`;
  return locale === "de" ? `${day}, ${times} Uhr` : `${day}, ${times}`;
}

/** A file size in the units people know: "850 Bytes", "12,5 kB", "3,4 MB" (decimal units). */
export function formatSize(bytes: number, locale: Locale): string {
  const number = (value: number, digits: number): string =>
    value.toLocaleString(INTL_LOCALE[locale], { maximumFractionDigits: digits, minimumFractionDigits: 0 });
  if (bytes < 1000) return `${number(bytes, 0)} ${locale === "de" ? "Bytes" : "bytes"}`;
  if (bytes < 1_000_000) return `${number(bytes / 1000, 1)} kB`;
  if (bytes < 1_000_000_000) return `${number(bytes / 1_000_000, 1)} MB`;
  return `${number(bytes / 1_000_000_000, 1)} GB`;
}

/** Characters as the protocol counts them (Unicode code points), not UTF-16 units. */
export function characterCount(text: string): number {
  let count = 0;
  for (const _ of text) count += 1;
  return count;
}
