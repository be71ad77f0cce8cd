// Type-checked (not run) by wasm/build.sh: the generated types describe what the package
// returns, and a program written against them compiles.
import init, { Engine, validate } from "../pkg/fivesafes_wasm.js";
import type { Decision, DecisionRequest, MemberDecision } from "../pkg/types/index";

export async function runsAt(request: DecisionRequest): Promise<string[]> {
  await init();
  const engine = Engine.embedded();
  const decision: Decision = JSON.parse(engine.decide(JSON.stringify(request), true));
  const allowed: MemberDecision[] = decision.members.filter((m) => m.outcome === "allow");
  return allowed.map((m) => m.member);
}

export function isValid(sources: string): boolean {
  const result: { valid: boolean } = JSON.parse(validate(sources));
  return result.valid;
}
