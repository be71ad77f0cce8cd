// The policy authors' tools in the browser package give what the CLI gives, byte for byte:
// `explain` on every example request, and `validate`. (Test suites run in the CLI and the
// library: the package carries no YAML parser, to stay within its size budget.)
// Needs the CLI (FIVESAFES_BIN, default target/debug/fivesafes) and wasm/pkg.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { initSync, Engine, embeddedSources, validateReport } from "../pkg/fivesafes_wasm.js";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..", "..");
const cli = process.env.FIVESAFES_BIN ?? join(root, "target", "debug", "fivesafes");
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
