import { describe, expect, it } from "vitest";
import { explain, explainContext, renderExplanation } from "../../compiler/explain.js";
import { explainAt, getCodeLenses } from "../../compiler/services/index.js";
import { runTests } from "../../compiler/tests.js";
import { fixture } from "../helpers/services.js";

const POLICY = `tenant payments {
  workload api = app=payments-api
  <|>allow egress from api to api.stripe.com:443
  deny egress to cidr 169.254.169.254/32
  expect api -> api.stripe.com:443 allowed
  <|>expect api -> api.stripe.com:8443 allowed
  expect api -> 169.254.169.254:80 <|>denied
}
expect default deny for tenant payments
`;

describe("code lenses on expect statements", () => {
  it("say whether each expectation holds, exactly as ztc test finds", () => {
    const f = fixture(POLICY);
    const lenses = getCodeLenses(f.doc);
    expect(lenses.map((l) => f.text.slice(l.span.start, l.span.end))).toEqual([
      "expect api -> api.stripe.com:443 allowed",
      "expect api -> api.stripe.com:8443 allowed",
      "expect api -> 169.254.169.254:80 denied",
      "expect default deny for tenant payments",
    ]);
    expect(lenses.map((l) => l.title)).toEqual([
      "✓ holds",
      "✗ fails: expected allowed, but the flow is dropped (egress: default deny, and no rule allows it; ingress: not enforced)",
      "✓ holds",
      "✓ holds (2 namespaces)",
    ]);
    const report = runTests(f.program, { invariants: false })!;
    expect(report.cases.filter((c) => !c.passed).map((c) => c.line)).toEqual([6]);
    // A click explains the flow; a default-deny expectation is not one flow.
    expect(lenses.map((l) => l.explainAt !== undefined)).toEqual([true, true, true, false]);
  });

  it("say the project must compile first", () => {
    const f = fixture(`tenant payments {\n  workload api = app=api\n  allow egress to api.nope.example:443\n}\nexpect payments/api -> api.stripe.com:443 allowed\n`);
    expect(getCodeLenses(f.doc).map((l) => l.title)).toEqual(["not evaluated: the project has 1 error"]);
  });
});

describe("explain in the editor", () => {
  it("explains a flow exactly as ztc explain does, with the deciding rules located", () => {
    const f = fixture(POLICY);
    const flow = "payments/api -> api.stripe.com:443";
    const a = explainAt(f.doc, { flow });
    const cli = explain(flow, explainContext(f.program)!);
    if (!a.ok || !cli.ok) throw new Error("not explained");
    expect(a.text).toBe(renderExplanation(cli.explanation));
    expect(a.verdict).toBe("allowed");
    const allowed = a.rules.find((r) => r.role === "allowed")!;
    expect(allowed).toMatchObject({ direction: "egress", line: 3, text: "allow egress from api to api.stripe.com:443" });
    expect(f.text.slice(allowed.location!.span.start, allowed.location!.span.end)).toBe("allow egress from api to api.stripe.com:443");
  });

  it("explains the flow of the expect statement or rule at the cursor", () => {
    const f = fixture(POLICY);
    const failing = explainAt(f.doc, { offset: f.at[1]! });
    if (!failing.ok) throw new Error(failing.error);
    expect(failing.verdict).toBe("dropped");
    expect(failing.text).toContain("flow: payments/api -> api.stripe.com 8443/tcp");
    expect(failing.fixes[0]).toMatchObject({ kind: "add-rule", rule: "allow egress from api to api.stripe.com:8443", approval: { status: "ports", ids: [] } });
    const denied = explainAt(f.doc, { offset: f.at[2]! });
    expect(denied.ok && denied.rules.map((r) => `${r.role} ${r.line}`)).toEqual(["denied 4"]);
    const rule = explainAt(f.doc, { offset: f.at[0]! });
    expect(rule.ok && rule.text.split("\n")[0]).toBe("flow: payments/api -> api.stripe.com 443/tcp");
  });

  it("says why it cannot explain", () => {
    const f = fixture(POLICY);
    expect(explainAt(f.doc, { flow: "payments/nope -> api.stripe.com:443" })).toMatchObject({ ok: false, error: expect.stringContaining("nope") });
    expect(explainAt(f.doc, { offset: f.text.indexOf("expect default") + 2 })).toMatchObject({ ok: false, error: expect.stringContaining("not one flow") });
    expect(explainAt(f.doc, { offset: 0 })).toMatchObject({ ok: false, error: expect.stringContaining("put the cursor on an expect statement or a rule") });
    const broken = fixture(`tenant payments allow egress to api.nope.example:443\n`);
    expect(explainAt(broken.doc, { flow: "payments -> api.stripe.com:443" })).toMatchObject({ ok: false, error: expect.stringContaining("does not compile (1 error)") });
  });
});
