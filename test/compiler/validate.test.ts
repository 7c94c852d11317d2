import { describe, expect, it } from "vitest";
import { ciliumProblems } from "../../compiler/cilium/validate.js";
import { validatePolicies } from "../../compiler/program.js";
import { paymentsProgram, TODAY } from "../helpers/project.js";

const cnp = (spec: Record<string, unknown>, kind = "CiliumNetworkPolicy") => ({
  apiVersion: "cilium.io/v2",
  kind,
  metadata: { name: "p", ...(kind === "CiliumNetworkPolicy" ? { namespace: "payments" } : {}), labels: {}, annotations: {} },
  spec: { endpointSelector: {}, ...spec },
});

describe("Cilium's agent rules (cilium-semantics §A) on policy objects", () => {
  it.each<[string, Record<string, unknown>, string]>([
    ["A1 empty rule", {}, "at least one of ingress"],
    ["A6 two peer kinds in one entry", { egress: [{ toEndpoints: [{}], toCIDRSet: [{ cidr: "10.0.0.0/8" }] }] }, "combining toEndpoints and toCIDRSet"],
    ["A10 icmps with toPorts", { egress: [{ toEntities: ["world"], icmps: [{ fields: [{ type: 8 }] }], toPorts: [{ ports: [{ port: "1", protocol: "TCP" }] }] }] }, "icmps and toPorts"],
    ["A12 except outside cidr", { egress: [{ toCIDRSet: [{ cidr: "10.0.0.0/8", except: ["11.0.0.0/16"] }] }] }, "not inside"],
    ["A11 host bits", { egress: [{ toCIDRSet: [{ cidr: "10.0.0.1/8" }] }] }, "host bits"],
    ["A14 more than 40 ports", { egress: [{ toPorts: [{ ports: Array.from({ length: 41 }, (_, i) => ({ port: String(i + 1), protocol: "TCP" })) }] }] }, "at most 40"],
    ["A15 port with leading zero", { egress: [{ toPorts: [{ ports: [{ port: "080", protocol: "TCP" }] }] }] }, "not plain decimal"],
    ["A15 port above 65535", { egress: [{ toPorts: [{ ports: [{ port: "99999", protocol: "TCP" }] }] }] }, "not plain decimal"],
    ["A16 L7 on port 0", { egress: [{ toPorts: [{ ports: [{ port: "0", protocol: "TCP" }], rules: { http: [{}] } }] }] }, "port 0"],
    ["A22 HTTP on UDP", { ingress: [{ toPorts: [{ ports: [{ port: "80", protocol: "UDP" }], rules: { http: [{ method: "GET" }] } }] }] }, "need protocol TCP"],
    ["A23 DNS rules on ingress", { ingress: [{ toPorts: [{ ports: [{ port: "53", protocol: "UDP" }], rules: { dns: [{ matchPattern: "*" }] } }] }] }, "not allowed on ingress"],
    ["A23 DNS with a range", { egress: [{ toPorts: [{ ports: [{ port: "53", endPort: 60, protocol: "UDP" }], rules: { dns: [{ matchPattern: "*" }] } }] }] }, "port ranges"],
    ["A26 HTTP regex", { ingress: [{ toPorts: [{ ports: [{ port: "80", protocol: "TCP" }], rules: { http: [{ path: "/(?=x)" }] } }] }] }, "look-ahead"],
    ["A29 both matchName and matchPattern", { egress: [{ toFQDNs: [{ matchName: "a.b", matchPattern: "*.b" }] }] }, "exactly one of matchName and matchPattern"],
    ["B2 empty peer list", { egress: [{ toEndpoints: [] }] }, "an empty list selects nothing"],
    ["B3 namespace in a CNP subject", { endpointSelector: { matchLabels: { "k8s:io.kubernetes.pod.namespace": "x" } }, egress: [{}] }, "overridden by the agent"],
    ["B5 unknown entity", { egress: [{ toEntities: ["world-ipv4"] }] }, "unknown entity"],
    ["A3 nodeSelector in a CNP", { endpointSelector: undefined, nodeSelector: {}, ingress: [{}] }, "nodeSelector"],
  ])("%s", (_name, spec, problem) => {
    const problems = ciliumProblems(cnp(spec));
    expect(problems.join("\n")).toContain(problem);
  });

  it("accepts a well-formed policy", () => {
    expect(ciliumProblems(cnp({ egress: [{ toFQDNs: [{ matchName: "api.stripe.com" }], toPorts: [{ ports: [{ port: "443", protocol: "TCP" }] }] }] }))).toEqual([]);
  });
});

describe("the last gate before writing", () => {
  it("turns a corrupted policy into an internal error (ZT4001) instead of output", () => {
    const p = paymentsProgram("tenant payments allow egress api.stripe.com:443\n");
    const good = p.emit().policies;
    expect(validatePolicies(good, p.registries!, TODAY)).toEqual([]);
    const target = good.find((x) => x.manifest.metadata.name === "zt-payments")!;
    const corrupt = {
      ...target,
      manifest: { ...target.manifest, specs: [{ ...target.manifest.specs![0]!, egress: [{ toFQDNs: [{ matchName: "evil.example" }] }] }] },
    };
    const diags = validatePolicies([corrupt as typeof target], p.registries!, TODAY);
    expect(diags.map((d) => d.code)).toEqual(["ZT4001"]);
    expect(diags[0]!.message).toContain("not covered by an approval");
    const moved = { ...target, manifest: { ...target.manifest, metadata: { ...target.manifest.metadata, namespace: "checkout" } } };
    expect(validatePolicies([moved], p.registries!, TODAY)[0]!.message).toContain("which it does not own");
  });
});
