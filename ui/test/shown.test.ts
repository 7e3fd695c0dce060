import assert from "node:assert/strict";
import { test } from "node:test";
import { ShownData } from "../src/shown.ts";

test("the first data is a change, the same data again is not", () => {
  const shown = new ShownData();
  assert.equal(shown.changed({ state: "loaded", requests: [] }), true);
  assert.equal(shown.changed({ state: "loaded", requests: [] }), false);
});

test("data equal by value but built anew is not a change", () => {
  const shown = new ShownData();
  const read = () => ({ session: { state: "loggedIn", userId: "@c:localhost" }, requests: [{ roomId: "!a", openPrompts: 2 }] });
  shown.changed(read());
  assert.equal(shown.changed(read()), false);
});

test("a changed field anywhere inside is a change, and is then the data shown", () => {
  const shown = new ShownData();
  shown.changed({ requests: [{ roomId: "!a", openPrompts: 2 }] });
  assert.equal(shown.changed({ requests: [{ roomId: "!a", openPrompts: 3 }] }), true);
  assert.equal(shown.changed({ requests: [{ roomId: "!a", openPrompts: 3 }] }), false);
  assert.equal(shown.changed({ requests: [{ roomId: "!a", openPrompts: 2 }] }), true);
});
