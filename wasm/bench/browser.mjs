// Load times and decision latency of the browser package, in headless Chromium and in Node:
//   node wasm/bench/browser.mjs
// Prints medians (ms) as JSON (decisions: per decision, timed in batches of 20); BENCHMARKS.md records them with this command. Not a test.
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { serve } from "../serve.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..", "..");
const request = readFileSync(join(root, "examples", "requests", "01-allow-cardio-de.json"), "utf8");
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

// Runs in the page and in Node alike: `mod` is the package, initialised.
function measure(mod, request, rounds) {
  const time = (f) => {
    const t = performance.now();
    f();
    return performance.now() - t;
  };
  const med = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const compiled = mod.Engine.embedded().compiled();
  const fromSources = [], fromCompiled = [], one = [], all = [];
  for (let i = 0; i < 15; i++) {
    fromSources.push(time(() => mod.Engine.embedded().free()));
    fromCompiled.push(time(() => mod.Engine.fromCompiled(compiled).free()));
  }
  const engine = mod.Engine.fromCompiled(compiled);
  // Decisions are timed in batches of 20 (browsers coarsen performance.now() to 0.1 ms).
  for (let i = 0; i < rounds; i++) {
    one.push(time(() => { for (let j = 0; j < 20; j++) engine.decide(request, false); }) / 20);
    all.push(time(() => { for (let j = 0; j < 20; j++) engine.decide(request, true); }) / 20);
  }
  return {
    loadFromSourcesMs: med(fromSources),
    loadFromCompiledMs: med(fromCompiled),
    decideExample1Ms: med(one),
    decideExample7AllMembersMs: med(all),
  };
}

const results = {};

// Chromium: five fresh page loads for the module's compile + instantiate; one for the rest.
const { server, url } = await serve(0);
const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
try {
  const inits = [];
  let page;
  for (let i = 0; i < 5; i++) {
    const context = await browser.newContext();
    page = await context.newPage();
    await page.goto(`${url}/bench/page.html`);
    await page.waitForFunction(() => window.bench);
    inits.push(await page.evaluate(() => window.bench.init));
    if (i < 4) await context.close();
  }
  const measured = await page.evaluate(
    ([fn, request]) => new Function(`return (${fn})`)()(window.bench.mod, request, 30),
    [measure.toString(), request],
  );
  results.chromium = { initMs: median(inits), ...measured };
} finally {
  await browser.close();
  server.close();
}

// Node.
const t0 = performance.now();
const mod = await import("../pkg/fivesafes_wasm.js");
mod.initSync({ module: readFileSync(join(here, "..", "pkg", "fivesafes_wasm_bg.wasm")) });
results.node = { initMs: performance.now() - t0, ...measure(mod, request, 30) };

console.log(JSON.stringify(results, null, 2));
