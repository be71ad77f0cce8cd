// Parity: one corpus (every example request, each decided for the members holding its data
// and for all members, and every request of the test suites in tests/suites as `fivesafes
// test` builds them) through the four engines a user can run, whose JSON must be identical,
// byte for byte:
//   native    `fivesafes decide --format json`
//   wasmtime  `fivesafes decide --engine wasm --artifact A --trust K` (the WASI component)
//   Node      the browser package, in this process
//   Chromium  the browser package, in headless Chromium (Debian's), driven by Playwright
// Needs the CLI (FIVESAFES_BIN, default target/debug/fivesafes), a signed artifact of the
// embedded default and its public key (FIVESAFES_ARTIFACT, FIVESAFES_TRUST; made by
// .ci/test-all.sh), and wasm/pkg (bash wasm/build.sh browser).
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { initSync, Engine } from "../pkg/fivesafes_wasm.js";
import { serve } from "../serve.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..", "..");
const cli = process.env.FIVESAFES_BIN ?? join(root, "target", "debug", "fivesafes");
const artifact = process.env.FIVESAFES_ARTIFACT ?? join(root, "target", "parity", "example.fsb");
const trust = process.env.FIVESAFES_TRUST ?? join(root, "target", "parity", "key.pub.pem");
const requestsDir = join(root, "examples", "requests");

const examples = readdirSync(requestsDir)
  .filter((f) => f.endsWith(".json") && !f.endsWith(".expect.json"))
  .sort()
  .flatMap((name) => {
    const path = join(requestsDir, name);
    const text = readFileSync(path, "utf8");
    return [false, true].map((allMembers) => ({ name, path, allMembers, text }));
  });

/** Every request of the test suites (tests/suites), as `fivesafes test` builds them. */
function suiteRequests() {
  const r = spawnSync(cli, ["test", join(root, "tests", "suites"), "--format", "json"], { encoding: "utf8", maxBuffer: 64 << 20 });
  if (r.error) throw r.error;
  assert.equal(r.status, 0, `the suites pass: ${r.stderr}`);
  const dir = join(root, "target", "parity", "suite-requests");
  mkdirSync(dir, { recursive: true });
  return JSON.parse(r.stdout).suites
    .flatMap((suite) => suite.cases.filter((c) => c.request).map((c) => ({ suite: suite.name, ...c })))
    .map((c, i) => {
      const path = join(dir, `${String(i).padStart(3, "0")}.json`);
      const text = `${JSON.stringify(c.request, null, 2)}\n`;
      writeFileSync(path, text);
      return { name: `${c.suite}: ${c.name}`, path, allMembers: c.allMembers ?? false, text };
    });
}

const cases = [...examples, ...suiteRequests()];

function run(args) {
  const r = spawnSync(cli, args, { encoding: "utf8", maxBuffer: 64 << 20 });
  if (r.error) throw r.error;
  // 0 allow, 10 deny, 11 review, 3 invalid request: each still prints a decision.
  assert.ok([0, 3, 10, 11].includes(r.status), `${args.join(" ")}: exit ${r.status}\n${r.stderr}`);
  return r.stdout;
}

test("every example and every test suite request decides identically in native, wasmtime, Node and Chromium", async () => {
  assert.ok(examples.length >= 50, `the examples are there (${examples.length} cases)`);
  assert.ok(cases.length - examples.length >= 100, `the suites' requests are there (${cases.length - examples.length})`);
  const flag = (c) => (c.allMembers ? ["--all-members"] : []);
  const file = (c) => c.path;

  const native = cases.map((c) => run(["decide", file(c), "--format", "json", ...flag(c)]));
  const wasmtime = cases.map((c) =>
    run(["decide", "--engine", "wasm", "--artifact", artifact, "--trust", trust, file(c), "--format", "json", ...flag(c)]),
  );

  initSync({ module: readFileSync(join(here, "..", "pkg", "fivesafes_wasm_bg.wasm")) });
  const engine = Engine.embedded();
  // The CLI ends its JSON with a newline; the library returns the JSON alone.
  const node = cases.map((c) => `${engine.decide(c.text, c.allMembers)}\n`);

  const { server, url } = await serve(0);
  const browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  let inChromium;
  try {
    const page = await browser.newPage();
    const errors = [];
    page.on("pageerror", (e) => errors.push(String(e)));
    page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
    await page.goto(`${url}/tests/parity.html`);
    const answers = await page.evaluate(
      (cs) => window.decideAll(cs),
      cases.map(({ text, allMembers }) => ({ text, allMembers })),
    );
    inChromium = answers.map((a) => `${a}\n`);
    assert.deepEqual(errors, [], "no errors in the page");
  } finally {
    await browser.close();
    server.close();
  }

  for (const [i, c] of cases.entries()) {
    const label = `${c.name}${c.allMembers ? " --all-members" : ""}`;
    assert.ok(native[i].startsWith("{"), `${label}: native wrote a decision`);
    assert.equal(wasmtime[i], native[i], `${label}: wasmtime differs from native`);
    assert.equal(node[i], native[i], `${label}: Node differs from native`);
    assert.equal(inChromium[i], native[i], `${label}: Chromium differs from native`);
  }
});
