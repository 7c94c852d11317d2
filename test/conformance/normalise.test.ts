/**
 * The normaliser is the judge of the conformance suite, so it is tested on its own: spellings
 * Cilium treats alike must compare equal, and policies that mean different things must not.
 */
import { describe, expect, it } from "vitest";
import { compare, isEquivalent, normalise, renderComparison, type NormaliseOptions } from "./normalise.js";

type Obj = Record<string, unknown>;

function cnp(spec: Obj, namespace?: string, extra: Obj = {}): Obj {
  return { apiVersion: "cilium.io/v2", kind: "CiliumNetworkPolicy", metadata: { name: "p", ...(namespace ? { namespace } : {}), ...extra }, spec };
}
function ccnp(spec: Obj): Obj {
  return { apiVersion: "cilium.io/v2", kind: "CiliumClusterwideNetworkPolicy", metadata: { name: "p" }, spec };
}
const client = { matchLabels: { app: "client" } };

function diff(expected: Obj[], actual: Obj[], options: NormaliseOptions = {}): string {
  return renderComparison(compare(normalise(expected, options), normalise(actual, options)));
}
function expectSame(a: Obj[], b: Obj[], options?: NormaliseOptions): void {
  // Two empty results are equal for no reason: each side must say something.
  for (const side of [a, b]) expect(normalise(side, options).atoms.size).toBeGreaterThan(0);
  expect(diff(a, b, options)).toBe("");
  expect(diff(b, a, options)).toBe("");
}
function expectDifferent(a: Obj[], b: Obj[], options?: NormaliseOptions): void {
  expect(diff(a, b, options)).not.toBe("");
}
const egress = (entries: Obj[], selector: Obj = client): Obj => ({ endpointSelector: selector, egress: entries });
const ingress = (entries: Obj[], selector: Obj = client): Obj => ({ endpointSelector: selector, ingress: entries });
const toEcho = (ports?: Obj[]): Obj => ({ toEndpoints: [{ matchLabels: { app: "echo" } }], ...(ports ? { toPorts: [{ ports }] } : {}) });

describe("the normaliser: spellings Cilium treats alike compare equal", () => {
  it("spec and specs, metadata, descriptions and entry order do not matter", () => {
    const a = cnp({ ...egress([toEcho([{ port: "80", protocol: "TCP" }]), { toEntities: ["host"] }]), description: "x" });
    const b = { ...cnp({}, "default", { name: "other", labels: { a: "b" }, annotations: { c: "d" } }), spec: undefined, specs: [egress([{ toEntities: ["host"] }, toEcho([{ port: "80", protocol: "TCP" }])])] };
    expectSame([a], [b]);
  });

  it("matchLabels equal matchExpressions In with one value, and k8s:/any:/no prefix are one key", () => {
    expectSame(
      [cnp(egress([toEcho()], { matchLabels: { "any:app": "client" } }))],
      [cnp(egress([{ toEndpoints: [{ matchExpressions: [{ key: "k8s:app", operator: "In", values: ["echo"] }] }] }]))],
    );
  });

  it("an In list is the union of its values, written as one selector or several", () => {
    const inList = { toEndpoints: [{ matchExpressions: [{ key: "io.kubernetes.pod.namespace", operator: "In", values: ["red", "blue"] }] }] };
    const two = { toEndpoints: [{ matchLabels: { "k8s:io.kubernetes.pod.namespace": "blue" } }, { matchLabels: { "k8s:io.kubernetes.pod.namespace": "red" } }] };
    expectSame([cnp(egress([inList]))], [cnp(egress([two]))]);
  });

  it("a CNP peer without a namespace is in the policy's namespace; without a namespace a CNP is in default", () => {
    expectSame([cnp(egress([toEcho()]))], [cnp(egress([{ toEndpoints: [{ matchLabels: { app: "echo", "k8s:io.kubernetes.pod.namespace": "default" } }] }]), "default")]);
    expectSame([cnp(egress([{ toEndpoints: [{}] }]), "ns1")], [cnp(egress([{ toEndpoints: [{ matchLabels: { "io.kubernetes.pod.namespace": "ns1" } }] }]), "ns1")]);
  });

  it("a CNP subject is in the policy's namespace, whatever namespace it names; a CCNP subject is as written", () => {
    expectSame([cnp(egress([{ toEntities: ["host"] }], { matchLabels: { "k8s:io.kubernetes.pod.namespace": "other" } }), "ns1")], [cnp(egress([{ toEntities: ["host"] }], {}), "ns1")]);
    expectSame(
      [ccnp(egress([{ toEntities: ["host"] }], { matchLabels: { "io.kubernetes.pod.namespace": "ns1", app: "client" } }))],
      [cnp(egress([{ toEntities: ["host"] }]), "ns1")],
    );
  });

  it("a CCNP peer without a namespace is in any namespace (namespace Exists)", () => {
    expectSame(
      [ccnp(egress([toEcho()], { matchLabels: { "io.kubernetes.pod.namespace": "ns1", app: "client" } }))],
      [cnp(egress([{ toEndpoints: [{ matchLabels: { app: "echo" }, matchExpressions: [{ key: "k8s:io.kubernetes.pod.namespace", operator: "Exists" }] }] }]), "ns1")],
    );
  });

  it("a selector that names no cluster is in the local cluster; a subject's local cluster always holds", () => {
    const o = { localCluster: "c1" };
    expectSame([cnp(egress([toEcho()]))], [cnp(egress([{ toEndpoints: [{ matchLabels: { app: "echo", "io.cilium.k8s.policy.cluster": "c1" } }] }]))], o);
    expectSame([cnp(egress([toEcho()], { matchLabels: { app: "client", "io.cilium.k8s.policy.cluster": "c1" } }))], [cnp(egress([toEcho()]))], o);
  });

  it("ports are decimal strings, protocols upper case, no protocol and ANY are TCP, UDP and SCTP", () => {
    expectSame([cnp(egress([toEcho([{ port: "53" }])]))], [cnp(egress([toEcho([{ port: "053", protocol: "ANY" }])]))]);
    expectSame(
      [cnp(egress([toEcho([{ port: "53", protocol: "ANY" }])]))],
      [cnp(egress([toEcho([{ port: "53", protocol: "TCP" }, { port: "53", protocol: "UDP" }]), toEcho([{ port: "53", protocol: "SCTP" }])]))],
    );
    expectSame([cnp(egress([toEcho([{ port: "80", protocol: "tcp" }])]))], [cnp(egress([toEcho([{ port: "80", protocol: "TCP", endPort: 80 }])]))]);
  });

  it("ports without a peer are every peer, like entities: [all]", () => {
    expectSame([cnp(ingress([{ toPorts: [{ ports: [{ port: "80", protocol: "TCP" }] }] }]))], [cnp(ingress([{ fromEntities: ["all"], toPorts: [{ ports: [{ port: "80", protocol: "TCP" }] }] }]))]);
  });

  it("entity and CIDR lists split; toCIDR is toCIDRSet without except; IPv6 is compared canonically", () => {
    expectSame([cnp(egress([{ toEntities: ["host", "remote-node"] }]))], [cnp(egress([{ toEntities: ["remote-node"] }, { toEntities: ["host"] }]))]);
    expectSame([cnp(egress([{ toCIDR: ["1.1.1.1/32", "2001:DB8:0::/32"] }]))], [cnp(egress([{ toCIDRSet: [{ cidr: "2001:db8::/32" }, { cidr: "1.1.1.1/32" }] }]))]);
  });

  it("HTTP methods and paths match whole, so anchors change nothing; FQDN patterns without * are names", () => {
    const http = (method: string, path: string) => toEcho([{ port: "80", protocol: "TCP" }]) as Obj & { toPorts: Obj[] };
    const a = http("GET", "/public");
    const b = http("^GET$", "^/public$");
    a.toPorts[0]!["rules"] = { http: [{ method: "GET", path: "/public" }] };
    b.toPorts[0]!["rules"] = { http: [{ path: "^/public$", method: "^GET$" }] };
    expectSame([cnp(egress([a]))], [cnp(egress([b]))]);
    expectSame([cnp(egress([{ toFQDNs: [{ matchPattern: "Cilium.IO." }] }]))], [cnp(egress([{ toFQDNs: [{ matchName: "cilium.io" }] }]))]);
  });

  it("ICMP types by name or number", () => {
    expectSame(
      [cnp(egress([{ icmps: [{ fields: [{ type: 8 }, { type: 128, family: "IPv6" }] }] }]))],
      [cnp(egress([{ icmps: [{ fields: [{ type: "EchoRequest", family: "IPv6" }, { type: "EchoRequest", family: "IPv4" }] }] }]))],
    );
  });

  it("ztc's per-namespace default deny and its DNS-proxy rule are not held against it", () => {
    const upstream = [cnp(egress([{ toFQDNs: [{ matchName: "api.example.com" }] }]))];
    const ztc = [
      cnp({ description: "d", endpointSelector: {}, ingress: [{}], egress: [{}] }, "default", { labels: { "ztc.io/policy": "default-deny" } }),
      {
        ...cnp({}, "default", { annotations: { "ztc.io/rules": "specs[0].egress[1]: DNS through the cluster resolver's DNS proxy, required by the host rules above" } }),
        spec: undefined,
        specs: [
          egress([
            { toFQDNs: [{ matchName: "api.example.com" }] },
            { toEndpoints: [{ matchLabels: { "io.kubernetes.pod.namespace": "kube-system", "k8s-app": "kube-dns" } }], toPorts: [{ ports: [{ port: "53", protocol: "ANY" }], rules: { dns: [{ matchPattern: "*" }] } }] },
          ]),
        ],
      },
    ];
    expect(diff(upstream, ztc)).toBe("");
  });

  it("ztc's default deny for the namespace stands in for an upstream deny-all of part of it", () => {
    const upstream = [cnp({ endpointSelector: { matchLabels: { role: "restricted" } }, egress: [{}] })];
    const ztc = [cnp({ endpointSelector: {}, ingress: [{}], egress: [{}] }, "default", { labels: { "ztc.io/policy": "default-deny" } })];
    expect(diff(upstream, ztc)).toBe("");
  });
});

describe("the normaliser: different meanings compare different", () => {
  it("port, protocol, range and named port", () => {
    expectDifferent([cnp(egress([toEcho([{ port: "80", protocol: "TCP" }])]))], [cnp(egress([toEcho([{ port: "8080", protocol: "TCP" }])]))]);
    expectDifferent([cnp(egress([toEcho([{ port: "53", protocol: "UDP" }])]))], [cnp(egress([toEcho([{ port: "53", protocol: "TCP" }])]))]);
    expectDifferent([cnp(egress([toEcho([{ port: "53", protocol: "ANY" }])]))], [cnp(egress([toEcho([{ port: "53", protocol: "TCP" }, { port: "53", protocol: "UDP" }])]))]);
    expectDifferent([cnp(egress([toEcho([{ port: "80", endPort: 90, protocol: "TCP" }])]))], [cnp(egress([toEcho([{ port: "80", protocol: "TCP" }])]))]);
    expectDifferent([cnp(egress([toEcho([{ port: "http", protocol: "TCP" }])]))], [cnp(egress([toEcho([{ port: "80", protocol: "TCP" }])]))]);
  });

  it("every port differs from some ports", () => {
    expectDifferent([cnp(egress([toEcho()]))], [cnp(egress([toEcho([{ port: "80", protocol: "TCP" }])]))]);
  });

  it("allow and deny, ingress and egress", () => {
    expectDifferent([cnp({ endpointSelector: client, egressDeny: [toEcho()] })], [cnp(egress([toEcho()]))]);
    expectDifferent([cnp(ingress([{ fromEntities: ["world"] }]))], [cnp(egress([{ toEntities: ["world"] }]))]);
  });

  it("subject and peer selectors, namespaces and clusters", () => {
    expectDifferent([cnp(egress([toEcho()], { matchLabels: { app: "a" } }))], [cnp(egress([toEcho()]))]);
    expectDifferent([cnp(egress([toEcho()]), "ns1")], [cnp(egress([toEcho()]), "ns2")]);
    expectDifferent([cnp(egress([toEcho()]))], [ccnp(egress([toEcho()], { matchLabels: { app: "client", "io.kubernetes.pod.namespace": "default" } }))]);
    expectDifferent(
      [cnp(egress([{ toEndpoints: [{ matchLabels: { app: "echo" }, matchExpressions: [{ key: "io.cilium.k8s.policy.cluster", operator: "Exists" }] }] }]))],
      [cnp(egress([toEcho()]))],
    );
    expectDifferent([cnp(egress([{ toEndpoints: [{ matchLabels: { app: "echo", "io.cilium.k8s.policy.cluster": "c2" } }] }]))], [cnp(egress([toEcho()]))]);
  });

  it("every pod of the cluster is not every peer, and an empty peer list is no peer", () => {
    expectDifferent([cnp(egress([{ toEndpoints: [{ matchExpressions: [{ key: "io.kubernetes.pod.namespace", operator: "Exists" }] }] }]))], [cnp(egress([{ toEntities: ["all"] }]))]);
    expectDifferent([cnp(egress([{ toEndpoints: [], toPorts: [{ ports: [{ port: "80" }] }] }]))], [cnp(egress([{ toPorts: [{ ports: [{ port: "80" }] }] }]))]);
  });

  it("CIDR except, and CIDR groups", () => {
    expectDifferent([cnp(egress([{ toCIDRSet: [{ cidr: "10.0.0.0/8", except: ["10.96.0.0/12"] }] }]))], [cnp(egress([{ toCIDR: ["10.0.0.0/8"] }]))]);
    expectDifferent([cnp(egress([{ toCIDRSet: [{ cidrGroupRef: "vpn" }] }]))], [cnp(egress([{ toCIDRSet: [{ cidrGroupRef: "other" }] }]))]);
  });

  it("L7 rules: none, allow-all HTTP and one method differ; DNS names differ", () => {
    const withRules = (rules?: Obj): Obj => ({ toEndpoints: [{}], toPorts: [{ ports: [{ port: "80", protocol: "TCP" }], ...(rules ? { rules } : {}) }] });
    expectDifferent([cnp(egress([withRules()]))], [cnp(egress([withRules({ http: [{}] })]))]);
    expectDifferent([cnp(egress([withRules({ http: [{}] })]))], [cnp(egress([withRules({ http: [{ method: "GET" }] })]))]);
    expectDifferent([cnp(egress([withRules({ http: [{ method: "GET", headers: ["X: 1"] }] })]))], [cnp(egress([withRules({ http: [{ method: "GET" }] })]))]);
    expectDifferent([cnp(egress([withRules({ dns: [{ matchPattern: "*.cilium.io" }] })]))], [cnp(egress([withRules({ dns: [{ matchPattern: "*" }] })]))]);
  });

  it("fields it does not model are kept, not dropped", () => {
    const sni = { toPorts: [{ ports: [{ port: "443", protocol: "TCP" }], serverNames: ["one.one.one.one"] }] };
    expectDifferent([cnp(egress([sni]))], [cnp(egress([{ toPorts: [{ ports: [{ port: "443", protocol: "TCP" }] }] }]))]);
    const auth = { ...toEcho([{ port: "80", protocol: "TCP" }]), authentication: { mode: "required" } };
    expectDifferent([cnp(egress([auth]))], [cnp(egress([toEcho([{ port: "80", protocol: "TCP" }])]))]);
    expectDifferent([cnp(ingress([{ fromRequires: [{ matchLabels: { env: "prod" } }] }]))], [cnp(ingress([{}]))]);
  });

  it("default deny: a rule that turns it on for more pods, and enableDefaultDeny: false", () => {
    // Same atoms, but one side also turns egress default deny on for the whole namespace.
    const rule = cnp(egress([toEcho()]));
    const denyAll = cnp({ endpointSelector: {}, egress: [{}] });
    expect(diff([rule, denyAll], [rule])).toBe("- pods{io.kubernetes.pod.namespace=default} egress default-deny on");
    expect(diff([rule], [rule, denyAll])).toBe("+ pods{io.kubernetes.pod.namespace=default} egress default-deny on");
    const off = cnp({ ...egress([toEcho()]), enableDefaultDeny: { egress: false } });
    const on = cnp(egress([toEcho()]));
    expectDifferent([off], [on]);
    expectDifferent([on], [off]);
    // Even with ztc's per-namespace default deny, "off" is not "on".
    const ztcDefault = cnp({ endpointSelector: {}, ingress: [{}], egress: [{}] }, "default", { labels: { "ztc.io/policy": "default-deny" } });
    expectDifferent([off], [on, ztcDefault]);
  });

  it("a deny-all upstream is not met by nothing at all", () => {
    expectDifferent([cnp({ endpointSelector: client, ingress: [{}] })], []);
  });

  it("ztc's DNS-proxy rule counts where upstream restricts DNS on the same peer and port", () => {
    const dnsRule = (pattern: string): Obj => ({
      toEndpoints: [{ matchLabels: { "io.kubernetes.pod.namespace": "kube-system", "k8s-app": "kube-dns" } }],
      toPorts: [{ ports: [{ port: "53", protocol: "ANY" }], rules: { dns: [{ matchPattern: pattern }] } }],
    });
    const upstream = [cnp(egress([dnsRule("*.cilium.io"), { toFQDNs: [{ matchName: "cilium.io" }] }]))];
    const ztc = [
      {
        ...cnp({}, "default", { annotations: { "ztc.io/rules": "specs[0].egress[2]: DNS through the cluster resolver's DNS proxy, required by the host rules above" } }),
        spec: undefined,
        specs: [egress([dnsRule("*.cilium.io"), { toFQDNs: [{ matchName: "cilium.io" }] }, dnsRule("*")])],
      },
    ];
    expect(diff(upstream, ztc)).toContain("+ ");
  });

  it("is not vacuous: equivalence needs equal sets", () => {
    const c = compare(normalise([cnp(egress([toEcho()]))]), normalise([]));
    expect(isEquivalent(c)).toBe(false);
    expect(c.missing.length).toBeGreaterThan(0);
  });
});
