// Typed wrappers of the app's IPC commands: the only place ui/ calls
// `invoke`. The argument and result types are generated from Rust
// (./bindings, by ts-rs); a Rust test checks that this file wraps exactly
// the commands the app registers.
import { invoke } from "@tauri-apps/api/core";
import type { AppInfo } from "./bindings/AppInfo.ts";

export function appInfo(): Promise<AppInfo> {
  return invoke<AppInfo>("app_info");
}
