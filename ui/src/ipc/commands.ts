// Typed wrappers of the app's IPC commands: the only place ui/ calls
// `invoke`. The argument and result types are generated from Rust
// (./bindings, by ts-rs); a Rust test checks that this file wraps exactly
// the commands the app registers.
import { invoke } from "@tauri-apps/api/core";
import type { AccountDto } from "./bindings/AccountDto.ts";
import type { AppInfo } from "./bindings/AppInfo.ts";
import type { EidAttestationDto } from "./bindings/EidAttestationDto.ts";
import type { EidConsentDto } from "./bindings/EidConsentDto.ts";
import type { ReadersDto } from "./bindings/ReadersDto.ts";
import type { PreferencesDto } from "./bindings/PreferencesDto.ts";
import type { RecoveryKeyExport } from "./bindings/RecoveryKeyExport.ts";
import type { RevealedRecoveryKey } from "./bindings/RevealedRecoveryKey.ts";
import type { DocumentFilesDto } from "./bindings/DocumentFilesDto.ts";
import type { PreparedFileDto } from "./bindings/PreparedFileDto.ts";
import type { QueuedAnswerDto } from "./bindings/QueuedAnswerDto.ts";
import type { RequestDetailDto } from "./bindings/RequestDetailDto.ts";
import type { RequestSummaryDto } from "./bindings/RequestSummaryDto.ts";
import type { SessionState } from "./bindings/SessionState.ts";
import type { UpdateInfo } from "./bindings/UpdateInfo.ts";

export function appInfo(): Promise<AppInfo> {
  return invoke<AppInfo>("app_info");
}

export function sessionState(): Promise<SessionState> {
  return invoke<SessionState>("session_state");
}

export function listRequests(): Promise<RequestSummaryDto[]> {
  return invoke<RequestSummaryDto[]>("list_requests");
}

/** Checks for a signed update now; null when none is newer. */
export function checkUpdate(): Promise<UpdateInfo | null> {
  return invoke<UpdateInfo | null>("check_update");
}

/** Installs the update on offer (the citizen consented) and restarts. */
export function installUpdate(): Promise<void> {
  return invoke<void>("install_update");
}

/** Development and demo builds only (`dev-login`); citizens use the eID card. */
export function loginWithPassword(homeserver: string, user: string, password: string): Promise<SessionState> {
  return invoke<SessionState>("login_with_password", { homeserver, user, password });
}

/** The account on the settings screen: pseudonym, devices, recovery state. */
export function accountOverview(): Promise<AccountDto> {
  return invoke<AccountDto>("account_overview");
}

/** This computer's preferences (notifications, update channel). */
export function preferences(): Promise<PreferencesDto> {
  return invoke<PreferencesDto>("preferences");
}

export function setPreferences(preferences: PreferencesDto): Promise<PreferencesDto> {
  return invoke<PreferencesDto>("set_preferences", { preferences });
}

/** Rust opens the native save dialog and writes the key; the key never reaches ui/. */
export function exportRecoveryKey(dialogTitle: string, fileName: string): Promise<RecoveryKeyExport> {
  return invoke<RecoveryKeyExport>("export_recovery_key", { dialogTitle, fileName });
}

/** Only when the citizen asked to see the key; drop it from the page again soon. */
export function revealRecoveryKey(): Promise<RevealedRecoveryKey> {
  return invoke<RevealedRecoveryKey>("reveal_recovery_key");
}

export function logOut(): Promise<SessionState> {
  return invoke<SessionState>("log_out");
}

// The request page (src-tauri/src/commands/request.rs). Answers are queued
// and sent when possible; follow them through `request-changed` and
// `getRequest`.

export function getRequest(roomId: string): Promise<RequestDetailDto> {
  return invoke<RequestDetailDto>("get_request", { roomId });
}

export function answerInquiry(roomId: string, promptEventId: string, text: string): Promise<QueuedAnswerDto> {
  return invoke<QueuedAnswerDto>("answer_inquiry", { roomId, promptEventId, text });
}

/** `slotId: null` answers "none of these appointments". */
export function selectAppointment(roomId: string, promptEventId: string, slotId: string | null): Promise<QueuedAnswerDto> {
  return invoke<QueuedAnswerDto>("select_appointment", { roomId, promptEventId, slotId });
}

export function selectChoice(roomId: string, promptEventId: string, optionIds: string[]): Promise<QueuedAnswerDto> {
  return invoke<QueuedAnswerDto>("select_choice", { roomId, promptEventId, optionIds });
}

/** Checks and normalises picked files for one requested document; uploads nothing. */
export function prepareDocuments(roomId: string, promptEventId: string, documentId: string, paths: string[]): Promise<PreparedFileDto[]> {
  return invoke<PreparedFileDto[]>("prepare_documents", { roomId, promptEventId, documentId, paths });
}

/** Uploads (needs the network) and queues the documents submission. */
export function submitDocuments(roomId: string, promptEventId: string, documents: DocumentFilesDto[]): Promise<QueuedAnswerDto> {
  return invoke<QueuedAnswerDto>("submit_documents", { roomId, promptEventId, documents });
}

export function acknowledgeNotice(roomId: string, promptEventId: string): Promise<QueuedAnswerDto> {
  return invoke<QueuedAnswerDto>("acknowledge_notice", { roomId, promptEventId });
}

export function retrySend(roomId: string, transactionId: string): Promise<void> {
  return invoke<void>("retry_send", { roomId, transactionId });
}

/** `false` if the answer had already been sent. */
export function cancelSend(roomId: string, transactionId: string): Promise<boolean> {
  return invoke<boolean>("cancel_send", { roomId, transactionId });
}

/** Rust downloads, decrypts and checks the file, then opens the system viewer. */
export function openAttachment(roomId: string, promptEventId: string, index: number): Promise<void> {
  return invoke<void>("open_attachment", { roomId, promptEventId, index });
}

/** The native file dialog; the picked paths, empty if cancelled. */
export function pickDocuments(title: string): Promise<string[]> {
  return invoke<string[]>("pick_documents", { title });
}

/** The card readers and whether a card lies on each. */
export function eidReaders(): Promise<ReadersDto> {
  return invoke<ReadersDto>("eid_readers");
}

/** Starts an eID login; resolves to what the service asks the citizen to consent to. */
export function eidLoginStart(): Promise<EidConsentDto> {
  return invoke<EidConsentDto>("eid_login_start");
}

/** Cancels the eID login in progress. */
export function eidLoginCancel(): Promise<void> {
  return invoke<void>("eid_login_cancel");
}

/** Runs PACE with the PIN (and the CAN if the PIN is suspended) on `reader` and logs in. */
export function eidLoginAuthenticate(reader: string, pin: string, can: string | null): Promise<SessionState> {
  return invoke<SessionState>("eid_login_authenticate", { reader, pin, can });
}

/** Unblocks a blocked PIN with the PUK. */
export function eidUnblockPin(reader: string, puk: string): Promise<void> {
  return invoke<void>("eid_unblock_pin", { reader, puk });
}

/** Starts an eID authentication of the logged-in citizen that only renews the account's attestation. */
export function eidAttestationStart(): Promise<EidConsentDto> {
  return invoke<EidConsentDto>("eid_attestation_start");
}

/** Runs PACE with the PIN (and the CAN) on `reader`, then has the account's master key attested anew. */
export function eidAttestationRenew(reader: string, pin: string, can: string | null): Promise<EidAttestationDto> {
  return invoke<EidAttestationDto>("eid_attestation_renew", { reader, pin, can });
}

/** Where the account's eID attestation stands. */
export function eidAttestationState(): Promise<EidAttestationDto> {
  return invoke<EidAttestationDto>("eid_attestation_state");
}
