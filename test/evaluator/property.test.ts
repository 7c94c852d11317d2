/**
 * Random small policy sets and flows: the evaluator (indexes, caches) against the reference reading
 * in reference.ts. `npm test` runs a thousand cases; `npm run test:props` (CI) runs many more
 * (ZTC_PROP_RUNS).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Evaluator, type Endpoint, type Flow } from "../../compiler/evaluator/index.js";
import { referenceDecision } from "./reference.js";

const RUNS = Number(process.env["ZTC_PROP_RUNS"] ?? 1000);
const CLUSTER = "default";

type J = Record<string, unknown>;

const nsName = fc.constantFrom("a", "b");
const labelSet = fc.record(
  { app: fc.constantFrom("x", "y"), tier: fc.constantFrom("1", "2"), "pod-template-hash": fc.constant("h") },
  { requiredKeys: [] },
);

const podEp: fc.Arbitrary<Endpoint> = fc.record({
  namespace: nsName,
  labels: labelSet,
  cluster: fc.constantFrom(CLUSTER, CLUSTER, CLUSTER, "c2"),
  serviceAccount: fc.option(fc.constantFrom("sa1", "sa2"), { nil: undefined }),
  namedPorts: fc.option(fc.constant([{ name: "web", port: 80 }]), { nil: undefined }),
  ip: fc.option(fc.constantFrom("10.0.0.1", "192.0.2.1"), { nil: undefined }),
}).map((p) => ({ kind: "pod" as const, ...p }));
const worldEp: fc.Arbitrary<Endpoint> = fc.record({
  ip: fc.option(fc.constantFrom("10.0.0.1", "10.1.0.1", "192.0.2.1", "198.51.100.7", "2001:db8::1"), { nil: undefined }),
  names: fc.subarray(["api.example.com", "a.b.example.com", "example.com", "EXAMPLE.org."]),
}).map((w) => ({ kind: "world" as const, ...w }));
const reservedEp: fc.Arbitrary<Endpoint> = fc.constantFrom("host", "remote-node", "kube-apiserver", "health", "init", "unmanaged", "ingress").map((entity) => ({ kind: "reserved" as const, entity }));
const endpoint = fc.oneof({ arbitrary: podEp, weight: 5 }, { arbitrary: worldEp, weight: 2 }, { arbitrary: reservedEp, weight: 1 });

const flow: fc.Arbitrary<Flow> = fc
  .record({
    source: endpoint,
    destination: endpoint,
    protocol: fc.constantFrom("TCP", "TCP", "UDP", "SCTP", "ICMPv4"),
    port: fc.constantFrom(53, 80, 443, 8080, 8500),
    icmpType: fc.constantFrom(0, 8),
    http: fc.option(fc.record({ method: fc.constantFrom("GET", "POST"), path: fc.constantFrom("/", "/public", "/public/x"), headers: fc.constantFrom<Record<string, string>>({}, { "X-Env": "prod" }) }), { nil: undefined }),
    dns: fc.option(fc.constantFrom("api.example.com.", "evil.org."), { nil: undefined }),
  })
  .map((f) => (f.protocol === "ICMPv4" ? { source: f.source, destination: f.destination, protocol: f.protocol, icmpType: f.icmpType } : { ...f, icmpType: undefined }));

const selector: fc.Arbitrary<J> = fc
  .record(
    {
      matchLabels: fc.record(
        {
          app: fc.constantFrom("x", "y"),
          "k8s:tier": fc.constantFrom("1", "2"),
          "k8s:io.kubernetes.pod.namespace": nsName,
          "io.cilium.k8s.policy.cluster": fc.constantFrom(CLUSTER, "c2"),
          "io.cilium.k8s.policy.serviceaccount": fc.constantFrom("sa1", "sa2"),
          "pod-template-hash": fc.constant("h"),
        },
        { requiredKeys: [] },
      ),
      matchExpressions: fc.array(
        fc.oneof(
          fc.record({ key: fc.constantFrom("app", "k8s:tier", "io.kubernetes.pod.namespace"), operator: fc.constantFrom("In", "NotIn"), values: fc.subarray(["x", "y", "1", "a", "b"], { minLength: 1 }) }),
          fc.record({ key: fc.constantFrom("app", "tier", "io.cilium.k8s.policy.cluster"), operator: fc.constantFrom("Exists", "DoesNotExist") }),
        ),
        { maxLength: 2 },
      ),
    },
    { requiredKeys: [] },
  );
const reservedSel = fc.constantFrom({ matchLabels: { "reserved:host": "" } }, { matchLabels: { "reserved:health": "" } });

const portRule = fc.record(
  {
    port: fc.constantFrom("0", "53", "80", "443", "8000", "web"),
    endPort: fc.constantFrom(8999, 10),
    protocol: fc.constantFrom("TCP", "UDP", "ANY"),
  },
  { requiredKeys: ["port"] },
);
const httpRules = fc.array(
  fc.record({ method: fc.constantFrom("GET", "POST|PUT"), path: fc.constantFrom("/public", "/public/.*", "/"), headers: fc.constantFrom(["X-Env: prod"], ["X-Env"]) }, { requiredKeys: [] }),
  { minLength: 1, maxLength: 2 },
);
const dnsRules = fc.array(fc.constantFrom({ matchPattern: "*" }, { matchPattern: "*.example.com" }, { matchName: "api.example.com" }), { minLength: 1, maxLength: 2 });
const toPorts = (allow: boolean, egress: boolean) =>
  fc.array(
    fc.record(
      {
        ports: fc.array(portRule, { minLength: 0, maxLength: 2 }),
        rules: allow ? (egress ? fc.oneof(fc.record({ http: httpRules }), fc.record({ dns: dnsRules })) : fc.record({ http: httpRules })) : fc.constant(undefined),
      },
      { requiredKeys: ["ports"] },
    ).map((tp) => (tp.rules === undefined ? { ports: tp.ports } : tp)),
    { minLength: 1, maxLength: 2 },
  );
const icmps = fc.array(fc.record({ fields: fc.array(fc.record({ type: fc.constantFrom(8, 0, "EchoRequest"), family: fc.constantFrom("IPv4", "IPv6") }), { minLength: 1, maxLength: 2 }) }), { minLength: 1, maxLength: 1 });
const entities = fc.subarray(["all", "world", "cluster", "host", "remote-node", "kube-apiserver", "health", "init", "unmanaged", "none", "ingress"], { maxLength: 2 });
const cidrs = fc.subarray(["10.0.0.0/8", "192.0.2.0/24", "2001:db8::/32", "0.0.0.0/0", "10.0.0.1"], { maxLength: 2 });
const cidrSet = fc.array(fc.record({ cidr: fc.constantFrom("10.0.0.0/8", "0.0.0.0/0"), except: fc.subarray(["10.1.0.0/16", "10.0.0.0/24"]) }), { maxLength: 2 });
const fqdns = fc.array(fc.constantFrom({ matchName: "api.example.com" }, { matchPattern: "*.example.com" }, { matchPattern: "**.example.com" }, { matchName: "example.org" }), { maxLength: 2 });

function entry(dir: "ingress" | "egress", allow: boolean): fc.Arbitrary<J> {
  const p = dir === "ingress" ? "from" : "to";
  const l3: fc.Arbitrary<J>[] = [
    fc.constant({}),
    fc.array(fc.oneof(selector, reservedSel), { maxLength: 2 }).map((s) => ({ [`${p}Endpoints`]: s })),
    entities.map((e) => ({ [`${p}Entities`]: e })),
    cidrs.map((c) => ({ [`${p}CIDR`]: c })),
    cidrSet.map((c) => ({ [`${p}CIDRSet`]: c })),
  ];
  if (dir === "egress" && allow) l3.push(fqdns.map((f) => ({ toFQDNs: f })));
  const l4 = fc.oneof(fc.constant({}), toPorts(allow, dir === "egress").map((t) => ({ toPorts: t })), icmps.map((i) => ({ icmps: i })));
  return fc.tuple(fc.oneof(...l3), l4).map(([a, b]) => ({ ...a, ...b }));
}

const rule: fc.Arbitrary<J> = fc
  .record({
    endpointSelector: fc.oneof(fc.constant({}), selector, fc.constant({ matchLabels: { "reserved:init": "" } })),
    ingress: fc.option(fc.array(entry("ingress", true), { maxLength: 2 }), { nil: undefined }),
    ingressDeny: fc.option(fc.array(entry("ingress", false), { maxLength: 1 }), { nil: undefined }),
    egress: fc.option(fc.array(entry("egress", true), { maxLength: 2 }), { nil: undefined }),
    egressDeny: fc.option(fc.array(entry("egress", false), { maxLength: 1 }), { nil: undefined }),
    enableDefaultDeny: fc.option(fc.record({ ingress: fc.boolean(), egress: fc.boolean() }, { requiredKeys: [] }), { nil: undefined, freq: 4 }),
  })
  .map((r) => {
    const out: J = { endpointSelector: r.endpointSelector };
    for (const k of ["ingress", "ingressDeny", "egress", "egressDeny", "enableDefaultDeny"] as const) if (r[k] !== undefined) out[k] = r[k];
    // A rule needs one non-empty section (A1); keep the generated policies valid.
    if (!["ingress", "ingressDeny", "egress", "egressDeny"].some((k) => ((out[k] as unknown[]) ?? []).length > 0)) out["ingress"] = [{}];
    return out;
  });

const policy: fc.Arbitrary<J> = fc
  .record({ clusterwide: fc.boolean(), ns: nsName, name: fc.constantFrom("p1", "p2", "p3"), specs: fc.array(rule, { minLength: 1, maxLength: 2 }), single: fc.boolean() })
  .map((p) => ({
    apiVersion: "cilium.io/v2",
    kind: p.clusterwide ? "CiliumClusterwideNetworkPolicy" : "CiliumNetworkPolicy",
    metadata: p.clusterwide ? { name: p.name } : { name: p.name, namespace: p.ns },
    ...(p.single && p.specs.length === 1 ? { spec: p.specs[0] } : { specs: p.specs }),
  }));

describe("evaluator against the reference reading (property)", () => {
  it(`agrees on verdicts and per-direction reasons (${RUNS} runs)`, () => {
    fc.assert(
      fc.property(fc.array(policy, { minLength: 0, maxLength: 4 }), fc.array(flow, { minLength: 1, maxLength: 6 }), (policies, flows) => {
        const ev = new Evaluator(policies, { clusterName: CLUSTER });
        expect(ev.problems).toEqual([]);
        for (const f of flows) {
          const got = ev.evaluate(f);
          const want = referenceDecision(policies, f, { cluster: CLUSTER });
          expect({ verdict: got.verdict, egress: got.egress.reason, ingress: got.ingress.reason }).toEqual({ verdict: want.verdict, egress: want.egress.reason, ingress: want.ingress.reason });
        }
      }),
      { numRuns: RUNS },
    );
    // Only a guard against a hang: the run count (and the machine's load) sets the duration.
  }, 20_000 + RUNS * 10);

  it("generates the interesting outcomes, not only one kind", () => {
    const seen = new Set<string>();
    fc.assert(
      fc.property(fc.array(policy, { minLength: 1, maxLength: 4 }), flow, (policies, f) => {
        const d = new Evaluator(policies, { clusterName: CLUSTER }).evaluate(f);
        seen.add(`${d.verdict}`).add(`e:${d.egress.reason}`).add(`i:${d.ingress.reason}`);
      }),
      { numRuns: 1500, seed: 7 },
    );
    for (const k of ["allowed", "dropped", "l7-denied", "e:denied", "e:default-deny", "e:allowed", "i:denied", "i:allow-localhost", "e:not-enforced"]) expect(seen).toContain(k);
  });
});

describe("Evaluator.defaultDeny (property)", () => {
  it("says what evaluate says of the endpoint's flows, before or after them, under every enforcement mode", () => {
    const modes = fc.constantFrom<"default" | "always" | "never" | undefined>(undefined, "default", "always", "never");
    fc.assert(
      fc.property(fc.array(policy, { minLength: 0, maxLength: 4 }), endpoint, endpoint, modes, fc.boolean(), fc.boolean(), (policies, subject, peer, mode, memoize, askFirst) => {
        const ev = new Evaluator(policies, { clusterName: CLUSTER, policyEnforcement: mode, memoize });
        const early = askFirst ? ev.defaultDeny(subject) : undefined;
        const egress = ev.evaluate({ source: subject, destination: peer, protocol: "TCP", port: 80 }).egress.defaultDeny;
        const ingress = ev.evaluate({ source: peer, destination: subject, protocol: "UDP", port: 53 }).ingress.defaultDeny;
        expect(ev.defaultDeny(subject)).toEqual({ egress, ingress });
        if (early) expect(early).toEqual({ egress, ingress });
      }),
      { numRuns: Math.min(RUNS, 500) },
    );
  });
});
