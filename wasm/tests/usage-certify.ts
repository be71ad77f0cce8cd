// Type-checked (not run) by wasm/build.sh browser-certify: the certification package's
// bindings and the assessment's generated types agree.
import init, { Engine } from "../pkg-certify/fivesafes_wasm.js";
import type { Assessment } from "../pkg-certify/types/assessment";

export async function conformance(turtle: string, day: string): Promise<Assessment["overall"]> {
  await init();
  const engine = Engine.embedded();
  const assessment: Assessment = JSON.parse(engine.assess(JSON.stringify([{ name: "tre.ttl", text: turtle }]), day, "json"));
  return assessment.overall;
}
