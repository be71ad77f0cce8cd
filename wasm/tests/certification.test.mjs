// Certification in the browser package gives what the CLI gives, byte for byte: `engine.assess`
// on every example self-description (JSON), with a SATRE sheet, as EARL (Turtle and JSON-LD) and
// as the HTML report; bad input throws, naming the file and line.
// Needs the CLI (FIVESAFES_BIN, default target/debug/fivesafes) and wasm/pkg-certify (`bash
// wasm/build.sh browser-certify`).
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { initSync, Engine } from "../pkg-certify/fivesafes_wasm.js";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..", "..");
const cli = resolve(process.env.FIVESAFES_BIN ?? join(root, "target", "debug", "fivesafes"));
initSync({ module: readFileSync(join(here, "..", "pkg-certify", "fivesafes_wasm_bg.wasm")) });
const engine = Engine.embedded();
const day = "2026-11-01";

/** `fivesafes assess` run from the repository's root, so files are named as the engine names them. */
function cliAssess(args) {
  const r = spawnSync(cli, ["assess", ...args, "--date", day], { cwd: root, encoding: "utf8", maxBuffer: 64 << 20 });
  if (r.error) throw r.error;
  assert.ok([0, 10, 11].includes(r.status), `assess ${args.join(" ")}: exit ${r.status}\n${r.stderr}`);
  return r.stdout;
}

/** The files `engine.assess` takes, read from paths relative to the repository's root. */
function files(...paths) {
  return JSON.stringify(paths.map((name) => ({ name, text: readFileSync(join(root, name), "utf8") })));
}

const descriptions = readdirSync(join(root, "examples", "federation", "descriptions"))
  .sort()
  .map((f) => `examples/federation/descriptions/${f}`);

test("assess gives the CLI's assessment for every example member", () => {
  assert.equal(descriptions.length, 7);
  const levels = new Set();
  for (const d of descriptions) {
    const ours = engine.assess(files(d), day, "json");
    assert.equal(ours, cliAssess([d, "--format", "json"]), d);
    levels.add(JSON.parse(ours).overall);
  }
  assert.ok(levels.size >= 2, `the examples reach several levels: ${[...levels]}`);
});

test("assess with a SATRE sheet, as EARL and as HTML, gives the CLI's bytes", () => {
  const d = "examples/federation/descriptions/de-hd.ttl";
  const sheet = "tests/certification/satre/v2-complete.csv";
  const withSheet = engine.assess(files(d, sheet), day, "json");
  assert.equal(withSheet, cliAssess([d, "--satre", sheet, "--format", "json"]));
  assert.notEqual(JSON.parse(withSheet).evidenceHash, JSON.parse(engine.assess(files(d), day, "json")).evidenceHash);
  for (const [ours, theirs] of [
    ["earl", "earl"],
    ["earl-jsonld", "earl-jsonld"],
    ["html", "html"],
  ]) {
    assert.equal(engine.assess(files(d), day, ours), cliAssess([d, "--format", theirs]), ours);
  }
});

test("bad input throws, naming what and where", () => {
  assert.throws(
    () => engine.assess(files("tests/certification/descriptions/malformed.ttl"), day, "json"),
    /malformed\.ttl.*line 6/s,
  );
  assert.throws(() => engine.assess(files("tests/certification/descriptions/two-tres.ttl"), day, "json"), /2 TREs/);
  assert.throws(() => engine.assess("[]", day, "json"), /no self-description/);
  assert.throws(() => engine.assess(files(descriptions[0], descriptions[1]), day, "json"), /more than one self-description/);
  assert.throws(() => engine.assess(files(descriptions[1]), "2026-13-01", "json"), /date `2026-13-01`/);
  assert.throws(() => engine.assess(files(descriptions[1]), day, "pdf"), /format `pdf`/);
  assert.throws(() => engine.assess("{", day, "json"), /not a JSON array of \{name, text\}/);
});

test("a compiled bundle cannot assess, and says why", () => {
  const compiled = Engine.fromCompiled(engine.compiled());
  assert.throws(() => compiled.assess(files(descriptions[1]), day, "json"), /source files/);
});
