/**
 * transientRule (the editor's default-deny rules): read anew whenever the evaluator needs more than
 * its subject, it must decide and explain as the same policy read at once; so must a lazyRule asked
 * only whether it makes its subjects default-deny (read, but not kept).
 */
import { describe, expect, it } from "vitest";
import { Evaluator, lazyRule, readPolicies, transientRule, type Flow } from "../../compiler/evaluator/index.js";
import { cnp, pod, tcp, world } from "./builders.js";

const TRACE = "ingress[0], egress[0]: default deny for every pod of namespace a; traffic flows only where a rule of tenant t allows it";
const spec = { endpointSelector: {}, ingress: [{}], egress: [{}] };
const audit = { ...spec, enableDefaultDeny: { ingress: false, egress: false } };

describe("transientRule", () => {
  for (const [name, s] of [["default deny", spec], ["audit", audit]] as const) {
    it(`decides and explains as the policy read at once (${name})`, () => {
      const options = { clusterName: "default" };
      const trace = (ns: string) => TRACE.replace("namespace a", `namespace ${ns}`);
      const policies = ["a", "b"].map((ns) => cnp(ns, "zt-t-default-deny", s, { "ztc.io/rules": trace(ns) }));
      let loads = 0;
      const rules = ["a", "b"].map((ns) => transientRule({ kind: "CiliumNetworkPolicy", name: "zt-t-default-deny", namespace: ns }, "spec", s.endpointSelector, () => (loads++, { spec: s, trace: trace(ns) }), options));
      const flows: Flow[] = [tcp(pod("a"), world("192.0.2.1"), 9), tcp(world("192.0.2.1"), pod("b", { app: "x" }), 80), tcp(pod("b"), pod("a"), 80), tcp(pod("a"), pod("b"), 80)];
      const atOnce = new Evaluator(policies, options);
      // Without a memo, each decision reads the rules again (the last one read is kept): each must be the same.
      const transient = new Evaluator([], { ...options, memoize: false }, { rules, problems: [] });
      for (let i = 0; i < 2; i++) for (const f of flows) expect(JSON.parse(JSON.stringify(transient.evaluate(f)))).toEqual(JSON.parse(JSON.stringify(atOnce.evaluate(f))));
      for (const ns of ["a", "b"]) expect(transient.defaultDeny(pod(ns))).toEqual(atOnce.defaultDeny(pod(ns)));
      expect(rules.map((r) => r.sections)).toEqual(readPolicies(policies, options).rules.map((r) => r.sections));
      expect(loads).toBeGreaterThan(4);
    });
  }
});

describe("lazyRule", () => {
  it("answers defaultDeny without keeping the rest read, then reads it as at once", () => {
    const options = { clusterName: "default" };
    const s = { endpointSelector: {}, egress: [{ toEntities: ["world"] }], enableDefaultDeny: { ingress: false, egress: true } };
    const atOnce = new Evaluator([cnp("a", "zt-t", [s])], options);
    let loads = 0;
    const rule = lazyRule({ kind: "CiliumNetworkPolicy", name: "zt-t", namespace: "a" }, "specs[0]", s.endpointSelector, () => (loads++, { spec: s, trace: [] }), options);
    const lazy = new Evaluator([], options, { rules: [rule], problems: [] });
    expect(lazy.defaultDeny(pod("a"))).toEqual({ egress: true, ingress: false });
    expect(lazy.defaultDeny(pod("a"))).toEqual(atOnce.defaultDeny(pod("a")));
    expect(loads).toBe(1);
    const f = tcp(pod("a"), world("192.0.2.1"), 443);
    expect(JSON.parse(JSON.stringify(lazy.evaluate(f)))).toEqual(JSON.parse(JSON.stringify(atOnce.evaluate(f))));
    expect(loads).toBe(2);
    expect(rule.defaultDeny).toEqual({ egress: true, ingress: false });
  });
});
