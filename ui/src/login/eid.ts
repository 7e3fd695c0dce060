// The eID login card on the start screen: the card readers (live), what the
// service asks for (from its checked certificate, shown as text), PIN entry
// with the retry counter, the CAN when the PIN is suspended, the PUK when it
// is blocked. The PIN, CAN and PUK live only in their input fields until
// they are handed to Rust once; the fields are cleared right after.
// The same card, titled and labelled for it, renews a logged-in citizen's
// eID attestation from the settings (eidAttestCard): the same consent and
// PIN step, then only the attestation, no new login.
import { h } from "../dom.ts";
import type { MessageKey } from "../i18n/de.ts";
import { t } from "../i18n/index.ts";
import type { AccessRightDto } from "../ipc/bindings/AccessRightDto.ts";
import type { EidAttestationDto } from "../ipc/bindings/EidAttestationDto.ts";
import type { EidConsentDto } from "../ipc/bindings/EidConsentDto.ts";
import type { EidErrorDto } from "../ipc/bindings/EidErrorDto.ts";
import type { ReadersDto } from "../ipc/bindings/ReadersDto.ts";
import type { SessionState } from "../ipc/bindings/SessionState.ts";
import {
  eidAttestationRenew,
  eidAttestationStart,
  eidLoginAuthenticate,
  eidLoginCancel,
  eidLoginStart,
  eidReaders,
  eidUnblockPin,
} from "../ipc/commands.ts";
import { onReadersChanged } from "../ipc/events.ts";

/** Where the citizen is in the eID login. */
export type EidStep =
  | { step: "idle" }
  | { step: "starting" }
  | { step: "consent"; consent: EidConsentDto; needCan: boolean; needPuk: boolean }
  | { step: "authenticating"; consent: EidConsentDto; needCan: boolean };

export interface EidLoginState {
  readers: ReadersDto;
  chosenReader: string | null;
  step: EidStep;
  error: { key: MessageKey; values?: Record<string, string> } | null;
}

export interface EidContext {
  rerender(): void;
  announce(text: string): void;
  loggedIn(session: SessionState): void;
}

/** The settings' renewal of the eID attestation. */
export interface EidAttestContext {
  rerender(): void;
  announce(text: string): void;
  /** The login service attested the account anew. */
  attested(attestation: EidAttestationDto): void;
  /** The citizen cancelled. */
  closed(): void;
}

/** What the card step is for: its texts and the commands it runs. */
interface EidFlow {
  rerender(): void;
  announce(text: string): void;
  title: MessageKey;
  /** The card's heading level: the login stands alone, the renewal sits in the settings' account section. */
  heading: "h2" | "h3";
  startLabel: MessageKey;
  submitLabel: MessageKey;
  busyLabel: MessageKey;
  start(): Promise<EidConsentDto>;
  /** Runs the card step; resolves to handing its result on. */
  finish(reader: string, pin: string, can: string | null): Promise<() => void>;
  cancelled(): void;
}

function loginFlow(context: EidContext): EidFlow {
  return {
    rerender: () => context.rerender(),
    announce: (text) => context.announce(text),
    title: "eid.title",
    heading: "h2",
    startLabel: "eid.start",
    submitLabel: "eid.authenticate",
    busyLabel: "eid.authenticating",
    start: eidLoginStart,
    finish: async (reader, pin, can) => {
      const session = await eidLoginAuthenticate(reader, pin, can);
      return () => context.loggedIn(session);
    },
    cancelled: () => undefined,
  };
}

function attestFlow(context: EidAttestContext): EidFlow {
  return {
    rerender: () => context.rerender(),
    announce: (text) => context.announce(text),
    title: "eid.attest.title",
    heading: "h3",
    startLabel: "eid.attest.start",
    submitLabel: "eid.attest.authenticate",
    busyLabel: "eid.attest.authenticating",
    start: eidAttestationStart,
    finish: async (reader, pin, can) => {
      const attestation = await eidAttestationRenew(reader, pin, can);
      return () => context.attested(attestation);
    },
    cancelled: () => context.closed(),
  };
}

export const eidState: EidLoginState = {
  readers: { serviceAvailable: true, readers: [] },
  chosenReader: null,
  step: { step: "idle" },
  error: null,
};

/** Starts following the readers; call once at start. */
export async function watchReaders(rerender: () => void): Promise<void> {
  const apply = (readers: ReadersDto): void => {
    eidState.readers = readers;
    eidState.chosenReader = pickReader(readers, eidState.chosenReader);
    rerender();
  };
  await onReadersChanged(apply);
  apply(await eidReaders());
}

/** Keeps the chosen reader while it exists; otherwise the first one with a card. */
export function pickReader(readers: ReadersDto, chosen: string | null): string | null {
  const names = readers.readers.map((r) => r.name);
  if (chosen && names.includes(chosen)) return chosen;
  return readers.readers.find((r) => r.cardPresent)?.name ?? names[0] ?? null;
}

/** The message for an eID error (exhaustive: a new code fails the type check). */
export function eidErrorMessage(error: unknown): { key: MessageKey; values?: Record<string, string> } {
  if (typeof error !== "object" || error === null || typeof (error as { code?: unknown }).code !== "string") {
    return { key: "eid.error.internal" };
  }
  const e = error as EidErrorDto;
  switch (e.code) {
    case "noReaderService":
      return { key: "eid.error.noReaderService" };
    case "noCard":
      return { key: "eid.error.noCard" };
    case "notAnEidCard":
      return { key: "eid.error.notAnEidCard" };
    case "cardRemoved":
      return { key: "eid.error.cardRemoved" };
    case "wrongPin":
      if (e.retriesLeft === null) return { key: "eid.error.wrongPinUnknown" };
      return e.retriesLeft === 1
        ? { key: "eid.error.wrongPinLast" }
        : { key: "eid.error.wrongPin", values: { retries: String(e.retriesLeft) } };
    case "pinSuspended":
      return { key: "eid.error.pinSuspended" };
    case "pinBlocked":
      return { key: "eid.error.pinBlocked" };
    case "pukExhausted":
      return { key: "eid.error.pukExhausted" };
    case "wrongCan":
      return { key: "eid.error.wrongCan" };
    case "wrongPuk":
      return { key: "eid.error.wrongPuk" };
    case "deactivated":
      return { key: "eid.error.deactivated" };
    case "invalidInput":
      return { key: e.field === "can" ? "eid.error.invalidCan" : e.field === "puk" ? "eid.error.invalidPuk" : "eid.error.invalidPin" };
    case "serviceCertificateInvalid":
      return { key: "eid.error.certificate" };
    case "serviceRefused":
      return { key: "eid.error.refused", values: { reason: e.reason } };
    case "homeserverUnavailable":
      return { key: "eid.error.homeserver" };
    case "network":
      return { key: "eid.error.network" };
    case "loginFailed":
      return { key: "eid.error.loginFailed" };
    case "noLoginInProgress":
      return { key: "eid.error.expired" };
    case "alreadyLoggedIn":
      return { key: "error.alreadyLoggedIn" };
    case "keychainUnavailable":
      return { key: "eid.error.keychain" };
    case "notLoggedIn":
      return { key: "eid.error.notLoggedIn" };
    case "noMasterKey":
      return { key: "eid.error.noMasterKey" };
    case "attestationNotIssued":
      return { key: "eid.error.attestationNotIssued" };
    case "internal":
      return { key: "eid.error.internal" };
  }
}

/** What a right means, in the citizen's words. */
export function rightLabel(right: AccessRightDto): string {
  switch (right.right) {
    case "pseudonym":
      return t("eid.right.pseudonym");
    case "ageVerification":
      return t("eid.right.age");
    case "placeVerification":
      return t("eid.right.place");
    case "readDataGroup":
      return t("eid.right.dataGroup", { number: String(right.number) });
    case "other":
      return right.label;
  }
}

function readerSection(state: EidLoginState): HTMLElement {
  const { readers } = state;
  if (!readers.serviceAvailable) {
    return h("p", { class: "notice", role: "status", "data-testid": "eid-readers" }, t("eid.readers.noService"));
  }
  if (readers.readers.length === 0) {
    return h("p", { class: "notice", role: "status", "data-testid": "eid-readers" }, t("eid.readers.none"));
  }
  const list = h(
    "fieldset",
    { class: "readers", "data-testid": "eid-readers" },
    h("legend", {}, t("eid.readers.legend")),
    ...readers.readers.map((reader, index) => {
      const id = `eid-reader-${index}`;
      const input = h("input", {
        type: "radio",
        name: "eid-reader",
        id,
        value: reader.name,
        checked: state.chosenReader === reader.name,
      });
      input.addEventListener("change", () => {
        state.chosenReader = reader.name;
      });
      return h(
        "p",
        { class: "choice" },
        input,
        h("label", { for: id }, reader.name, " – ", h("span", { class: reader.cardPresent ? "ok" : "muted" }, t(reader.cardPresent ? "eid.readers.card" : "eid.readers.noCard"))),
      );
    }),
  );
  return list;
}

function consentSection(consent: EidConsentDto, heading: "h3" | "h4"): HTMLElement {
  const row = (label: MessageKey, value: string | null): HTMLElement | null =>
    value ? h("div", { class: "row" }, h("dt", {}, t(label)), h("dd", {}, value)) : null;
  return h(
    "section",
    { class: "consent", "aria-labelledby": "eid-consent-title", "data-testid": "eid-consent" },
    h(heading, { id: "eid-consent-title" }, t("eid.consent.title")),
    h(
      "dl",
      {},
      row("eid.consent.provider", consent.providerName),
      row("eid.consent.url", consent.providerUrl),
      row("eid.consent.issuer", consent.issuerName),
      row("eid.consent.validity", t("eid.consent.validityRange", { from: consent.validFrom, until: consent.validUntil })),
    ),
    h("p", {}, t("eid.consent.rights")),
    h("ul", { "data-testid": "eid-rights" }, ...consent.requiredRights.map((right) => h("li", {}, rightLabel(right)))),
    consent.terms
      ? h("details", {}, h("summary", {}, t("eid.consent.terms")), h("p", { class: "terms" }, consent.terms))
      : h("p", { class: "muted" }, t("eid.consent.termsNotShown")),
  );
}

function secretField(id: string, label: MessageKey, help: MessageKey, length: number): HTMLElement {
  return h(
    "p",
    { class: "field" },
    h("label", { for: id }, t(label)),
    h("input", {
      id,
      name: id,
      type: "password",
      inputmode: "numeric",
      autocomplete: "off",
      pattern: `[0-9]{${length === 6 ? "5,6" : String(length)}}`,
      maxlength: String(length),
      required: true,
      "aria-describedby": `${id}-help`,
    }),
    h("span", { id: `${id}-help`, class: "help" }, t(help)),
  );
}

export function eidLoginCard(state: EidLoginState, context: EidContext): HTMLElement {
  return eidCard(state, loginFlow(context));
}

/** The card step that renews a logged-in citizen's eID attestation. */
export function eidAttestCard(state: EidLoginState, context: EidAttestContext): HTMLElement {
  return eidCard(state, attestFlow(context));
}

/** Starts the attestation's card step right away (consent and PIN next). */
export function startEidAttestation(state: EidLoginState, context: EidAttestContext): Promise<void> {
  return begin(state, attestFlow(context));
}

function eidCard(state: EidLoginState, context: EidFlow): HTMLElement {
  const busy = state.step.step === "starting" || state.step.step === "authenticating";
  const error = state.error ? h("p", { class: "error", role: "alert", "data-testid": "eid-error" }, t(state.error.key, state.error.values)) : null;
  const section = h("section", { class: "card eid-login", "aria-labelledby": "eid-title", "aria-busy": busy ? "true" : undefined });
  section.append(h(context.heading, { id: "eid-title" }, t(context.title)), readerSection(state));

  const step = state.step;
  if (step.step === "idle" || step.step === "starting") {
    const button = h("button", { type: "button", class: "primary", id: "eid-start", disabled: busy }, t(busy ? "eid.starting" : context.startLabel));
    button.addEventListener("click", () => void begin(state, context));
    section.append(button);
    if (error) section.append(error);
    return section;
  }

  section.append(consentSection(step.consent, context.heading === "h2" ? "h3" : "h4"));
  const needPuk = step.step === "consent" && step.needPuk;
  const form = h("form", { class: "pin-form", "data-testid": needPuk ? "eid-puk-form" : "eid-pin-form" });
  if (needPuk) {
    form.append(
      secretField("eid-puk", "eid.puk.label", "eid.puk.help", 10),
      h("button", { type: "submit", class: "primary", disabled: busy }, t("eid.puk.submit")),
    );
  } else {
    if (step.needCan) form.append(secretField("eid-can", "eid.can.label", "eid.can.help", 6));
    form.append(
      secretField("eid-pin", "eid.pin.label", "eid.pin.help", 6),
      h("button", { type: "submit", class: "primary", id: "eid-authenticate", disabled: busy }, t(busy ? context.busyLabel : context.submitLabel)),
    );
  }
  const cancel = h("button", { type: "button", class: "secondary", disabled: busy }, t("eid.cancel"));
  cancel.addEventListener("click", () => {
    state.step = { step: "idle" };
    state.error = null;
    context.rerender();
    void eidLoginCancel();
    context.cancelled();
  });
  form.append(cancel);
  if (error) form.append(error);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const take = (id: string): string => {
      const input = form.querySelector<HTMLInputElement>(`#${id}`);
      const value = input?.value ?? "";
      if (input) input.value = "";
      return value;
    };
    if (needPuk) void unblock(state, context, take("eid-puk"));
    else void authenticate(state, context, take("eid-pin"), step.needCan ? take("eid-can") : null);
  });
  section.append(form);
  return section;
}

function fail(state: EidLoginState, context: EidFlow, error: unknown): void {
  state.error = eidErrorMessage(error);
  context.rerender();
  context.announce(t(state.error.key, state.error.values));
}

async function begin(state: EidLoginState, context: EidFlow): Promise<void> {
  state.step = { step: "starting" };
  state.error = null;
  context.rerender();
  try {
    const consent = await context.start();
    state.step = { step: "consent", consent, needCan: false, needPuk: false };
    context.rerender();
    document.getElementById("eid-pin")?.focus();
  } catch (error) {
    state.step = { step: "idle" };
    fail(state, context, error);
  }
}

async function authenticate(state: EidLoginState, context: EidFlow, pin: string, can: string | null): Promise<void> {
  const step = state.step;
  if (step.step !== "consent" || !state.chosenReader) {
    if (!state.chosenReader) fail(state, context, { code: "noCard" });
    return;
  }
  state.step = { step: "authenticating", consent: step.consent, needCan: step.needCan };
  state.error = null;
  context.rerender();
  try {
    const handOn = await context.finish(state.chosenReader, pin, can);
    state.step = { step: "idle" };
    handOn();
  } catch (error) {
    const code = (error as EidErrorDto | null)?.code;
    if (
      code === "noLoginInProgress" ||
      code === "serviceRefused" ||
      code === "network" ||
      code === "loginFailed" ||
      code === "noMasterKey" ||
      code === "attestationNotIssued" ||
      code === "notLoggedIn"
    ) {
      state.step = { step: "idle" };
    } else {
      state.step = {
        step: "consent",
        consent: step.consent,
        needCan: code === "pinSuspended" || code === "wrongCan" || (step.needCan && code !== "wrongPin"),
        needPuk: code === "pinBlocked",
      };
    }
    fail(state, context, error);
    document.getElementById(state.step.step === "consent" && state.step.needPuk ? "eid-puk" : state.step.step === "consent" && state.step.needCan ? "eid-can" : "eid-pin")?.focus();
  }
}

async function unblock(state: EidLoginState, context: EidFlow, puk: string): Promise<void> {
  const step = state.step;
  if (step.step !== "consent" || !state.chosenReader) return;
  try {
    await eidUnblockPin(state.chosenReader, puk);
    state.step = { step: "consent", consent: step.consent, needCan: false, needPuk: false };
    state.error = null;
    context.rerender();
    context.announce(t("eid.puk.done"));
    document.getElementById("eid-pin")?.focus();
  } catch (error) {
    fail(state, context, error);
  }
}
