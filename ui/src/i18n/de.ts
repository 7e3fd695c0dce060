// German: the default language of the app.
export const de = {
  "app.name": "Amtsbote",
  "app.tagline": "Ihre Anliegen bei Behörden – sicher und digital",
  "skip.main": "Zum Inhalt springen",
  "language.switch": "English",
  "language.switch.label": "Sprache wechseln zu Englisch",
  "welcome.title": "Willkommen",
  "welcome.lead":
    "Mit Amtsbote erhalten Sie Rückfragen, Termine und Bescheide zu Ihren Anträgen direkt von der Behörde – Ende-zu-Ende-verschlüsselt statt per Briefpost.",
  "welcome.steps.title": "So melden Sie sich an",
  "welcome.steps.reader": "Schließen Sie einen Kartenleser an oder nutzen Sie ein NFC-fähiges Lesegerät.",
  "welcome.steps.card": "Legen Sie Ihren Personalausweis oder Ihren elektronischen Aufenthaltstitel auf.",
  "welcome.steps.pin": "Geben Sie Ihre sechsstellige PIN ein. Die PIN verlässt Ihren Computer nicht.",
  "welcome.privacy.title": "Ihre Daten",
  "welcome.privacy.text":
    "Der Nachrichtenserver kennt nur ein Pseudonym, nicht Ihren Namen. Nachrichten kann nur die zuständige Behörde lesen.",
  "footer.version": "Version {version}",
  "error.start": "Amtsbote konnte nicht vollständig starten. Bitte starten Sie die Anwendung neu.",
} as const;

export type MessageKey = keyof typeof de;
