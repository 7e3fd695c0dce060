// Starts the real Amtsbote binary in a real window through tauri-driver
// (which drives WebKitWebDriver) and hands back a WebDriver session.
import { spawn } from "node:child_process";
import { mkdirSync, readFileSync } from "node:fs";
import { createServer, connect } from "node:net";
import { dirname, join } from "node:path";
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
 * Starts tauri-driver and the app; returns `{ browser, stop }`. `env` adds
 * environment variables for the app (tauri-driver and WebKitWebDriver pass
 * their environment on to it), e.g. test-only file dialog injections.
 */
export async function startApp({ env = {} } = {}) {
  const application = process.env.AMTSBOTE_BINARY;
  if (!application) throw new Error("AMTSBOTE_BINARY must name the app binary to test");
  mkdirSync(artifactsDir, { recursive: true });

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
    try {
      await browser.deleteSession();
    } finally {
      driver.kill();
    }
  };
  return { browser, stop };
}
