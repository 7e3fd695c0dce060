// Accessibility check of the screen the app shows right now with axe-core
// (WCAG 2.0/2.1 levels A and AA). The library is injected through WebDriver
// (which the window's CSP does not govern) and runs in the page.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const axeSource = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");

const TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"];

/** Runs axe on the whole document; returns the violations, compactly. */
export async function axeViolations(browser) {
  await browser.setTimeout({ script: 60_000 });
  const result = await browser.executeAsync(
    `${axeSource}
;(function (done) {
  window.axe
    .run(document, { runOnly: { type: "tag", values: ${JSON.stringify(TAGS)} }, resultTypes: ["violations"] })
    .then(function (results) {
      done(JSON.stringify(results.violations.map(function (violation) {
        return {
          id: violation.id,
          impact: violation.impact,
          help: violation.help,
          nodes: violation.nodes.map(function (node) { return { target: node.target, summary: node.failureSummary }; }),
        };
      })));
    })
    .catch(function (error) { done(JSON.stringify({ error: String(error) })); });
})(arguments[arguments.length - 1]);`,
  );
  const parsed = JSON.parse(result);
  if (!Array.isArray(parsed)) throw new Error(`axe failed: ${parsed.error}`);
  return parsed;
}

/** Fails with axe's findings if the current screen has any WCAG 2.1 AA violation. */
export async function assertAccessible(browser, screen) {
  const violations = await axeViolations(browser);
  assert.deepEqual(violations, [], `${screen}: accessibility violations:\n${JSON.stringify(violations, null, 2)}`);
}
