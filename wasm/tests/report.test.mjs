// The certification HTML report in Chromium: `fivesafes assess --format html` writes a
// self-contained page (engine/certify/src/html.rs) whose heatmap renders in colour, whose
// overall level and requirement outcomes match the assessment, and which loads nothing but
// itself; the federation summary lists every member; the exit codes say certified or not.
// Run: cd wasm && FIVESAFES_BIN=../target/debug/fivesafes node --test tests/report.test.mjs
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { chromium } from "playwright-core";

const wasmDir = join(dirname(fileURLToPath(import.meta.url)), "..");
const repo = join(wasmDir, "..");
const results = join(wasmDir, "test-results");
const DATE = "2026-11-22";
const NL_ODI = "examples/federation/descriptions/nl-odi.ttl";
const CH_ZRH = "examples/federation/descriptions/ch-zrh.jsonld";

/** The fivesafes binary, from FIVESAFES_BIN (relative to wasm/, as .ci/test-all.sh sets it). */
function binary() {
  const given = process.env.FIVESAFES_BIN;
  if (!given) {
    throw new Error("FIVESAFES_BIN is not set: run with FIVESAFES_BIN=../target/debug/fivesafes "
      + "(build it with `cargo build -p fivesafes-cli`)");
  }
  const bin = resolve(wasmDir, given);
  if (!existsSync(bin)) {
    throw new Error(`FIVESAFES_BIN=${given} resolves to ${bin}, which does not exist `
      + "(build it with `cargo build -p fivesafes-cli`)");
  }
  return bin;
}

/** Run `fivesafes assess ARGS` from the repository root; its exit status (non-zero does not throw). */
function assess(...args) {
  try {
    execFileSync(binary(), ["assess", ...args], { cwd: repo, stdio: ["ignore", "pipe", "pipe"] });
    return 0;
  } catch (e) {
    if (typeof e.status !== "number") throw e;
    return e.status;
  }
}

/** Write the HTML report of these assess arguments to test-results/NAME.html; its path and exit status. */
function htmlReport(name, ...args) {
  const out = join(results, `${name}.html`);
  const status = assess(...args, "--date", DATE, "--format", "html", "--out", out);
  assert.ok(existsSync(out), `fivesafes assess ${args.join(" ")} wrote ${out} (exit ${status})`);
  return { out, status };
}

let browser;
let page;
const problems = [];
const requests = [];

before(async () => {
  binary();
  await mkdir(results, { recursive: true });
  browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
  page.on("console", (m) => { if (m.type() === "error") problems.push(`console: ${m.text()}`); });
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  page.on("request", (r) => requests.push(r.url()));
});

after(async () => {
  await browser?.close();
});

/** Open a report file; assert it made no request but for itself. */
async function open(file) {
  const url = pathToFileURL(file).href;
  requests.length = 0;
  await page.goto(url, { waitUntil: "load" });
  assert.deepEqual(requests, [url], "the report loads nothing but itself");
}

/** The trimmed text of the first element matching this selector. */
const text = (selector) => page.$eval(selector, (e) => e.textContent.trim());

test("the certification report renders its heatmap and outcomes", async (t) => {
  await t.test("exit codes: nl-odi certifies at baseline (0), ch-zrh fails a mandatory requirement (10)", () => {
    assert.equal(assess(NL_ODI, "--date", DATE, "--format", "json"), 0);
    assert.equal(assess(CH_ZRH, "--date", DATE, "--format", "json"), 10);
  });

  await t.test("nl-odi: baseline, with a coloured heatmap of 20 cells", async () => {
    const { out, status } = htmlReport("report-nl-odi", NL_ODI);
    assert.equal(status, 0, "baseline certifies");
    await open(out);
    assert.match(await page.title(), /nl-odi|Blueprint conformance/);
    assert.equal(await text("#overall"), "baseline");
    assert.ok(await page.$eval("#overall", (e) => e.classList.contains("baseline")));

    const cells = page.locator("#heatmap td[data-dimension][data-safe]");
    assert.equal(await cells.count(), 20, "4 dimensions x 5 Safes");
    const levels = await cells.evaluateAll((tds) => tds.map((td) => td.className));
    for (const l of levels) assert.ok(["full", "baseline", "undetermined", "notMet"].includes(l), `level ${l}`);

    const settings = page.locator('#heatmap td[data-dimension="technical"][data-safe="settings"]');
    assert.equal(await settings.getAttribute("class"), "baseline");
    assert.equal((await settings.textContent()).trim(), "baseline");
    const background = (locator) => locator.evaluate((e) => getComputedStyle(e).backgroundColor);
    const baselineBg = await background(settings);
    const fullBg = await background(page.locator("#heatmap td.full[data-dimension]").first());
    const transparent = ["rgba(0, 0, 0, 0)", "transparent"];
    assert.ok(!transparent.includes(baselineBg), `the baseline cell is coloured (${baselineBg})`);
    assert.ok(!transparent.includes(fullBg), `a full cell is coloured (${fullBg})`);
    assert.notEqual(baselineBg, fullBg, "baseline and full cells have different colours");

    for (let i = 0; i < 20; i++) {
      const cell = cells.nth(i);
      assert.ok(await cell.isVisible(), `heatmap cell ${i} is visible`);
      const box = await cell.boundingBox();
      assert.ok(box && box.width > 0 && box.height > 0, `heatmap cell ${i} has a size`);
    }

    assert.equal(await text('#requirements tr[id="TEC.SET.5"] td:nth-child(2)'), "failed");
    assert.ok(await page.$eval('#requirements tr[id="TEC.SET.5"] td:nth-child(2)',
      (e) => e.classList.contains("failed")));

    await page.screenshot({ path: join(results, "report-nl-odi.png"), fullPage: true });
  });

  await t.test("ch-zrh (JSON-LD): not met, its data protection officer has no contact point", async () => {
    const { out, status } = htmlReport("report-ch-zrh", CH_ZRH);
    assert.equal(status, 10, "a mandatory requirement failed");
    await open(out);
    assert.equal(await text("#overall"), "not met");
    assert.ok(await page.$eval("#overall", (e) => e.classList.contains("notMet")));
    const row = '#requirements tr[id="LEG.SET.2"]';
    assert.equal(await text(`${row} td:nth-child(2)`), "failed");
    assert.ok(await page.$eval(`${row} td:nth-child(2)`, (e) => e.classList.contains("failed")));
    assert.match(await text(row), /contact point/);
  });

  await t.test("the federation summary lists every member", async () => {
    const { out } = htmlReport("report-federation", "--federation");
    await open(out);
    const members = await page.$$eval("#members tr", (trs) => trs.slice(1).map((tr) =>
      [...tr.querySelectorAll("td")].map((td) => td.textContent.trim())));
    assert.equal(members.length, 7, "7 member rows");
    const de = members.find((cells) => cells[0] === "de-hd");
    assert.ok(de, "de-hd has a row");
    assert.equal(de[1], "full");
  });

  assert.deepEqual(problems, [], "no console errors or page errors");
});
