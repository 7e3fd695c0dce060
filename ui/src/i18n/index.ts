// Message catalogues and the current language. German is the default;
// English is a switch the citizen makes, remembered on this computer.
import { de, type MessageKey } from "./de.ts";
import { en } from "./en.ts";

export type Locale = "de" | "en";

const catalogues: Record<Locale, Record<MessageKey, string>> = { de, en };
const STORAGE_KEY = "amtsbote.locale";

let current: Locale = readStoredLocale();

function readStoredLocale(): Locale {
  const stored = globalThis.localStorage?.getItem(STORAGE_KEY);
  return stored === "en" ? "en" : "de";
}

export function locale(): Locale {
  return current;
}

export function setLocale(next: Locale): void {
  current = next;
  globalThis.localStorage?.setItem(STORAGE_KEY, next);
  document.documentElement.lang = next;
}

/** The message for `key` in the current language, with `{name}` filled in. */
export function t(key: MessageKey, values: Record<string, string> = {}): string {
  const template = catalogues[current][key];
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => values[name] ?? whole);
}

/** The keys that come as a pair `KEY.one` and `KEY.many` (German and English need no other forms). */
export type CountedKey = {
  [K in MessageKey]: K extends `${infer Base}.one` ? (`${Base}.many` extends MessageKey ? Base : never) : never;
}[MessageKey];

/** The message for `count` things: `KEY.one` for one, else `KEY.many` with `{count}` filled in. */
export function tCount(key: CountedKey, count: number, values: Record<string, string> = {}): string {
  const form = (count === 1 ? `${key}.one` : `${key}.many`) as MessageKey;
  return t(form, { ...values, count: String(count) });
}
