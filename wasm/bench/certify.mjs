// Certification in the browser package with certification (wasm/pkg-certify), in Node:
//   node wasm/bench/certify.mjs
// Prints medians (ms) as JSON: the first assessment on a fresh engine (which builds the
// assessor: blueprint, federation, class hierarchy, the checks parsed), one assessment of de-hd
// after that, the seven example members, and, to show what building everything for size costs,
// one decision (example 1) in this package and in wasm/pkg. BENCHMARKS.md records them with
// this command. Not a test.
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..", "..");
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const time = (f) => {
  const t = performance.now();
  f();
  return performance.now() - t;
};

async function load(pkg) {
  const mod = await import(join(here, "..", pkg, "fivesafes_wasm.js"));
  mod.initSync({ module: readFileSync(join(here, "..", pkg, "fivesafes_wasm_bg.wasm")) });
  return mod;
}

const dir = join(root, "examples", "federation", "descriptions");
const members = readdirSync(dir)
  .sort()
  .map((f) => JSON.stringify([{ name: f, text: readFileSync(join(dir, f), "utf8") }]));
const deHd = members.find((m) => m.includes("de-hd"));
const day = "2026-11-01";
const request = readFileSync(join(root, "examples", "requests", "01-allow-cardio-de.json"), "utf8");

const certify = await load("pkg-certify");
const first = [], one = [], federation = [];
for (let i = 0; i < 7; i++) {
  const engine = certify.Engine.embedded();
  first.push(time(() => engine.assess(deHd, day, "json")));
  for (let j = 0; j < 5; j++) one.push(time(() => engine.assess(deHd, day, "json")));
  federation.push(time(() => members.forEach((m) => engine.assess(m, day, "json"))));
  engine.free();
}

function decision(mod) {
  const engine = mod.Engine.fromCompiled(mod.Engine.embedded().compiled());
  for (let i = 0; i < 50; i++) engine.decide(request, false);
  const batches = [];
  for (let i = 0; i < 15; i++) batches.push(time(() => { for (let j = 0; j < 20; j++) engine.decide(request, false); }) / 20);
  return median(batches);
}

const plain = await load("pkg");
console.log(
  JSON.stringify(
    {
      firstAssessment: median(first),
      assessment: median(one),
      federation: median(federation),
      decisionCertifyPackage: decision(certify),
      decisionDefaultPackage: decision(plain),
    },
    null,
    2,
  ),
);
