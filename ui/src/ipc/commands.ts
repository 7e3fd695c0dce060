// Typed wrappers of the app's IPC commands: the only place ui/ calls
// `invoke`. The argument and result types are generated from Rust
// (./bindings, by ts-rs); a Rust test checks that this file wraps exactly
// the commands the app registers.
import { invoke } from "@tauri-apps/api/core";
import type { AppInfo } from "./bindings/AppInfo.ts";
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
