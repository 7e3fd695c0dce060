// Authority text in the UI's language or in its own (WCAG 2.1 SC 3.1.2
// "Language of Parts", BITV): everything an authority wrote (service and
// authority names, questions, option labels, document titles, notice
// texts, status notes) is in the case's language, which the request event
// names (BCP 47, German when absent; see docs/protocol.md). When the UI
// speaks another language, that text carries `lang` so a screen reader
// pronounces it in its own language; when they agree, no attribute, so
// nothing is marked for nothing. Authority text goes in as one text node
// only (dom.ts h()), never as markup, and never mixed with catalogue text
// in the same element: the `lang` would otherwise claim the UI's words too.
import { h, type Attributes } from "./dom.ts";
import { locale, type Locale } from "./i18n/index.ts";

/** The case's language when Rust sends none (it always does; defensive): German, as the protocol's default. */
export const DEFAULT_CASE_LANGUAGE = "de";

/** The subset of BCP 47 the protocol admits (crates/protocol language.rs). */
const LANGUAGE_TAG = /^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$/;
const MAX_LANGUAGE_TAG_CHARS = 35;

/**
 * The `lang` attribute for authority text in `caseLanguage` inside a UI
 * speaking `uiLocale`: the case's tag when its primary language differs
 * from the UI's, `undefined` (no attribute) when it is the same (`de-AT`
 * text in a German UI needs no mark: the same voice reads it). A tag that
 * is not well-formed counts as the default, German.
 */
export function authorityLang(caseLanguage: string, uiLocale: Locale): string | undefined {
  const tag =
    caseLanguage.length <= MAX_LANGUAGE_TAG_CHARS && LANGUAGE_TAG.test(caseLanguage) ? caseLanguage : DEFAULT_CASE_LANGUAGE;
  const primary = tag.split("-")[0]!.toLowerCase();
  return primary === uiLocale ? undefined : tag;
}

/** An element holding one authority text, with `lang` when the case's language is not the UI's. */
export function authorityText<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  caseLanguage: string,
  text: string,
  attributes: Omit<Attributes, "lang"> = {},
): HTMLElementTagNameMap[K] {
  return h(tag, { ...attributes, lang: authorityLang(caseLanguage, locale()) }, text);
}
