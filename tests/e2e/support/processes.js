// Child processes the journey needs besides the app: `g2c-stack` (Synapse
// with an authority and a citizen account) and `g2c-authority` (the
// authority's side), both from the Cargo target directory the tests built.
// Their stdout is JSON lines; `JsonLines` hands them out as they arrive.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { repoRoot } from "./app.js";

/** A binary of this workspace in the target directory the tests use. */
export function workspaceBinary(name) {
  const targetDir = process.env.CARGO_TARGET_DIR ?? join(repoRoot, "target");
  const path = join(targetDir, "debug", name);
  if (!existsSync(path)) throw new Error(`${path} does not exist: build it with \`cargo build -p <crate> --bin ${name}\``);
  return path;
}

/** JSON lines from a child's stdout, consumed in order by `next(predicate)`. */
export class JsonLines {
  #lines = [];
  #waiters = [];
  #ended = false;
  #exit = null;

  constructor(child, name) {
    this.name = name;
    createInterface({ input: child.stdout }).on("line", (line) => {
      let value;
      try {
        value = JSON.parse(line);
      } catch {
        process.stderr.write(`[${name}] non-JSON stdout: ${line}\n`);
        return;
      }
      this.#lines.push(value);
      this.#wake();
    });
    child.on("exit", (code, signal) => {
      this.#ended = true;
      this.#exit = { code, signal };
      this.#wake();
    });
  }

  /** Every line seen so far. */
  get all() {
    return [...this.#lines];
  }

  get exit() {
    return this.#exit;
  }

  #wake() {
    for (const waiter of [...this.#waiters]) waiter();
  }

  /** The first line (seen before or arriving later) that `predicate` accepts; fails after `timeoutMs` or when the child exits without it. */
  next(predicate, description, timeoutMs = 120_000) {
    return new Promise((resolve, reject) => {
      const check = () => {
        const found = this.#lines.find(predicate);
        if (found !== undefined) {
          done();
          resolve(found);
        } else if (this.#ended) {
          done();
          reject(new Error(`${this.name} exited (${JSON.stringify(this.#exit)}) without ${description}; lines: ${JSON.stringify(this.#lines)}`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`no ${description} from ${this.name} within ${timeoutMs} ms; lines: ${JSON.stringify(this.#lines)}`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        this.#waiters = this.#waiters.filter((waiter) => waiter !== check);
      };
      this.#waiters.push(check);
      check();
    });
  }
}

/**
 * Starts `g2c-stack ARGS` (e.g. `["--eid"]`: also the virtual card and the eID
 * login service); resolves with `{ ready, stop, lines }` once it printed its
 * ready line (`lines`: its stdout, e.g. the authority's lines with `--scenario`).
 */
export async function startStack(args = []) {
  const child = spawn(workspaceBinary("g2c-stack"), args, { stdio: ["pipe", "pipe", "inherit"] });
  const lines = new JsonLines(child, "g2c-stack");
  const stop = () =>
    new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once("exit", () => resolve());
      // Closing stdin is the stack's signal to shut down cleanly.
      child.stdin.end();
    });
  try {
    const ready = await lines.next((line) => line.event === "ready", "the ready line", 180_000);
    return { ready, stop, lines };
  } catch (error) {
    child.kill();
    throw error;
  }
}

/** Runs `g2c-authority ARGS` to its end; resolves with its JSON lines. */
export function runAuthority(args, env = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(workspaceBinary("g2c-authority"), args, {
      stdio: ["ignore", "pipe", "inherit"],
      env: { ...process.env, ...env },
    });
    const lines = new JsonLines(child, `g2c-authority ${args[0]}`);
    child.once("error", reject);
    child.once("exit", (code) => {
      if (code === 0) resolve(lines.all);
      else reject(new Error(`g2c-authority ${args.join(" ")} exited with ${code}`));
    });
  });
}

/** Starts `g2c-authority ARGS` in the background; returns `{ lines, child }`. */
export function spawnAuthority(args, env = {}) {
  const child = spawn(workspaceBinary("g2c-authority"), args, {
    stdio: ["ignore", "pipe", "inherit"],
    env: { ...process.env, ...env },
  });
  return { child, lines: new JsonLines(child, `g2c-authority ${args[0]}`) };
}
