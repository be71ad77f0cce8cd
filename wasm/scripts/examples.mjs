// The example requests (examples/requests/*.json) as one file the playground loads:
// wasm/playground/examples.json, [{name, text}], sorted by name.
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const dir = join(here, "..", "..", "examples", "requests");
const examples = readdirSync(dir)
  .filter((f) => f.endsWith(".json") && !f.endsWith(".expect.json"))
  .sort()
  .map((name) => ({ name, text: readFileSync(join(dir, name), "utf8") }));
writeFileSync(join(here, "..", "playground", "examples.json"), JSON.stringify(examples));
console.log(`${examples.length} example requests written for the playground`);
