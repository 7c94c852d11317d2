/**
 * `expect` statements (checked like any rule) and `ztc test` (evaluated against the compiled
 * policies), including the invariants it checks without being asked.
 */
import { describe, expect, it } from "vitest";
import { renderJunit, runTests } from "../../compiler/tests.js";
import { actualAnnotations, annotations, show } from "../helpers/annotations.js";
import { createMemoryHost } from "../../compiler/host.js";
import { createProgram, type Program } from "../../compiler/program.js";
import { DEFAULT_TENANTS, program, projectFiles, TODAY, type ProjectFiles } from "../helpers/project.js";

const PAYMENTS = "tenants/payments/policy.zt";
const POLICY = `tenant payments {
  workload api = app=payments-api
  workload worker = app=payments-worker in namespace payments-batch
  allow egress from api to api.stripe.com:443
  allow ingress to api port 8080 from tenant checkout http GET "/v1/.*"
  deny egress to cidr 169.254.169.254/32
}
`;

function tested(files: ProjectFiles, invariants = true) {
  const p = program(files);
  expect(p.emit().diagnostics.filter((d) => d.severity === "error").map((d) => d.message)).toEqual([]);
  return runTests(p, { invariants })!;
}

describe("expect statements are checked", () => {
  it("resolves endpoints, ports and requests, with the usual diagnostics", () => {
    const source = `expect payments/apii -> api.stripe.com:443 allowed
//              ^^^^ ZT2003
expect paymnts/api -> api.stripe.com:443 allowed
//     ^^^^^^^ ZT2001
expect payments/api -> *.stripe.com:443 allowed
//                     ^^^^^^^^^^^^ ZT3008
expect payments/api -> api.stripe.com:99999 allowed
//                                    ^^^^^ ZT3006
expect payments/api -> api.stripe.com:443/any allowed
//                                        ^^^ ZT3020
expect payments/api -> api.stripe.com allowed
//                     ^^^^^^^^^^^^^^ ZT3006
expect entity cluster -> payments/api:8080 denied
//            ^^^^^^^ ZT2007
expect namespace nowhere -> payments/api:8080 denied
//               ^^^^^^^ ZT2002
expect api -> api.stripe.com:443 allowed
//     ^^^ ZT1001
expect payments/api -> api.stripe.com:443 alowed
//                                        ^^^^^^ ZT1001
expect default deny
//     ^^^^^^^^^^^^ ZT1001
tenant payments {
  workload api = app=payments-api
  expect api -> api.stripe.com:443 http FETCH "/" allowed
//                                      ^^^^^ ZT3022
  expect api -> 10.0.0.1 icmp packet-too-big denied
//                            ^^^^^^^^^^^^^^ ZT3032
}
`;
    const p = program({ [PAYMENTS]: source });
    const diags = p.getDiagnostics().filter((d) => d.file === PAYMENTS && d.code !== "ZT5017");
    expect(show(actualAnnotations(source, diags, PAYMENTS))).toEqual(show(annotations(source)));
    expect(p.getCheck()!.expectations).toEqual([]);
  });

  it("in an editor's next program: again where a tenant they name changed its workloads, reused elsewhere", () => {
    const tests = "platform/tests.zt";
    const files = (ledger: string, checkout: string) =>
      createMemoryHost(
        projectFiles({
          [tests]: "expect payments/api -> ledger/db:5432 allowed\nexpect checkout/web -> api.stripe.com:443 allowed\n",
          [PAYMENTS]: "tenant payments {\n  workload api = app=api\n  allow egress from api to tenant ledger workload db port 5432\n}\n",
          "tenants/ledger/policy.zt": ledger,
          "tenants/checkout/policy.zt": checkout,
        }),
      );
    const checkout = "tenant checkout {\n  workload web = app=web\n  allow egress from web to api.stripe.com:443\n}\n";
    const ledger = "tenant ledger {\n  workload db = app=db\n  allow ingress to db port 5432 from tenant payments workload api\n}\n";
    const unknown = (p: Program) => p.getDiagnostics().filter((d) => d.file === tests).map((d) => d.code);
    const p1 = createProgram(files(ledger, checkout), { today: TODAY });
    expect(unknown(p1)).toEqual([]);
    // Ledger's workload is renamed: the unchanged tests file's expectation no longer resolves.
    const p2 = createProgram(files(ledger.replaceAll("db", "database"), checkout), { today: TODAY }, p1);
    expect(p2.units.find((u) => u.path === tests)).toBe(p1.units.find((u) => u.path === tests));
    expect(unknown(p2)).toEqual(["ZT2003"]);
    expect(p2.getCheck()!.expectations.map((e) => e.text)).toEqual(["expect checkout/web -> api.stripe.com:443 allowed"]);
    // Checkout's rules change but not its workloads: the file's expectations are the same objects.
    const p3 = createProgram(files(ledger.replaceAll("db", "database"), checkout.replace("allow", "deny")), { today: TODAY }, p2);
    expect(p3.getCheck()!.expectations[0]).toBe(p2.getCheck()!.expectations[0]);
    expect(unknown(p3)).toEqual(["ZT2003"]);
  });
});

describe("ztc test", () => {
  it("evaluates expectations against the compiled policies", () => {
    const r = tested({
      [PAYMENTS]: POLICY,
      "tenants/payments/tests.zt": `expect payments/api -> api.stripe.com:443 allowed
expect payments/api -> api.example.org:443 denied
expect payments/worker -> api.stripe.com:443 denied
expect payments/api -> 169.254.169.254:80 denied
expect tenant checkout -> payments/api:8080 http GET "/v1/charges" allowed
expect tenant checkout -> payments/api:8080 http POST "/v1/charges" denied
expect entity world -> payments/api:8080 denied
expect payments/api -> 169.254.169.254:80 allowed
`,
      "tenants/checkout/policy.zt": "tenant checkout allow egress to tenant payments workload api port 8080\n",
    });
    const expects = r.cases.filter((c) => c.kind === "expect");
    expect(expects.map((c) => c.passed)).toEqual([true, true, true, true, true, true, true, false]);
    const failure = expects[7]!.diagnostic!;
    expect(failure.code).toBe("ZT6001");
    expect(failure.message).toBe("expected allowed, but the flow is dropped (egress: a deny rule drops it; ingress: not enforced)");
    expect(failure.related?.[0]).toMatchObject({ file: PAYMENTS, message: "egress denied here" });
  });

  it("proves default deny, and finds where it is off", () => {
    const allowed = { "registry/tenants.yaml": DEFAULT_TENANTS.replace('paths: ["tenants/ledger/**"]', 'paths: ["tenants/ledger/**"]\n    audit-allowed: true') };
    const r = tested({ ...allowed, "platform/tests.zt": "expect default deny for all tenants\n", "tenants/ledger/policy.zt": "tenant ledger {\n  mode audit\n  expect default deny\n}\n" });
    const byName = r.cases.map((c) => `${c.passed ? "ok" : "FAIL"} ${c.name}`);
    expect(byName).toEqual([
      "ok expect default deny for all tenants (tenant checkout, namespace checkout)",
      "FAIL expect default deny for all tenants (tenant ledger, namespace ledger)",
      "ok expect default deny for all tenants (tenant payments, namespace payments)",
      "ok expect default deny for all tenants (tenant payments, namespace payments-batch)",
      "FAIL expect default deny (tenant ledger, namespace ledger)",
    ]);
    expect(r.diagnostics[0]!.message).toBe("namespace ledger of tenant ledger is not default-deny for egress and ingress: no policy that selects its pods turns default deny on (the tenant is in audit mode)");
  });

  it("checks that cross-tenant rules are matched on the other side", () => {
    const r = tested({
      [PAYMENTS]: "tenant payments {\n  workload api = app=payments-api\n  allow egress from api to tenant ledger port 8443\n  allow ingress to api port 8080 from tenant checkout\n}\n",
      "tenants/ledger/policy.zt": "tenant ledger allow ingress port 8443 from tenant payments workload api\n",
    });
    const cross = r.cases.filter((c) => c.kind === "cross-tenant");
    expect(cross.map((c) => `${c.passed} ${c.file}:${c.line}`)).toEqual(["true tenants/ledger/policy.zt:1", "true tenants/payments/policy.zt:3", "false tenants/payments/policy.zt:4"]);
    expect(cross[2]!.diagnostic!.code).toBe("ZT6002");
    expect(cross[2]!.diagnostic!.message).toBe("tenant checkout does not send what this rule admits: tenant checkout -> payments/api 8080/tcp (default deny, and no rule allows it at checkout's side)");
  });

  it("reports rules a deny always beats, and rules that select nothing", () => {
    const r = tested({
      [PAYMENTS]: `tenant payments {
  workload api = app=payments-api
  workload nobody = tier in (a), tier notin (a)
  allow egress from api to cidr 10.40.9.0/24 port 5432
  deny egress to cidr 10.40.0.0/16 port 5432
  allow egress from nobody to tenant payments port 80
  allow ingress to api port 8080 from tenant payments
}
`,
    });
    const bad = r.cases.filter((c) => c.kind === "reachable" && !c.passed).map((c) => `${c.line} ${c.diagnostic!.code} ${c.diagnostic!.severity}`);
    expect(bad).toEqual(["4 ZT6003 warning", "6 ZT6003 warning"]);
    // Warnings do not fail the run.
    expect(r.cases.filter((c) => !c.passed && c.diagnostic?.severity === "error")).toEqual([]);
  });

  it("skips the invariants on request, and writes JUnit", () => {
    const r = tested({ [PAYMENTS]: POLICY, "tenants/payments/tests.zt": "expect payments/api -> api.stripe.com:443 denied\n" }, false);
    expect(r.cases.map((c) => c.kind)).toEqual(["expect"]);
    const xml = renderJunit(r, (f) => f);
    expect(xml).toContain('<testsuites name="ztc test" tests="1" failures="1">');
    expect(xml).toContain('<testcase name="expect payments/api -&gt; api.stripe.com:443 denied" classname="tenants/payments/tests.zt" file="tenants/payments/tests.zt" line="1">');
    expect(xml).toContain('<failure message="expected denied, but the flow is allowed');
  });

  it("is undefined for a project that does not compile", () => {
    expect(runTests(program({ [PAYMENTS]: "tenant payments allow egress to api.unknown.example:443\n" }))).toBeUndefined();
  });
});
