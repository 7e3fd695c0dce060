// The update banner: when Rust reports a newer signed release
// (`update-available`), show its version and release notes (as text) and
// install only when the citizen says so. Rust checks at start and daily,
// verifies the signature and refuses downgrades and plain HTTP; this module
// only asks for consent.
import { h, replaceChildren } from "./dom.ts";
import { t } from "./i18n/index.ts";
import type { UpdateCommandError } from "./ipc/bindings/UpdateCommandError.ts";
import type { UpdateInfo } from "./ipc/bindings/UpdateInfo.ts";
import { installUpdate } from "./ipc/commands.ts";
import { onUpdateAvailable, onUpdateProgress } from "./ipc/events.ts";

type BannerState =
  | { state: "hidden" }
  | { state: "offered"; info: UpdateInfo }
  | { state: "installing"; info: UpdateInfo; percent: number | null }
  | { state: "failed"; info: UpdateInfo; refused: boolean };

let banner: BannerState = { state: "hidden" };
const region = h("section", { id: "update-banner", class: "update-banner", "aria-live": "polite", hidden: true });

/** Mounts the banner at the top of `parent` and starts listening. */
export async function mountUpdateBanner(parent: HTMLElement): Promise<void> {
  parent.prepend(region);
  await onUpdateAvailable((info) => {
    if (banner.state === "installing") return;
    banner = { state: "offered", info };
    draw();
  });
  await onUpdateProgress((progress) => {
    if (banner.state !== "installing") return;
    const percent = progress.total ? Math.floor((progress.downloaded / progress.total) * 100) : null;
    banner = { ...banner, percent };
    draw();
  });
}

function draw(): void {
  if (banner.state === "hidden") {
    region.hidden = true;
    replaceChildren(region);
    return;
  }
  const { info } = banner;
  region.hidden = false;
  replaceChildren(
    region,
    h("h2", {}, t("update.available", { version: info.version })),
    info.notes ? h("p", { class: "update-notes" }, info.notes) : null,
    body(),
  );
}

function body(): HTMLElement {
  switch (banner.state) {
    case "offered": {
      const install = h("button", { type: "button", class: "primary" }, t("update.install"));
      install.addEventListener("click", () => void install_());
      const later = h("button", { type: "button" }, t("update.later"));
      later.addEventListener("click", () => {
        banner = { state: "hidden" };
        draw();
      });
      return h("div", { class: "actions" }, install, later);
    }
    case "installing":
      return h(
        "p",
        { role: "status" },
        banner.percent === null ? t("update.installing") : t("update.progress", { percent: String(banner.percent) }),
      );
    case "failed":
      return h("p", { class: "error", role: "alert" }, t(banner.refused ? "update.refused" : "update.failed"));
    case "hidden":
      return h("div", {});
  }
}

async function install_(): Promise<void> {
  if (banner.state !== "offered") return;
  const info = banner.info;
  banner = { state: "installing", info, percent: null };
  draw();
  try {
    // On success the app restarts into the new version.
    await installUpdate();
  } catch (error) {
    const code = (error as Partial<UpdateCommandError> | null)?.code;
    banner = { state: "failed", info, refused: code === "refused" };
    draw();
  }
}
