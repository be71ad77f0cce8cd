// `fivesafes test` runs Cedar's own `run-tests` files as Cedar's CLI does: the same verdict for
// every case, passing and failing, against plain Cedar policies (--policies/--schema) and
// against the bundle's policies. Needs `cedar` (CEDAR_BIN; .ci/test-all.sh installs
// cedar-policy-cli at the version of cedar-policy in Cargo.lock) and the fivesafes CLI
// (FIVESAFES_BIN, default target/debug/fivesafes).
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const fivesafes = process.env.FIVESAFES_BIN ?? join(root, "target", "debug", "fivesafes");
const cedar = process.env.CEDAR_BIN ?? "cedar";
const at = (p) => join(root, p);

/** The bundle's policies in one file, as Cedar's CLI takes them (ids from `@id`). */
function bundlePolicies() {
  const files = ["people", "projects", "settings", "data", "outputs"].map((s) => `policies/${s}.cedar`)
    .concat(["ch-zrh", "de-hd", "es-bcn", "fi-fin", "gb-sail", "nl-odi", "no-osl"].map((m) => `policies/members/${m}.cedar`));
  const dir = mkdtempSync(join(tmpdir(), "fivesafes-cedar-"));
  const file = join(dir, "bundle.cedar");
  writeFileSync(file, files.map((f) => readFileSync(at(f), "utf8")).join("\n"));
  return file;
}

const airlock = { policies: at("tests/cedar/airlock/policies.cedar"), schema: at("tests/cedar/airlock/schema.cedarschema") };
const runs = [
  { tests: "tests/cedar/airlock/tests.json", ...airlock, own: true },
  { tests: "tests/cedar/failing/tests.json", ...airlock, own: true },
  { tests: "tests/suites/settings-hypothetical-sites.json", policies: bundlePolicies(), schema: at("policies/schema.cedarschema"), own: false },
];

function cedarVerdicts(run) {
  const r = spawnSync(cedar, ["run-tests", "--policies", run.policies, "--schema", run.schema, "--tests", at(run.tests)],
    { encoding: "utf8" });
  if (r.error) throw r.error;
  return r.stdout.split("\n").map((l) => /^\s+test (.*) \.\.\. (ok|fail|error)/.exec(l)).filter(Boolean)
    .map((m) => ({ name: m[1], passed: m[2] === "ok" }));
}

function ourVerdicts(run) {
  const args = ["test", at(run.tests), "--format", "json"];
  if (run.own) args.push("--policies", run.policies, "--schema", run.schema);
  const r = spawnSync(fivesafes, args, { encoding: "utf8" });
  if (r.error) throw r.error;
  assert.ok([0, 1].includes(r.status), `fivesafes ${args.join(" ")}: exit ${r.status}\n${r.stderr}`);
  return JSON.parse(r.stdout).suites[0].cases.map((c) => ({ name: c.name, passed: c.passed }));
}

for (const run of runs) {
  test(`${run.tests}: the same verdicts as cedar run-tests`, () => {
    const theirs = cedarVerdicts(run);
    const ours = ourVerdicts(run);
    assert.ok(theirs.length > 0, "cedar ran the cases");
    assert.deepEqual(ours, theirs);
  });
}

test("the failing corpus fails where it should", () => {
  const ours = ourVerdicts(runs[1]);
  assert.deepEqual(ours.filter((c) => c.passed).map((c) => c.name), ["a subset of the determining policies is enough"]);
});
