// Typed wrappers of the app's IPC commands: the only place ui/ calls
// `invoke`. The argument and result types are generated from Rust
// (./bindings, by ts-rs); a Rust test checks that this file wraps exactly
// the commands the app registers.
import { invoke } from "@tauri-apps/api/core";
import type { AccountDto } from "./bindings/AccountDto.ts";
import type { AppInfo } from "./bindings/AppInfo.ts";
import type { PreferencesDto } from "./bindings/PreferencesDto.ts";
import type { RecoveryKeyExport } from "./bindings/RecoveryKeyExport.ts";
import type { RevealedRecoveryKey } from "./bindings/RevealedRecoveryKey.ts";
import type { RequestSummaryDto } from "./bindings/RequestSummaryDto.ts";
import type { SessionState } from "./bindings/SessionState.ts";

export function appInfo(): Promise<AppInfo> {
  return invoke<AppInfo>("app_info");
}

export function sessionState(): Promise<SessionState> {
  return invoke<SessionState>("session_state");
}

export function listRequests(): Promise<RequestSummaryDto[]> {
  return invoke<RequestSummaryDto[]>("list_requests");
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
