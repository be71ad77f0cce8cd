// The playground in Chromium: it loads and decides the first example, a policy edit flips
// the decision, an invalid edit shows a diagnostic inline (and keeps the last decision as
// stale), a reason's policy id opens its source, a dropped bundle replaces the example
// federation. Run: cd wasm && node --test tests/playground.test.mjs
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdir, readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { serve } from "../serve.mjs";

const wasmDir = join(dirname(fileURLToPath(import.meta.url)), "..");
const repo = join(wasmDir, "..");
const screenshot = join(wasmDir, "test-results", "playground.png");

const LOCAL = "policies/members/de-hd.cedar";
const POLICY_ID = "de-hd.playground-test";
const MESSAGE = "playground test: nobody may analyse data held here";
// A local forbid on Safe People, annotated as the member files annotate theirs.
const FORBID = `
@id("${POLICY_ID}")
@safe("people")
@requirement("ORG.PEO.1")
@dimension("organisational")
@outcome("deny")
@evidence("researcher.location")
@message("${MESSAGE}")
@member("de-hd")
forbid (principal, action, resource);
`;

let server;
let url;
let browser;
let page;
const problems = [];

before(async () => {
  ({ server, url } = await serve(0));
  browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
  page.on("console", (m) => { if (m.type() === "error") problems.push(`console: ${m.text()}`); });
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
});

after(async () => {
  await browser?.close();
  await new Promise((resolve) => server?.close(resolve));
});

/** Wait until the element with this data-testid has exactly this text. */
function waitForText(testid, text) {
  return page.waitForFunction(([id, want]) =>
    document.querySelector(`[data-testid="${id}"]`)?.textContent.trim() === want, [testid, text]);
}

/** Wait until the element with this data-testid contains every one of these strings. */
function waitForContains(testid, ...parts) {
  return page.waitForFunction(([id, want]) => {
    const text = document.querySelector(`[data-testid="${id}"]`)?.textContent ?? "";
    return want.every((p) => text.includes(p));
  }, [testid, parts]);
}

/** The selected text of the source editor. */
const selection = () => page.$eval("#source-editor", (t) => t.value.slice(t.selectionStart, t.selectionEnd));

test("the playground decides, explains and validates as you edit", async (t) => {
  let original;

  await t.test("loads and allows the first example", async () => {
    await page.goto(`${url}/playground/`);
    await page.evaluate(() => window.playground.ready);
    assert.equal(await page.inputValue("#example-select"), "01-allow-cardio-de.json");
    await waitForText("overall", "allow");
    assert.equal((await page.getByTestId("cell-de-hd-people").textContent()).trim(), "allow");
    assert.equal((await page.getByTestId("cell-de-hd-overall").textContent()).trim(), "allow");
    const files = await page.$$eval("#file-select option", (os) => os.map((o) => o.value));
    for (const f of ["policies/people.cedar", "policies/schema.cedarschema", "vocab/diseases.ttl",
      "examples/federation/federation.ttl", LOCAL]) {
      assert.ok(files.includes(f), `${f} is in the file picker`);
    }
  });

  await t.test("a local forbid flips the decision to deny, with the reason", async () => {
    await page.selectOption("#file-select", LOCAL);
    original = await page.inputValue("#source-editor");
    assert.match(original, /@id\("de-hd\.researcher-in-eu"\)/);
    await page.fill("#source-editor", original + FORBID);
    await waitForText("overall", "deny");
    await waitForText("cell-de-hd-people", "deny");
    assert.equal((await page.getByTestId("cell-de-hd-data").textContent()).trim(), "allow");
    await waitForContains("reasons", POLICY_ID, MESSAGE, "ORG.PEO.1");
  });

  await t.test("a deny is explained: the policy has no conditions, so its scope decides", async () => {
    await waitForContains(`explained-de-hd-${POLICY_ID}`, "its scope alone decides");
  });

  await t.test("clicking a reason's policy id opens its file at that line", async () => {
    await page.selectOption("#file-select", "policies/people.cedar");
    await page.getByTestId("reasons").getByRole("button", { name: POLICY_ID }).click();
    assert.equal(await page.inputValue("#file-select"), LOCAL);
    assert.equal(await selection(), `@id("${POLICY_ID}")`);
  });

  await t.test("invalid Cedar shows a diagnostic inline and keeps the last decision, stale", async () => {
    const broken = `${original}${FORBID}\nforbid (principal, action resource);\n`;
    const line = broken.split("\n").findIndex((l) => l.includes("action resource")) + 1;
    await page.fill("#source-editor", broken);
    await waitForContains("diagnostics", `${LOCAL}:${line}`, `line ${line}`);
    await page.locator(`#source-gutter .mark`, { hasText: String(line) }).waitFor();
    assert.ok(await page.$eval(".panel.decision", (p) => p.classList.contains("stale")));
    assert.equal((await page.getByTestId("overall").textContent()).trim(), "deny");
    // The diagnostic's location selects the offending line.
    await page.getByTestId("diagnostics").getByRole("button", { name: new RegExp(`^${LOCAL}:${line}`) }).click();
    assert.equal(await selection(), "forbid (principal, action resource);");
  });

  await t.test("restoring the file allows again", async () => {
    await page.fill("#source-editor", original);
    await waitForText("overall", "allow");
    await waitForContains("diagnostics", "The bundle validates");
    assert.equal(await page.$eval(".panel.decision", (p) => p.classList.contains("stale")), false);
    assert.equal((await page.getByTestId("cell-de-hd-people").textContent()).trim(), "allow");
  });

  await t.test("a dropped bundle replaces the example federation", async () => {
    const read = (p) => readFile(join(repo, p));
    const members = ["ch-zrh", "es-bcn", "fi-fin", "gb-sail", "nl-odi", "no-osl"];
    const files = [
      { name: "federation.ttl", mimeType: "text/turtle", buffer: await read("examples/federation/federation.ttl") },
      { name: "vocab-diseases.ttl", mimeType: "text/turtle", buffer: await read("vocab/diseases.ttl") },
      ...await Promise.all(members.map(async (m) =>
        ({ name: `${m}.cedar`, mimeType: "text/plain", buffer: await read(`policies/members/${m}.cedar`) }))),
      { name: "de-hd.cedar", mimeType: "text/plain", buffer: Buffer.from(original + FORBID) },
      ...await Promise.all(["federation-aai", "kaleva-permits"].map(async (k) => ({
        name: `${k}.jwks.json`, mimeType: "application/json", buffer: await read(`examples/federation/keys/${k}.jwks.json`),
      }))),
    ];
    await page.setInputFiles("#bundle-input", files);
    await waitForText("overall", "deny");
    await waitForContains("reasons", POLICY_ID);
    const picked = await page.$$eval("#file-select option", (os) => os.map((o) => o.value));
    assert.ok(picked.includes("federation/federation.ttl"));
    assert.ok(picked.includes("vocab/vocab-diseases.ttl"));
    assert.ok(picked.includes("keys/federation-aai.jwks.json"), "the visa issuers' keys are part of the bundle");
    assert.ok(picked.includes("policies/people.cedar"), "the baseline stays");
    assert.ok(!picked.includes("examples/federation/federation.ttl"), "the example federation is gone");
    assert.ok(!picked.includes("vocab/diseases.ttl"), "the example vocabulary is gone");

    await page.click("#reset-sources");
    await waitForText("overall", "allow");
  });

  await t.test("an example denied on ethics shows the deciding condition and a checked remedy", async () => {
    await page.selectOption("#example-select", "02-deny-nl-ethics-always.json");
    await waitForText("overall", "deny");
    const id = "explained-nl-odi-nl-odi.ethics-always";
    await waitForContains(id, "when { context.project.ethicsUntil < context.today }", "2026-11-22",
      "an ethics approval valid on 2026-11-22 satisfies ORG.PRJ.2: projects at nl-odi becomes allow");
    await page.getByTestId(id).locator("summary").click();
    await mkdir(dirname(screenshot), { recursive: true });
    await page.screenshot({ path: screenshot.replace(/\.png$/, "-explained.png"), fullPage: true });
    await page.selectOption("#example-select", "01-allow-cardio-de.json");
    await waitForText("overall", "allow");
  });

  await t.test("screenshot", async () => {
    await mkdir(dirname(screenshot), { recursive: true });
    await page.screenshot({ path: screenshot, fullPage: true });
  });

  assert.deepEqual(problems, [], "no console errors or page errors");
});
