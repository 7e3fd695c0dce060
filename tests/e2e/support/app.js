// Starts the real Amtsbote binary in a real window through tauri-driver
// (which drives WebKitWebDriver) and hands back a WebDriver session.
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createServer, connect } from "node:net";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { remote } from "webdriverio";

const here = dirname(fileURLToPath(import.meta.url));
export const repoRoot = join(here, "..", "..", "..");
export const artifactsDir = join(here, "..", "artifacts");

/** The workspace version, read from Cargo.toml: what the app must report. */
export function workspaceVersion() {
  const manifest = readFileSync(join(repoRoot, "Cargo.toml"), "utf8");
  const section = manifest.split("[workspace.package]")[1] ?? "";
  const match = section.match(/^version\s*=\s*"([^"]+)"/m);
  if (!match) throw new Error("no [workspace.package] version in Cargo.toml");
  return match[1];
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Resolves once something accepts TCP connections on `port`, or rejects when `child` exits. */
function waitForPort(port, child, limitMs) {
  return new Promise((resolve, reject) => {
    const deadline = Date.now() + limitMs;
    const onExit = (code) => reject(new Error(`tauri-driver exited early with ${code}`));
    child.once("exit", onExit);
    const attempt = () => {
      const socket = connect(port, "127.0.0.1");
      socket.once("connect", () => {
        socket.destroy();
        child.off("exit", onExit);
        resolve();
      });
      socket.once("error", () => {
        socket.destroy();
        if (Date.now() > deadline) {
          child.off("exit", onExit);
          reject(new Error(`tauri-driver did not listen on ${port} within ${limitMs} ms`));
        } else {
          setTimeout(attempt, 50);
        }
      });
    };
    attempt();
  });
}

/**
 * A profile of its own for an app: a data directory (the store, WebKit's
 * local storage with the chosen language) and a keychain profile name
 * (`AMTSBOTE_PROFILE`, honoured by dev-login builds). One e2e run shares a
 * keychain, and a test file must not find a session or a language that an
 * earlier one, failed half-way, left behind.
 */
export function newProfile() {
  const dataHome = mkdtempSync(join(tmpdir(), "amtsbote-e2e-data-"));
  return { name: `e2e-${basename(dataHome).slice("amtsbote-e2e-data-".length)}`, dataHome };
}

/**
 * Starts tauri-driver and the app; returns `{ browser, stop }`. `env` adds
 * environment variables for the app (tauri-driver and WebKitWebDriver pass
 * their environment on to it), e.g. test-only file dialog injections.
 * Each app has a new profile (`newProfile`) unless `profile` names one to
 * start again with (the caller then removes its directory).
 */
export async function startApp({ env = {}, profile } = {}) {
  const application = process.env.AMTSBOTE_BINARY;
  if (!application) throw new Error("AMTSBOTE_BINARY must name the app binary to test");
  mkdirSync(artifactsDir, { recursive: true });
  const own = profile === undefined;
  const { name, dataHome } = profile ?? newProfile();
  env = { ...env, XDG_DATA_HOME: dataHome, AMTSBOTE_PROFILE: name };

  const port = await freePort();
  const nativePort = await freePort();
  const driver = spawn("tauri-driver", ["--port", String(port), "--native-port", String(nativePort)], {
    stdio: ["ignore", "inherit", "inherit"],
    env: { ...process.env, ...env },
  });
  await waitForPort(port, driver, 30_000);
  // tauri-driver starts WebKitWebDriver on the native port and forwards the
  // new-session request to it at once: wait until that one listens too, or
  // a fast request finds the port closed (seen on repeated starts).
  await waitForPort(nativePort, driver, 30_000);

  let browser;
  try {
    browser = await remote({
      hostname: "127.0.0.1",
      port,
      logLevel: "warn",
      connectionRetryCount: 0,
      capabilities: {
        "tauri:options": { application },
        "wdio:enforceWebDriverClassic": true,
      },
    });
  } catch (error) {
    driver.kill();
    throw error;
  }

  const stop = async () => {
    // The app hides its window instead of closing when it has a tray, and
    // outlives tauri-driver: the next test's app would then hand over to
    // it (single instance) and never open a window. End the app too.
    const started = descendants(driver.pid);
    try {
      await browser.deleteSession();
    } finally {
      driver.kill();
      await endProcesses(started);
      if (own) rmSync(dataHome, { recursive: true, force: true });
    }
  };
  return { browser, stop };
}

/** The pids below `pid` (tauri-driver → WebKitWebDriver → the app), read from /proc. */
function descendants(pid) {
  const children = new Map();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let stat;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, "utf8");
    } catch {
      continue; // gone meanwhile
    }
    // "pid (comm) state ppid …": comm may hold spaces and parentheses.
    const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
    if (!children.has(ppid)) children.set(ppid, []);
    children.get(ppid).push(Number(entry));
  }
  const found = [];
  const queue = [pid];
  while (queue.length > 0) {
    for (const child of children.get(queue.shift()) ?? []) {
      found.push(child);
      queue.push(child);
    }
  }
  return found;
}

/** Whether `pid` still runs (a zombie no longer does). */
function running(pid) {
  if (!existsSync(`/proc/${pid}`)) return false;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}

/** Sends SIGTERM to `pids` that still run, then waits (bounded) until none does; SIGKILL after 10 s. */
async function endProcesses(pids) {
  const signal = (name) => {
    for (const pid of pids.filter(running)) {
      try {
        process.kill(pid, name);
      } catch {
        // already gone
      }
    }
  };
  signal("SIGTERM");
  const gone = () => new Promise((resolve) => setTimeout(() => resolve(!pids.some(running)), 50));
  for (let waited = 0; waited < 20_000; waited += 50) {
    if (await gone()) return;
    if (waited === 10_000) signal("SIGKILL");
  }
  throw new Error(`processes ${pids.filter(running).join(", ")} did not end`);
}
