// The policy authors' tools in the browser package give what the CLI gives, byte for byte:
// `explain` on every example request, `validate`, and `test` on the repository's test suites.
// Needs the CLI (FIVESAFES_BIN, default target/debug/fivesafes) and wasm/pkg.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { initSync, Engine, embeddedSources, validateReport } from "../pkg/fivesafes_wasm.js";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..", "..");
const cli = resolve(process.env.FIVESAFES_BIN ?? join(root, "target", "debug", "fivesafes"));
initSync({ module: readFileSync(join(here, "..", "pkg", "fivesafes_wasm_bg.wasm")) });
const engine = Engine.embedded();

function run(args, codes) {
  const r = spawnSync(cli, args, { encoding: "utf8", maxBuffer: 64 << 20 });
  if (r.error) throw r.error;
  assert.ok(codes.includes(r.status), `${args.join(" ")}: exit ${r.status}\n${r.stderr}`);
  return r;
}

test("explain gives the CLI's explanation for every example", () => {
  const dir = join(root, "examples", "requests");
  const files = readdirSync(dir).filter((f) => f.endsWith(".json") && !f.endsWith(".expect.json")).sort();
  let explained = 0;
  for (const name of files) {
    const text = readFileSync(join(dir, name), "utf8");
    for (const allMembers of [false, true]) {
      const args = ["explain", join(dir, name), "--format", "json", ...(allMembers ? ["--all-members"] : [])];
      const r = run(args, [0, 3, 10, 11]);
      if (r.status === 3) {
        assert.throws(() => engine.explain(text, allMembers), `${name}: an invalid request throws`);
        continue;
      }
      assert.equal(`${engine.explain(text, allMembers)}\n`, r.stdout, `${name} ${allMembers}`);
      explained += 1;
    }
  }
  assert.ok(explained >= 50, `${explained} explanations compared`);
});

test("validateReport gives the CLI's report", () => {
  const r = run(["validate", "--format", "json"], [0]);
  assert.deepEqual(JSON.parse(validateReport(embeddedSources())), JSON.parse(r.stdout));
  const broken = JSON.parse(embeddedSources()).map((f) =>
    f.name === "policies/people.cedar" ? { ...f, text: f.text.replace("principal.identityVerified", "principal.identityChecked") } : f,
  );
  const report = JSON.parse(validateReport(JSON.stringify(broken)));
  assert.equal(report.valid, false);
  assert.equal(report.diagnostics[0].file, "policies/people.cedar");
  assert.equal(report.diagnostics[0].line, 20);
});

/** The files `fivesafes test DIR` runs, in its order (directories searched in name order). */
function suiteFiles(dir) {
  return readdirSync(join(root, dir))
    .sort()
    .flatMap((name) => {
      const path = `${dir}/${name}`;
      if (statSync(join(root, path)).isDirectory()) return suiteFiles(path);
      return /\.(ya?ml|json)$/i.test(name) ? [{ name: path, text: readFileSync(join(root, path), "utf8") }] : [];
    });
}

test("test gives the CLI's report on the repository's suites, and a failing case fails", () => {
  const files = suiteFiles("tests/suites");
  const r = spawnSync(cli, ["test", "tests/suites", "--format", "json", "--coverage"], {
    cwd: root,
    encoding: "utf8",
    maxBuffer: 64 << 20,
  });
  assert.equal(r.status, 0, r.stderr);
  const report = engine.test(JSON.stringify(files), true, undefined);
  assert.equal(`${report}\n`, r.stdout);
  const parsed = JSON.parse(report);
  assert.ok(parsed.passed >= 100 && parsed.failed === 0, `${parsed.passed} passed`);
  assert.ok(parsed.suites.some((s) => s.format === "cedar"), "the Cedar run-tests file ran");

  const people = files.find((f) => f.name === "tests/suites/people.yaml");
  const failing = { name: "people.yaml", text: people.text.replace("decision: allow", "decision: deny") };
  const failed = JSON.parse(engine.test(JSON.stringify([failing]), false, undefined));
  assert.equal(failed.failed, 1);
  assert.equal(failed.coverage, undefined, "coverage is measured only when asked for");
  const short = JSON.parse(engine.test(JSON.stringify([people]), false, 100));
  assert.equal(short.coverageMet, false, "one suite does not fire every policy");
  assert.throws(
    () => engine.test(JSON.stringify([{ name: "bad.yaml", text: "cases:\n  - name: c\n    expect: {decision: perhaps}\n" }]), false),
    /bad\.yaml.*line 3/s,
  );
});
