// Typed subscriptions to the events Rust sends: the only place ui/ calls
// `listen`. Payload types are generated from Rust (./bindings).
import { listen, type UnlistenFn } from "@tauri-apps/api/event";
import type { RequestsChanged } from "./bindings/RequestsChanged.ts";

export function onRequestsChanged(handler: (payload: RequestsChanged) => void): Promise<UnlistenFn> {
  return listen<RequestsChanged>("requests-changed", (event) => handler(event.payload));
}
