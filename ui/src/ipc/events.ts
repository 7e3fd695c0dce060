// Typed subscriptions to the events Rust sends: the only place ui/ calls
// `listen`. Payload types are generated from Rust (./bindings).
import { listen, type UnlistenFn } from "@tauri-apps/api/event";
import { getCurrentWebview, type DragDropEvent } from "@tauri-apps/api/webview";
import type { ReadersDto } from "./bindings/ReadersDto.ts";
import type { RequestChanged } from "./bindings/RequestChanged.ts";
import type { RequestsChanged } from "./bindings/RequestsChanged.ts";
import type { OpenRequest } from "./bindings/OpenRequest.ts";
import type { UpdateInfo } from "./bindings/UpdateInfo.ts";
import type { UpdateProgress } from "./bindings/UpdateProgress.ts";

export function onRequestsChanged(handler: (payload: RequestsChanged) => void): Promise<UnlistenFn> {
  return listen<RequestsChanged>("requests-changed", (event) => handler(event.payload));
}

/** The citizen clicked a notification: open this request. */
export function onOpenRequest(handler: (payload: OpenRequest) => void): Promise<UnlistenFn> {
  return listen<OpenRequest>("open-request", (event) => handler(event.payload));
}

export function onUpdateAvailable(handler: (payload: UpdateInfo) => void): Promise<UnlistenFn> {
  return listen<UpdateInfo>("update-available", (event) => handler(event.payload));
}

export function onUpdateProgress(handler: (payload: UpdateProgress) => void): Promise<UnlistenFn> {
  return listen<UpdateProgress>("update-progress", (event) => handler(event.payload));
}

/** One request's page may have changed (new events, an answer's send state). */
export function onRequestChanged(handler: (payload: RequestChanged) => void): Promise<UnlistenFn> {
  return listen<RequestChanged>("request-changed", (event) => handler(event.payload));
}

/** Files dragged over or dropped on the window (the OS's drag and drop; paths, physical pixels). */
export function onFileDrop(handler: (event: DragDropEvent) => void): Promise<UnlistenFn> {
  return getCurrentWebview().onDragDropEvent((event) => handler(event.payload));
}

/** Card readers or cards came or went. */
export function onReadersChanged(handler: (payload: ReadersDto) => void): Promise<UnlistenFn> {
  return listen<ReadersDto>("readers-changed", (event) => handler(event.payload));
}
