// Benchmark of the real app (not a test: it prints numbers, asserts none):
//
// 1. the eID login with the virtual card, from the click on "Anmelden" to
//    the overview (the whole walk: service certificate, PIN, PACE, TA/CA/RI
//    relayed through the app, Synapse's OIDC callback, Matrix login,
//    cross-signing bootstrap);
// 2. the start of the logged-in app with N request rooms, from the app's
//    process start to the overview showing all N requests (the session
//    restored from the keychain, the list from the store and the first
//    sync), N runs;
// 3. the resident memory of the app process and of WebKit's web and
//    network processes once the overview is shown.
//
// Usage (from the repository, after `cargo build --workspace --all-features --bins`):
//   scripts/with-keychain.sh xvfb-run -a node tests/e2e/bench/app-start.mjs [--requests 100] [--runs 5]
// AMTSBOTE_BINARY names the app binary (default: the debug build of the
// target directory). Results go to stdout as a table and one JSON line;
// docs/benchmarks.md records them.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { newProfile, startApp } from "../support/app.js";
import { shown } from "../support/dom.js";
import { logIn } from "../support/login.js";
import { runAuthority, startStack, workspaceBinary } from "../support/processes.js";

const { values: options } = parseArgs({
  options: {
    requests: { type: "string", default: "100" },
    runs: { type: "string", default: "5" },
  },
});
const requests = Number(options.requests);
const runs = Number(options.runs);
process.env.AMTSBOTE_BINARY ??= workspaceBinary("amtsbote");

const scratch = mkdtempSync(join(tmpdir(), "amtsbote-bench-"));
// The app's data directory (store, settings) lives under XDG_DATA_HOME: a
// fresh one, so earlier runs or a developer's own session do not count.
const appEnv = { XDG_DATA_HOME: join(scratch, "data"), XDG_CONFIG_HOME: join(scratch, "config") };

/** Clock ticks per second of /proc's process times. */
const ticksPerSecond = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim());
const bootTimeMs = Number(readFileSync("/proc/stat", "utf8").match(/^btime (\d+)$/m)[1]) * 1000;

/** Pids whose command line's first word is `path`, newest last. */
function pidsOf(predicate) {
  const pids = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const argv = readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0");
      if (predicate(argv)) pids.push(Number(entry));
    } catch {
      // The process ended while we looked.
    }
  }
  return pids;
}

/** When process `pid` started, in epoch milliseconds (clock-tick resolution). */
function startedAtMs(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // Field 22 (starttime), counted after the parenthesised command name.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return bootTimeMs + (Number(fields[19]) * 1000) / ticksPerSecond;
}

/** VmRSS, VmHWM, RssAnon and RssFile of `pid` in MiB. */
function memoryOf(pid) {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kib = (name) => Number(status.match(new RegExp(`^${name}:\\s+(\\d+) kB$`, "m"))?.[1] ?? 0);
  // RssFile is mostly the mapped executable (a debug build's is large);
  // RssAnon is the heap and stacks: what the app itself allocated.
  return { rss: kib("VmRSS") / 1024, hwm: kib("VmHWM") / 1024, anon: kib("RssAnon") / 1024, file: kib("RssFile") / 1024 };
}

/** The app's process and WebKit's helper processes (children of the app). */
function appProcesses() {
  const [app] = pidsOf((argv) => argv[0] === process.env.AMTSBOTE_BINARY);
  if (!app) throw new Error("the app process was not found");
  const children = readFileSync(`/proc/${app}/task/${app}/children`, "utf8").trim().split(/\s+/).filter(Boolean).map(Number);
  return { app, children };
}

/**
 * Resolves once no app, tauri-driver or WebKitWebDriver process is left: the
 * single-instance plugin would hand a new start to a lingering app, and a
 * lingering driver may still hold its port.
 */
async function appGone() {
  const deadline = Date.now() + 30_000;
  const ours = (argv) =>
    argv[0] === process.env.AMTSBOTE_BINARY || /(^|\/)(tauri-driver|WebKitWebDriver)$/.test(argv[0]);
  while (pidsOf(ours).length > 0) {
    if (Date.now() > deadline) throw new Error("the app did not exit");
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Resolves when the overview lists `count` requests; returns when (epoch ms) the UI marked it and the page's navigation started. */
async function overviewReady(browser, count) {
  await browser.waitUntil(async () => (await browser.$$("li.request")).length === count, {
    timeout: 300_000,
    interval: 100,
    timeoutMsg: `the overview did not list ${count} requests`,
  });
  return browser.execute((count) => {
    const mark = performance.getEntriesByName("amtsbote:requests-rendered").find((m) => m.detail?.count === count);
    return mark ? { renderedAt: performance.timeOrigin + mark.startTime, pageStartedAt: performance.timeOrigin } : null;
  }, count);
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

// One profile for the login and every restart, which restore its session.
const profile = newProfile();
const stack = await startStack(["--eid"]);
try {
  const { homeserver, authority, eid } = stack.ready;
  const env = { ...appEnv, AMTSBOTE_HOMESERVER: homeserver, AMTSBOTE_IDP: eid.identity_provider, SSL_CERT_FILE: eid.ca_file };

  // 1. The first login, with the card.
  let app = await startApp({ env, profile });
  let loginMs;
  try {
    await shown(app.browser, "#eid-start", { timeout: 60_000 });
    const began = Date.now();
    await logIn(app.browser, stack.ready);
    loginMs = Date.now() - began;
    console.error(`eID login: ${loginMs} ms`);

    // The authority opens `requests` request rooms; the running app joins them.
    const dataDir = join(scratch, "authority");
    const authorityEnv = { G2C_AUTHORITY_PASSWORD: authority.password };
    await runAuthority(["--data-dir", dataDir, "login", "--homeserver", homeserver, "--user", authority.user], authorityEnv);
    for (let i = 1; i <= requests; i += 1) {
      const file = join(scratch, `request-${i}.json`);
      writeFileSync(
        file,
        JSON.stringify({
          service_name: `Anliegen ${i}`,
          authority_name: "Bürgeramt Benchmark",
          reference_number: `BM-${String(i).padStart(4, "0")}`,
          submitted_at: "2026-11-01T09:00:00+01:00",
          description: "Ein Anliegen für die Startzeitmessung",
        }),
      );
      await runAuthority(["--data-dir", dataDir, "open-room", "--citizen", eid.user_id, "--request", file], authorityEnv);
      if (i % 10 === 0) console.error(`opened ${i} request rooms`);
    }
    await overviewReady(app.browser, requests);
  } finally {
    await app.stop();
    await appGone();
  }

  // 2. and 3. Restarts with the session from the keychain.
  const starts = [];
  const pages = [];
  const memory = [];
  for (let run = 1; run <= runs; run += 1) {
    app = await startApp({ env, profile });
    try {
      const ready = await overviewReady(app.browser, requests);
      const { app: pid, children } = appProcesses();
      if (ready === null) throw new Error("the UI did not mark the rendered request list");
      const startedAt = startedAtMs(pid);
      const startMs = ready.renderedAt - startedAt;
      const pageMs = ready.pageStartedAt - startedAt;
      const own = memoryOf(pid);
      const helpers = children.map(memoryOf);
      const total = own.rss + helpers.reduce((sum, m) => sum + m.rss, 0);
      starts.push(startMs);
      pages.push(pageMs);
      memory.push({ app: own.rss, appPeak: own.hwm, appAnon: own.anon, appFile: own.file, total });
      console.error(
        `run ${run}: overview with ${requests} requests after ${startMs.toFixed(0)} ms (web page started after ${pageMs.toFixed(0)} ms); RSS app ${own.rss.toFixed(1)} MiB ` +
          `(anon ${own.anon.toFixed(1)}, file ${own.file.toFixed(1)}), with WebKit ${total.toFixed(1)} MiB`,
      );
    } finally {
      await app.stop();
      await appGone();
    }
  }

  const result = {
    requests,
    runs,
    login_ms: loginMs,
    start_ms: { median: median(starts), min: Math.min(...starts), max: Math.max(...starts) },
    page_started_ms: { median: median(pages) },
    rss_mib: {
      app_median: median(memory.map((m) => m.app)),
      app_peak_max: Math.max(...memory.map((m) => m.appPeak)),
      app_anon_median: median(memory.map((m) => m.appAnon)),
      app_file_median: median(memory.map((m) => m.appFile)),
      with_webkit_median: median(memory.map((m) => m.total)),
    },
  };
  console.log(`| measure | value |
|---|---|
| eID login, click to overview | ${loginMs} ms |
| start to overview with ${requests} requests (median of ${runs}; min–max) | ${result.start_ms.median.toFixed(0)} ms (${result.start_ms.min.toFixed(0)}–${result.start_ms.max.toFixed(0)}) |
| of it: process start to the web page's navigation start (median) | ${result.page_started_ms.median.toFixed(0)} ms |
| RSS of the app process (median; peak) | ${result.rss_mib.app_median.toFixed(1)} MiB (${result.rss_mib.app_peak_max.toFixed(1)}) |
| of it anonymous (heap, stacks) / file-backed (median) | ${result.rss_mib.app_anon_median.toFixed(1)} / ${result.rss_mib.app_file_median.toFixed(1)} MiB |
| RSS of app + WebKit web/network processes (median) | ${result.rss_mib.with_webkit_median.toFixed(1)} MiB |`);
  console.log(JSON.stringify(result));
} finally {
  await stack.stop();
  rmSync(scratch, { recursive: true, force: true });
  rmSync(profile.dataHome, { recursive: true, force: true });
}
