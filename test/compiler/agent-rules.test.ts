/**
 * Every rule of cilium-semantics.md §A ("validation the agent enforces beyond the CRD schema"),
 * one test each: the diagnostic ztc reports where the language can express the mistake, or the
 * automatic fix ztc applies (shown on the emitted YAML), or, where .zt cannot express it at all,
 * that ztc's own output validator (which guards everything ztc writes) rejects it.
 */
import { describe, expect, it } from "vitest";
import { ciliumProblems } from "../../compiler/cilium/validate.js";
import type { Manifest } from "../../compiler/emit.js";
import { DEFAULT_ZTC_YAML, program, type ProjectFiles } from "../helpers/project.js";

const PAYMENTS = "tenants/payments/policy.zt";

function codes(source: string, extra: ProjectFiles = {}, file = PAYMENTS): string[] {
  return program({ [file]: source, ...extra })
    .getDiagnostics()
    .filter((d) => d.file === file && d.code !== "ZT3015")
    .map((d) => d.code);
}

/** The policies a source compiles to; they must pass ztc's own Cilium validator. */
function emitted(source: string, extra: ProjectFiles = {}, file = PAYMENTS): Manifest[] {
  const r = program({ [file]: source, ...extra }).emit();
  expect(r.diagnostics.filter((d) => d.severity === "error").map((d) => `${d.code} ${d.message}`)).toEqual([]);
  for (const p of r.policies) expect(ciliumProblems(p.manifest), p.path).toEqual([]);
  return r.policies.map((p) => p.manifest);
}

function rulesPolicy(source: string, extra: ProjectFiles = {}): Record<string, unknown>[] {
  const m = emitted(source, extra).find((x) => x.metadata.name === "zt-payments" && x.metadata.namespace === "payments");
  expect(m).toBeDefined();
  return m!.specs as Record<string, unknown>[];
}

const withFeatures = (...f: string[]) => ({ "ztc.yaml": DEFAULT_ZTC_YAML.replace(/cilium:\n(.*)\n/, `cilium:\n$1\n  features: [${f.join(", ")}]\n`) });
const validator = (spec: Record<string, unknown>, kind = "CiliumNetworkPolicy") =>
  ciliumProblems({
    apiVersion: "cilium.io/v2",
    kind,
    metadata: { name: "x", ...(kind === "CiliumNetworkPolicy" ? { namespace: "payments" } : {}), labels: {}, annotations: {} },
    spec,
  });

describe("cilium-semantics.md §A: rule level", () => {
  it("A1: a rule has at least one non-empty section (ztc emits no rules policy for a tenant without rules)", () => {
    const names = emitted("tenant payments {\n  workload api = app=payments-api\n}\n").map((m) => m.metadata.name);
    expect(names).not.toContain("zt-payments");
    expect(validator({ endpointSelector: {}, ingress: [] }).join()).toContain("at least one of ingress");
  });

  it("A2, A3: exactly one of endpointSelector and nodeSelector; nodeSelector only in cluster-wide policies", () => {
    const host = emitted('baseline h {\n  applies to nodes\n  allow ingress from entity remote-node port 4240\n}\n', withFeatures("host-firewall"), "platform/h.zt");
    expect(host[0]!.spec!["nodeSelector"]).toEqual({});
    expect(host[0]!.spec!["endpointSelector"]).toBeUndefined();
    // A tenant file can never write a host policy: baselines belong to platform files (ZT2021).
    expect(codes("baseline h {\n  applies to nodes\n}\n")).toEqual(["ZT2021"]);
    expect(validator({ nodeSelector: {}, ingress: [{ fromEntities: ["host"] }] }).join()).toContain("not allowed in a CiliumNetworkPolicy");
  });

  it("A4: label keys and values are checked; In/NotIn need values", () => {
    expect(codes(`tenant payments {\n  workload api = app="-bad-"\n}\n`)).toEqual(["ZT2010"]);
    expect(codes("tenant payments {\n  workload api = Bad/Key/x=1\n}\n")).toContain("ZT1001");
    expect(codes("tenant payments {\n  workload api = tier in ()\n}\n")).toContain("ZT1001");
  });

  it("A5: default deny is never left to Cilium's fill-in: baselines state enableDefaultDeny", () => {
    const [m] = emitted("baseline b {\n  applies to tenants payments\n  deny egress to cidr 169.254.169.254/32\n}\n", {}, "platform/b.zt");
    expect(m!.spec!["enableDefaultDeny"]).toEqual({ ingress: false, egress: false });
  });
});

describe("cilium-semantics.md §A: peers", () => {
  it("A6: one peer kind per entry (ztc splits)", () => {
    const egress = rulesPolicy("tenant payments allow egress to tenant ledger, cidr 10.40.0.0/16, api.stripe.com port 443\n", {
      "registry/approvals.yaml": `approvals:\n  - id: A\n    destination: 10.40.0.0/16\n    ports: [443]\n    tenants: [payments]\n    approved-by: x\n    ticket: y\n    expires: 2030-01-01\n  - id: B\n    destination: api.stripe.com\n    ports: [443]\n    tenants: [payments]\n    approved-by: x\n    ticket: y\n    expires: 2030-01-01\n`,
    })[0]!["egress"] as Record<string, unknown>[];
    expect(egress.map((e) => Object.keys(e).filter((k) => k !== "toPorts"))).toEqual([["toEndpoints"], ["toCIDRSet"], ["toFQDNs"], ["toEndpoints"]]);
  });

  it("A7: every peer kind may carry ports", () => {
    const egress = rulesPolicy("tenant payments allow egress to entity kube-apiserver port 6443\n")[0]!["egress"] as Record<string, unknown>[];
    expect(Object.keys(egress[0]!)).toEqual(["toEntities", "toPorts"]);
  });

  it("A8: fromNodes/toNodes need --enable-node-selector-labels", () => {
    expect(codes("tenant payments allow ingress from nodes port 10250\n")).toEqual(["ZT3033"]);
    expect(codes("tenant payments allow ingress from nodes port 10250\n", withFeatures("node-selector-labels"))).toEqual([]);
  });

  it("A9: unknown entities, and world-ipv4/world-ipv6 which the CRD refuses", () => {
    expect(codes("tenant payments allow ingress from entity wrold port 80\n")).toEqual(["ZT2007"]);
    expect(codes("tenant payments allow ingress from entity world-ipv4 port 80\n")).toEqual(["ZT2007"]);
  });

  it("A10: ICMP and ports in one rule become two entries", () => {
    const ingress = rulesPolicy("tenant payments allow ingress from tenant checkout port 8080 icmp 8\n")[0]!["ingress"] as Record<string, unknown>[];
    expect(ingress.map((e) => Object.keys(e).sort())).toEqual([["fromEndpoints", "toPorts"], ["fromEndpoints", "icmps"]]);
  });
});

describe("cilium-semantics.md §A: CIDR", () => {
  it("A11: a bare address is written addr/len, or refused with a fix", () => {
    const p = program({ [PAYMENTS]: "tenant payments allow ingress from cidr 10.1.2.3 port 22\n" });
    const d = p.getDiagnostics().find((x) => x.code === "ZT3007");
    expect(d?.fixes?.[0]?.edits[0]?.newText).toBe("10.1.2.3/32");
  });

  it("A12: except is inside the CIDR, of its family; CIDR groups take no except", () => {
    expect(codes("tenant payments allow ingress from cidr 10.0.0.0/8 except 192.168.0.0/16 port 22\n")).toEqual(["ZT3018"]);
    expect(codes("tenant payments allow ingress from cidr 10.0.0.0/8 except fd00::/8 port 22\n")).toEqual(["ZT3018"]);
    expect(codes("tenant payments allow ingress from cidr-group partners except 10.0.0.0/8 port 22\n")).toContain("ZT1001");
  });

  it("A13: CIDR group names are DNS subdomains", () => {
    expect(codes("tenant payments allow ingress from cidr-group Partners port 22\n")).toEqual(["ZT2008"]);
  });
});

describe("cilium-semantics.md §A: ports", () => {
  it("A14: at most 40 ports per item (ztc splits)", () => {
    const ports = Array.from({ length: 45 }, (_, i) => 9000 + i).join(", ");
    const ingress = rulesPolicy(`tenant payments allow ingress from tenant checkout port ${ports}\n`)[0]!["ingress"] as { toPorts: { ports: unknown[] }[] }[];
    expect(ingress[0]!.toPorts.map((t) => t.ports.length)).toEqual([40, 5]);
  });

  it("A15: ports are decimal strings (no octal), within 0-65535; named ports are IANA names, lower-cased", () => {
    const ingress = rulesPolicy("tenant payments allow ingress from tenant checkout port 080, HTTP-Alt\n")[0]!["ingress"] as { toPorts: { ports: unknown[] }[] }[];
    expect(ingress[0]!.toPorts[0]!.ports).toEqual([
      { port: "80", protocol: "TCP" },
      { port: "http-alt", protocol: "TCP" },
    ]);
    expect(codes("tenant payments allow ingress from tenant checkout port 99999\n")).toEqual(["ZT3006"]);
    expect(codes("tenant payments allow ingress from tenant checkout port not-a-valid-port-name\n")).toEqual(["ZT3006"]);
  });

  it("A16: port 0 (every port) is refused, so L7 rules never meet it", () => {
    expect(codes('tenant payments allow ingress from tenant checkout port 0 http GET "/"\n')).toContain("ZT3006");
  });

  it("A17: protocols are upper-case names Cilium knows", () => {
    const ingress = rulesPolicy("tenant payments allow ingress from tenant checkout port 53/udp, 9000/sctp\n")[0]!["ingress"] as { toPorts: { ports: { protocol: string }[] }[] }[];
    expect(ingress[0]!.toPorts[0]!.ports.map((p) => p.protocol)).toEqual(["UDP", "SCTP"]);
    expect(codes("tenant payments allow ingress from tenant checkout port 53/icmp\n")).toEqual(["ZT3020"]);
  });

  it("A18: ranges go low-high and never start at a name", () => {
    expect(codes("tenant payments allow ingress from tenant checkout port 9000-8000\n")).toEqual(["ZT3006"]);
    const ingress = rulesPolicy("tenant payments allow ingress from tenant checkout port 8000-8999\n")[0]!["ingress"] as { toPorts: { ports: unknown[] }[] }[];
    expect(ingress[0]!.toPorts[0]!.ports).toEqual([{ port: "8000", endPort: 8999, protocol: "TCP" }]);
  });

  it("A19: a toPorts item always lists ports", () => {
    expect(validator({ endpointSelector: {}, ingress: [{ fromEntities: ["host"], toPorts: [{ ports: [] }] }] }).join()).toContain("no ports");
  });
});

describe("cilium-semantics.md §A: L7", () => {
  it("A20: no L7, host names or authentication in deny rules", () => {
    expect(codes('tenant payments deny ingress from tenant checkout port 80 http GET "/"\n')).toEqual(["ZT3021"]);
    expect(codes("tenant payments deny egress to api.stripe.com:443\n")).toEqual(["ZT3017"]);
    expect(codes("tenant payments deny ingress from tenant checkout authenticated\n", withFeatures("mutual-auth"))).toEqual(["ZT3040"]);
  });

  it("A21: one L7 protocol per rule", () => {
    expect(codes('tenant payments allow egress to namespace kube-system port 53 http GET "/" dns "*"\n')).toEqual(["ZT3021"]);
  });

  it("A22: HTTP rules only on TCP ports", () => {
    expect(codes('tenant payments allow ingress from tenant checkout port 80/any http GET "/"\n')).toEqual(["ZT3021"]);
  });

  it("A23: DNS rules on egress, with explicit ports and no ranges", () => {
    expect(codes('tenant payments allow ingress from namespace kube-system port 53 dns "*"\n')).toEqual(["ZT3021"]);
    expect(codes('tenant payments allow egress to namespace kube-system dns "*"\n')).toEqual(["ZT3021"]);
    expect(codes('tenant payments allow egress to namespace kube-system port 53-54 dns "*"\n')).toEqual(["ZT3021"]);
  });

  it("A24: host policies: no L7 on ingress, only DNS on egress", () => {
    const host = (rule: string) => codes(`baseline h {\n  applies to nodes\n  ${rule}\n}\n`, withFeatures("host-firewall"), "platform/h.zt");
    expect(host('allow ingress from cidr 10.0.0.0/8 port 80 http GET "/"')).toEqual(["ZT3021"]);
    expect(host('allow egress to cidr 10.0.0.0/8 port 80 http GET "/"')).toContain("ZT3021");
    expect(host('allow egress to namespace kube-system workload k8s-app=kube-dns port 53/any dns "*"')).toEqual([]);
  });

  it("A25: L7 rules assume the L7 proxy (Cilium's default); ztc has no setting that disables it", () => {
    // Documented in docs/cilium-versions.md: clusters without --enable-l7-proxy reject every L7 rule.
    expect(rulesPolicy('tenant payments allow ingress from tenant checkout port 80 http GET "/"\n')).toHaveLength(1);
  });

  it("A26: HTTP paths, methods and hosts are RE2; headers are Name or Name: value", () => {
    expect(codes('tenant payments allow ingress from tenant checkout port 80 http GET "/(?=x)"\n')).toEqual(["ZT3022"]);
    expect(codes('tenant payments allow ingress from tenant checkout port 80 http FETCH "/"\n')).toEqual(["ZT3022"]);
    expect(codes('tenant payments allow ingress from tenant checkout port 80 http GET "/" header "bad header"\n')).toEqual(["ZT3022"]);
  });

  it("A27, A28: TLS server names and listeners are not part of the language, and never emitted", () => {
    expect(validator({ endpointSelector: {}, egress: [{ toEntities: ["world"], toPorts: [{ ports: [{ port: "443", protocol: "TCP" }], serverNames: ["x"] }] }] }).join()).toContain("schema");
  });
});

describe("cilium-semantics.md §A: FQDN and DNS patterns", () => {
  it("A29: exactly one of matchName and matchPattern (ztc picks by the '*')", () => {
    const egress = rulesPolicy("tenant payments allow egress to api.stripe.com:443, *.s3.eu-west-1.amazonaws.com:443\n")[0]!["egress"] as { toFQDNs?: unknown[] }[];
    expect(egress[0]!.toFQDNs).toEqual([{ matchName: "api.stripe.com" }, { matchPattern: "*.s3.eu-west-1.amazonaws.com" }]);
  });

  it("A30: names and patterns use Cilium's characters", () => {
    expect(codes("tenant payments allow egress to api..stripe.com:443\n")).toEqual(["ZT3008"]);
    expect(codes('tenant payments allow egress to namespace kube-system port 53 dns "bad name"\n')).toEqual(["ZT3008"]);
  });

  it("A31: '**.' needs Cilium 1.20; before, it would silently mean '*.'", () => {
    expect(codes("tenant payments allow egress to **.amazonaws.com:443\n")).toEqual(["ZT4004"]);
  });
});

describe("cilium-semantics.md §A: ICMP, authentication, logging", () => {
  it("A32: at most 40 ICMP fields per rule (ztc splits); type names of the right family, written as numbers", () => {
    expect(codes("tenant payments allow ingress from tenant checkout icmp packet-too-big\n")).toEqual(["ZT3032"]);
    const ingress = rulesPolicy("tenant payments allow ingress from tenant checkout icmpv6 packet-too-big\n")[0]!["ingress"] as { icmps: unknown[] }[];
    expect(ingress[0]!.icmps).toEqual([{ fields: [{ type: 2, family: "IPv6" }] }]);
  });

  it("A33: mutual authentication needs the feature, or the operator marks the policy invalid", () => {
    expect(codes("tenant payments allow ingress from tenant checkout port 80 authenticated\n")).toEqual(["ZT3033"]);
  });

  it("A34: log.value is never emitted; A35: unknown fields are refused", () => {
    expect(validator({ endpointSelector: {}, ingress: [{ fromEntities: ["host"] }], log: { value: "x" } }).join()).toContain("schema");
  });
});
