// English: the switch. Every key of the German catalogue must be here; the
// type check fails otherwise.
import type { MessageKey } from "./de.ts";

export const en: Record<MessageKey, string> = {
  "app.name": "Amtsbote",
  "app.tagline": "Your matters with public authorities – secure and digital",
  "skip.main": "Skip to content",
  "language.switch": "Deutsch",
  "language.switch.label": "Switch language to German",
  "welcome.title": "Welcome",
  "welcome.lead":
    "Amtsbote brings questions, appointments and decisions about your applications straight from the authority – end-to-end encrypted instead of by paper mail.",
  "welcome.steps.title": "How to log in",
  "welcome.steps.reader": "Connect a card reader or use an NFC-capable reader.",
  "welcome.steps.card": "Place your ID card or electronic residence permit on the reader.",
  "welcome.steps.pin": "Enter your six-digit PIN. The PIN never leaves your computer.",
  "welcome.privacy.title": "Your data",
  "welcome.privacy.text":
    "The message server only knows a pseudonym, not your name. Only the responsible authority can read your messages.",
  "footer.version": "Version {version}",
  "error.start": "Amtsbote could not start completely. Please restart the application.",
};
