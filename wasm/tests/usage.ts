// Type-checked (not run) by wasm/build.sh: the generated types describe what the package
// returns, and a program written against them compiles.
import init, { Engine, validate } from "../pkg/fivesafes_wasm.js";
import type { Decision, DecisionRequest, MemberDecision } from "../pkg/types/index";
import type { TestReport } from "../pkg/types/test-report";

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

export function failedCases(engine: Engine, suiteName: string, suiteText: string): string[] {
  const report: TestReport = JSON.parse(engine.test(JSON.stringify([{ name: suiteName, text: suiteText }]), false, undefined));
  return report.suites.flatMap((s) => s.cases.filter((c) => !c.passed).map((c) => `${s.file}: ${c.name}`));
}
