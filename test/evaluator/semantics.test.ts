/**
 * Hand-checked cases, one or more per semantic point of ../shared/reference/cilium-semantics.md; each
 * names the section it follows. The expected verdicts were worked out from the text, not from the
 * evaluator's output.
 */
import { describe, expect, it } from "vitest";
import { Evaluator, type EvaluatorOptions, type Flow, type Verdict } from "../../compiler/evaluator/index.js";
import { ccnp, cnp, nsSel, pod, ports, reserved, tcp, udp, world } from "./builders.js";

interface Case {
  readonly name: string;
  readonly section: string;
  readonly policies: readonly Record<string, unknown>[];
  readonly flow: Flow;
  readonly verdict: Verdict;
  /** Expected reasons, when they matter: egress / ingress. */
  readonly egress?: string;
  readonly ingress?: string;
  readonly options?: EvaluatorOptions;
}

const a = pod("a", { app: "client" });
const b = pod("a", { app: "server" }, { namedPorts: [{ name: "http", port: 8080 }] });
const other = pod("b", { app: "server" });
const denyAll = cnp("a", "deny-all", { endpointSelector: {}, ingress: [{}], egress: [{}] });
const ingressFromClient = (extra: Record<string, unknown> = {}) =>
  cnp("a", "server-in", { endpointSelector: { matchLabels: { app: "server" } }, ingress: [{ fromEndpoints: [{ matchLabels: { app: "client" } }], toPorts: ports("8080"), ...extra }] });
const egressOnly = (entry: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
  cnp("a", "client-out", { endpointSelector: { matchLabels: { app: "client" } }, egress: [entry], ...extra });
const dnsRule = { toEndpoints: [{ matchLabels: { "k8s:io.kubernetes.pod.namespace": "kube-system", "k8s:k8s-app": "kube-dns" } }], toPorts: [{ ports: [{ port: "53", protocol: "ANY" }], rules: { dns: [{ matchPattern: "*" }] } }] };

const cases: Case[] = [
  // B1: default deny per direction, deny-only policies, enableDefaultDeny, deny over allow
  { name: "no policy selects either side: allowed", section: "B1", policies: [], flow: tcp(a, b, 80), verdict: "allowed", egress: "no-policy", ingress: "no-policy" },
  { name: "ingress: [{}] and egress: [{}] switch default deny on and allow nothing", section: "B1", policies: [denyAll], flow: tcp(a, b, 80), verdict: "dropped", egress: "default-deny", ingress: "default-deny" },
  { name: "an ingress-only policy leaves egress alone", section: "B1", policies: [ingressFromClient()], flow: tcp(b, a, 80), verdict: "allowed", egress: "no-policy", ingress: "no-policy" },
  { name: "an ingress-only policy makes its subject ingress default-deny", section: "B1", policies: [ingressFromClient()], flow: tcp(other, b, 8080), verdict: "dropped", ingress: "default-deny" },
  {
    name: "a deny-only policy switches ingress default deny on (from_world_deny)",
    section: "B1",
    policies: [cnp("a", "no-world", { endpointSelector: {}, ingressDeny: [{ fromEntities: ["world"] }] })],
    flow: tcp(a, b, 80),
    verdict: "dropped",
    ingress: "default-deny",
  },
  {
    name: "a deny-only policy with enableDefaultDeny.ingress false still denies what it names",
    section: "B1",
    policies: [cnp("a", "no-world", { endpointSelector: {}, enableDefaultDeny: { ingress: false }, ingressDeny: [{ fromEntities: ["world"] }] })],
    flow: tcp(world("1.2.3.4"), b, 80),
    verdict: "dropped",
    ingress: "denied",
  },
  {
    name: "...and allows everything else",
    section: "B1",
    policies: [cnp("a", "no-world", { endpointSelector: {}, enableDefaultDeny: { ingress: false }, ingressDeny: [{ fromEntities: ["world"] }] })],
    flow: tcp(a, b, 80),
    verdict: "allowed",
    ingress: "no-policy",
  },
  {
    name: "deny wins over allow, whatever policy each comes from",
    section: "B1",
    policies: [ingressFromClient(), ccnp("no-8080", { endpointSelector: {}, ingressDeny: [{ toPorts: ports("8080") }] })],
    flow: tcp(a, b, 8080),
    verdict: "dropped",
    ingress: "denied",
  },
  {
    name: "default deny if any selecting rule wants it, even when another says false",
    section: "B1",
    policies: [ingressFromClient(), cnp("a", "relaxed", { endpointSelector: {}, enableDefaultDeny: { ingress: false }, ingress: [{ fromEntities: ["world"] }] })],
    flow: tcp(other, b, 8080),
    verdict: "dropped",
    ingress: "default-deny",
  },
  { name: "pod-to-pod needs the source's egress and the destination's ingress", section: "B1", policies: [egressOnly({ toEndpoints: [{}] }), ingressFromClient()], flow: tcp(a, b, 9090), verdict: "dropped", egress: "allowed", ingress: "default-deny" },
  { name: "init endpoints are always default-deny", section: "B1", policies: [], flow: tcp(reserved("init"), b, 80), verdict: "dropped", egress: "default-deny" },
  { name: "policy enforcement always: every endpoint default-deny", section: "B1", policies: [], flow: tcp(a, b, 80), verdict: "dropped", options: { policyEnforcement: "always" } },
  { name: "policy enforcement never: nothing is enforced", section: "B1", policies: [denyAll], flow: tcp(a, b, 80), verdict: "allowed", egress: "enforcement-disabled", options: { policyEnforcement: "never" } },
  { name: "allow-localhost: the local node reaches default-deny pods", section: "B1", policies: [denyAll], flow: tcp(reserved("host"), b, 80), verdict: "allowed", ingress: "allow-localhost" },
  { name: "allow-localhost=policy: it does not", section: "B1", policies: [denyAll], flow: tcp(reserved("host"), b, 80), verdict: "dropped", options: { allowLocalhost: "policy" } },
  {
    name: "a policy whose only egress entry is toFQDNs makes egress default-deny (DNS dropped)",
    section: "B1, B4",
    policies: [egressOnly({ toFQDNs: [{ matchName: "api.example.com" }] })],
    flow: udp(a, pod("kube-system", { "k8s-app": "kube-dns" }), 53),
    verdict: "dropped",
    egress: "default-deny",
  },
  {
    name: "only enableDefaultDeny false rules select: L7 rules still reject other requests",
    section: "B1, B9",
    policies: [egressOnly({ toPorts: [{ ports: [{ port: "80", protocol: "TCP" }], rules: { http: [{ method: "GET" }] } }] }, { enableDefaultDeny: { egress: false } })],
    flow: tcp(a, world("1.2.3.4"), 80, { http: { method: "POST", path: "/" } }),
    verdict: "l7-denied",
  },
  {
    name: "...while unrelated traffic passes",
    section: "B1",
    policies: [egressOnly({ toPorts: [{ ports: [{ port: "80", protocol: "TCP" }], rules: { http: [{ method: "GET" }] } }] }, { enableDefaultDeny: { egress: false } })],
    flow: tcp(a, world("1.2.3.4"), 443),
    verdict: "allowed",
    egress: "no-policy",
  },

  // B2: empty versus absent peers
  { name: "toPorts without L3 allows any peer on those ports, the world too", section: "B2", policies: [egressOnly({ toPorts: ports("443") })], flow: tcp(a, world("8.8.8.8"), 443), verdict: "allowed", egress: "allowed" },
  { name: "...and only those ports", section: "B2", policies: [egressOnly({ toPorts: ports("443") })], flow: tcp(a, world("8.8.8.8"), 80), verdict: "dropped" },
  { name: "toEndpoints: [] selects nothing", section: "B2", policies: [egressOnly({ toEndpoints: [], toPorts: ports("443") })], flow: tcp(a, b, 443), verdict: "dropped", egress: "default-deny" },
  { name: "toEntities: [] selects nothing", section: "B2", policies: [egressOnly({ toEntities: [], toPorts: ports("443") })], flow: tcp(a, world("8.8.8.8"), 443), verdict: "dropped" },
  { name: "an entry with neither L3 nor L4 allows nothing", section: "B2", policies: [egressOnly({})], flow: tcp(a, b, 443), verdict: "dropped", egress: "default-deny" },
  {
    name: "toServices matching no Service leaves no L3: every peer on its ports (inferred)",
    section: "B2, B8",
    policies: [egressOnly({ toServices: [{ k8sService: { serviceName: "gone", namespace: "a" } }], toPorts: ports("443") })],
    flow: tcp(a, world("8.8.8.8"), 443),
    verdict: "allowed",
    options: { services: [] },
  },
  {
    name: "egressDeny with toServices is never resolved: it denies every peer on its ports (inferred)",
    section: "B2",
    policies: [cnp("a", "x", { endpointSelector: {}, egress: [{ toEntities: ["all"] }], egressDeny: [{ toServices: [{ k8sService: { serviceName: "db", namespace: "a" } }], toPorts: ports("5432") }] })],
    flow: tcp(a, world("8.8.8.8"), 5432),
    verdict: "dropped",
    egress: "denied",
  },

  // B3: namespace and cluster scoping
  { name: "CNP toEndpoints {} is the policy's own namespace", section: "B3", policies: [egressOnly({ toEndpoints: [{}] })], flow: tcp(a, b, 80), verdict: "allowed" },
  { name: "...so another namespace's pod is not selected", section: "B3", policies: [egressOnly({ toEndpoints: [{}] })], flow: tcp(a, other, 80), verdict: "dropped", egress: "default-deny" },
  { name: "an explicit namespace reaches across", section: "B3", policies: [egressOnly({ toEndpoints: [nsSel("b")] })], flow: tcp(a, other, 80), verdict: "allowed" },
  {
    name: "namespace Exists (without a prefix) selects all namespaces",
    section: "B3",
    policies: [egressOnly({ toEndpoints: [{ matchExpressions: [{ key: "io.kubernetes.pod.namespace", operator: "Exists" }] }] })],
    flow: tcp(a, other, 80),
    verdict: "allowed",
  },
  { name: "CCNP fromEndpoints {} means every namespace", section: "B3", policies: [ccnp("all-pods", { endpointSelector: {}, ingress: [{ fromEndpoints: [{}] }] })], flow: tcp(other, b, 80), verdict: "allowed" },
  { name: "...but only Cilium-managed pods, never nodes", section: "B3", policies: [ccnp("all-pods", { endpointSelector: {}, ingress: [{ fromEndpoints: [{}] }] })], flow: tcp(reserved("remote-node"), b, 80), verdict: "dropped", ingress: "default-deny" },
  {
    name: "a k8s: namespace in a CNP subject is overridden by the policy's own",
    section: "B3",
    policies: [cnp("a", "x", { endpointSelector: nsSel("b"), egress: [{}] })],
    flow: tcp(a, b, 80),
    verdict: "dropped",
    egress: "default-deny",
  },
  {
    name: "namespace labels select namespaces and lift the same-namespace default",
    section: "B3",
    policies: [egressOnly({ toEndpoints: [{ matchLabels: { "io.cilium.k8s.namespace.labels.team": "blue" } }] })],
    flow: tcp(a, pod("b", {}, { namespaceLabels: { team: "blue" } }), 80),
    verdict: "allowed",
  },
  {
    name: "kubernetes.io/metadata.name is a namespace label every namespace has",
    section: "B3",
    policies: [egressOnly({ toEndpoints: [{ matchLabels: { "k8s:io.cilium.k8s.namespace.labels.kubernetes.io/metadata.name": "b" } }] })],
    flow: tcp(a, other, 80),
    verdict: "allowed",
  },
  {
    name: "service accounts are selectable",
    section: "B3",
    policies: [egressOnly({ toEndpoints: [{ matchLabels: { "io.cilium.k8s.policy.serviceaccount": "api" } }] })],
    flow: tcp(a, pod("a", {}, { serviceAccount: "api" }), 80),
    verdict: "allowed",
  },
  {
    name: "...and a different service account is not",
    section: "B3",
    policies: [egressOnly({ toEndpoints: [{ matchLabels: { "io.cilium.k8s.policy.serviceaccount": "api" } }] })],
    flow: tcp(a, pod("a", {}, { serviceAccount: "web" }), 80),
    verdict: "dropped",
  },
  { name: "selectors without a cluster key match the local cluster only", section: "B3", policies: [ingressFromClient()], flow: tcp(pod("a", { app: "client" }, { cluster: "c2" }), b, 8080), verdict: "dropped", egress: "not-enforced", ingress: "default-deny" },
  {
    name: "...remote clusters must be named",
    section: "B3",
    policies: [cnp("a", "x", { endpointSelector: {}, ingress: [{ fromEndpoints: [{ matchLabels: { app: "client" }, matchExpressions: [{ key: "io.cilium.k8s.policy.cluster", operator: "In", values: ["c2"] }] }] }] })],
    flow: tcp(pod("a", { app: "client" }, { cluster: "c2" }), b, 8080),
    verdict: "allowed",
  },
  {
    name: "policy-default-local-cluster off: any cluster",
    section: "B3",
    policies: [ingressFromClient()],
    flow: tcp(pod("a", { app: "client" }, { cluster: "c2" }), b, 8080),
    verdict: "allowed",
    options: { policyDefaultLocalCluster: false },
  },
  {
    name: "labels dropped by Cilium's identity filter never match",
    section: "B3",
    policies: [egressOnly({ toEndpoints: [{ matchLabels: { "pod-template-hash": "abc" } }] })],
    flow: tcp(a, pod("a", { "pod-template-hash": "abc" }), 80),
    verdict: "dropped",
  },
  { name: "reserved: selectors get no namespace or cluster requirement", section: "B3", policies: [egressOnly({ toEndpoints: [{ matchLabels: { "reserved:host": "" } }] })], flow: tcp(a, reserved("host"), 10250), verdict: "allowed" },
  { name: "a k8s: key matches only k8s labels, an unprefixed one any source", section: "B3", policies: [egressOnly({ toEndpoints: [{ matchLabels: { "container:app": "server" } }] })], flow: tcp(a, b, 80), verdict: "dropped" },

  // B4: FQDN rules
  { name: "matchName: the name itself, case-insensitive, trailing dot allowed", section: "B4, A31", policies: [egressOnly({ toFQDNs: [{ matchName: "api.example.com" }] }), egressOnly(dnsRule)], flow: tcp(a, world(undefined, "API.Example.com."), 443), verdict: "allowed" },
  { name: "matchName does not match subdomains", section: "B4, A31", policies: [egressOnly({ toFQDNs: [{ matchName: "example.com" }] }), egressOnly(dnsRule)], flow: tcp(a, world(undefined, "api.example.com"), 443), verdict: "dropped" },
  { name: "*.x matches one label", section: "A31", policies: [egressOnly({ toFQDNs: [{ matchPattern: "*.example.com" }] }), egressOnly(dnsRule)], flow: tcp(a, world(undefined, "api.example.com"), 443), verdict: "allowed" },
  { name: "*.x does not match x", section: "A31", policies: [egressOnly({ toFQDNs: [{ matchPattern: "*.example.com" }] }), egressOnly(dnsRule)], flow: tcp(a, world(undefined, "example.com"), 443), verdict: "dropped" },
  { name: "*.x does not match a.b.x", section: "A31", policies: [egressOnly({ toFQDNs: [{ matchPattern: "*.example.com" }] }), egressOnly(dnsRule)], flow: tcp(a, world(undefined, "a.b.example.com"), 443), verdict: "dropped" },
  { name: "**.x matches several labels", section: "A31", policies: [egressOnly({ toFQDNs: [{ matchPattern: "**.example.com" }] }), egressOnly(dnsRule)], flow: tcp(a, world(undefined, "a.b.example.com"), 443), verdict: "allowed" },
  { name: "toFQDNs without a DNS-proxy rule learns no addresses", section: "B4", policies: [egressOnly({ toFQDNs: [{ matchName: "api.example.com" }] })], flow: tcp(a, world(undefined, "api.example.com"), 443), verdict: "dropped", egress: "default-deny" },
  {
    name: "toFQDNs when the DNS rule refuses the name",
    section: "B4",
    policies: [egressOnly({ toFQDNs: [{ matchName: "api.example.com" }] }), egressOnly({ ...dnsRule, toPorts: [{ ports: [{ port: "53", protocol: "ANY" }], rules: { dns: [{ matchName: "other.example.com" }] } }] })],
    flow: tcp(a, world(undefined, "api.example.com"), 443),
    verdict: "dropped",
  },
  { name: "toFQDNs never matches an in-cluster pod", section: "B4", policies: [egressOnly({ toFQDNs: [{ matchPattern: "*" }] }), egressOnly(dnsRule)], flow: tcp(a, b, 443), verdict: "dropped" },
  { name: "DNS L7: an allowed query", section: "B4", policies: [egressOnly(dnsRule)], flow: udp(a, pod("kube-system", { "k8s-app": "kube-dns" }), 53, { dns: "api.example.com." }), verdict: "allowed" },
  {
    name: "DNS L7: a refused query is REFUSED, not a drop",
    section: "B4, B9",
    policies: [egressOnly({ ...dnsRule, toPorts: [{ ports: [{ port: "53", protocol: "ANY" }], rules: { dns: [{ matchPattern: "*.example.com" }] } }] })],
    flow: udp(a, pod("kube-system", { "k8s-app": "kube-dns" }), 53, { dns: "evil.org." }),
    verdict: "l7-denied",
  },

  // B5: entities
  { name: "world: outside the cluster", section: "B5", policies: [egressOnly({ toEntities: ["world"] })], flow: tcp(a, world("8.8.8.8"), 443), verdict: "allowed" },
  { name: "world: not a pod", section: "B5", policies: [egressOnly({ toEntities: ["world"] })], flow: tcp(a, b, 443), verdict: "dropped" },
  { name: "world-ipv6 is the IPv6 world only", section: "B5", policies: [egressOnly({ toEntities: ["world-ipv6"] })], flow: tcp(a, world("8.8.8.8"), 443), verdict: "dropped" },
  { name: "cluster: local pods", section: "B5", policies: [egressOnly({ toEntities: ["cluster"] })], flow: tcp(a, other, 443), verdict: "allowed" },
  { name: "cluster: reserved identities of the cluster", section: "B5", policies: [egressOnly({ toEntities: ["cluster"] })], flow: tcp(a, reserved("kube-apiserver"), 443), verdict: "allowed" },
  { name: "cluster: not another cluster's pods", section: "B5", policies: [egressOnly({ toEntities: ["cluster"] })], flow: tcp(a, pod("b", {}, { cluster: "c2" }), 443), verdict: "dropped" },
  { name: "cluster-mesh: other clusters' pods too", section: "B5 (§0 newer)", policies: [egressOnly({ toEntities: ["cluster-mesh"] })], flow: tcp(a, pod("b", {}, { cluster: "c2" }), 443), verdict: "allowed" },
  { name: "cluster: not the world", section: "B5", policies: [egressOnly({ toEntities: ["cluster"] })], flow: tcp(a, world("8.8.8.8"), 443), verdict: "dropped" },
  { name: "all: everything", section: "B5", policies: [egressOnly({ toEntities: ["all"] })], flow: tcp(a, world("8.8.8.8"), 443), verdict: "allowed" },
  { name: "none: nothing", section: "B5", policies: [egressOnly({ toEntities: ["none"] })], flow: tcp(a, b, 443), verdict: "dropped" },
  ...(["host", "remote-node", "kube-apiserver", "health", "ingress", "unmanaged"] as const).flatMap((e): Case[] => [
    { name: `${e}: its own identity`, section: "B5", policies: [egressOnly({ toEntities: [e] })], flow: tcp(a, reserved(e), 443), verdict: "allowed" },
    { name: `${e}: not another reserved identity`, section: "B5", policies: [egressOnly({ toEntities: [e] })], flow: tcp(a, reserved(e === "host" ? "remote-node" : "host"), 443), verdict: "dropped" },
  ]),
  { name: "init: the init identity", section: "B5", policies: [ccnp("init", { endpointSelector: {}, ingress: [{ fromEntities: ["init"] }] })], flow: tcp(reserved("init"), b, 80), verdict: "dropped", egress: "default-deny", ingress: "allowed" },

  // B7: CIDR
  { name: "toCIDR matches outside addresses", section: "B7", policies: [egressOnly({ toCIDR: ["10.0.0.0/8"] })], flow: tcp(a, world("10.1.2.3"), 5432), verdict: "allowed" },
  { name: "toCIDR never matches a pod, whatever its address", section: "B7", policies: [egressOnly({ toCIDR: ["10.0.0.0/8"] })], flow: tcp(a, pod("b", {}, { ip: "10.1.2.3" }), 5432), verdict: "dropped" },
  { name: "toCIDR never matches nodes by default", section: "B7", policies: [egressOnly({ toCIDR: ["10.0.0.0/8"] })], flow: tcp(a, reserved("remote-node", { ip: "10.1.2.3" }), 5432), verdict: "dropped" },
  { name: "policy-cidr-match-mode=nodes: nodes too", section: "B7", policies: [egressOnly({ toCIDR: ["10.0.0.0/8"] })], flow: tcp(a, reserved("remote-node", { ip: "10.1.2.3" }), 5432), verdict: "allowed", options: { cidrMatchesNodes: true } },
  { name: "toCIDRSet except carves out", section: "B7, A12", policies: [egressOnly({ toCIDRSet: [{ cidr: "10.0.0.0/8", except: ["10.9.0.0/16"] }] })], flow: tcp(a, world("10.9.1.1"), 5432), verdict: "dropped" },
  { name: "a bare IP in toCIDR is a /32", section: "A11", policies: [egressOnly({ toCIDR: ["192.0.2.1"] })], flow: tcp(a, world("192.0.2.1"), 80), verdict: "allowed" },
  { name: "IPv6 CIDRs", section: "B7", policies: [egressOnly({ toCIDR: ["2001:db8::/32"] })], flow: tcp(a, world("2001:db8::1"), 80), verdict: "allowed" },
  {
    name: "cidrGroupRef resolves through CiliumCIDRGroups",
    section: "A13",
    policies: [egressOnly({ toCIDRSet: [{ cidrGroupRef: "partners" }] })],
    flow: tcp(a, world("203.0.113.9"), 443),
    verdict: "allowed",
    options: { cidrGroups: [{ name: "partners", cidrs: ["203.0.113.0/24"] }] },
  },

  {
    name: "cidrGroupSelector selects CiliumCIDRGroups by their labels",
    section: "A13",
    policies: [egressOnly({ toCIDRSet: [{ cidrGroupSelector: { matchLabels: { vendor: "stripe" } } }] })],
    flow: tcp(a, world("203.0.113.9"), 443),
    verdict: "allowed",
    options: { cidrGroups: [{ name: "other", labels: { vendor: "paypal" }, cidrs: ["198.51.100.0/24"] }, { name: "stripe", labels: { vendor: "stripe" }, cidrs: ["203.0.113.0/24"] }] },
  },
  {
    name: "...and no other group's addresses",
    section: "A13",
    policies: [egressOnly({ toCIDRSet: [{ cidrGroupSelector: { matchLabels: { vendor: "stripe" } } }] })],
    flow: tcp(a, world("198.51.100.9"), 443),
    verdict: "dropped",
    options: { cidrGroups: [{ name: "other", labels: { vendor: "paypal" }, cidrs: ["198.51.100.0/24"] }, { name: "stripe", labels: { vendor: "stripe" }, cidrs: ["203.0.113.0/24"] }] },
  },

  // Ports and protocols (A15-A18)
  { name: "ANY is TCP, UDP and SCTP", section: "A17", policies: [egressOnly({ toPorts: [{ ports: [{ port: "53", protocol: "ANY" }] }] })], flow: udp(a, world("9.9.9.9"), 53), verdict: "allowed" },
  { name: "an omitted protocol is ANY", section: "A17", policies: [egressOnly({ toPorts: [{ ports: [{ port: "53" }] }] })], flow: { source: a, destination: world("9.9.9.9"), protocol: "SCTP", port: 53 }, verdict: "allowed" },
  { name: "ANY is not ICMP", section: "A17", policies: [egressOnly({ toPorts: [{ ports: [{ port: "0", protocol: "ANY" }] }] })], flow: { source: a, destination: world("9.9.9.9"), protocol: "ICMPv4", icmpType: 8 }, verdict: "dropped" },
  { name: "TCP rules do not allow UDP", section: "A17", policies: [egressOnly({ toPorts: ports("53") })], flow: udp(a, world("9.9.9.9"), 53), verdict: "dropped" },
  { name: "endPort makes a range", section: "A18", policies: [egressOnly({ toPorts: [{ ports: [{ port: "8000", endPort: 8999, protocol: "TCP" }] }] })], flow: tcp(a, world("9.9.9.9"), 8500), verdict: "allowed" },
  { name: "endPort <= port is ignored", section: "A18", policies: [egressOnly({ toPorts: [{ ports: [{ port: "8000", endPort: 7000, protocol: "TCP" }] }] })], flow: tcp(a, world("9.9.9.9"), 7500), verdict: "dropped" },
  { name: "port 0 is every port of the protocol", section: "A16", policies: [egressOnly({ toPorts: [{ ports: [{ port: "0", protocol: "TCP" }] }] })], flow: tcp(a, world("9.9.9.9"), 31337), verdict: "allowed" },
  { name: "ports are parsed like Go's ParseUint(s, 0, 16): '010' is 8", section: "A15", policies: [egressOnly({ toPorts: ports("010") })], flow: tcp(a, world("9.9.9.9"), 8), verdict: "allowed" },
  { name: "named ports resolve against the destination (egress)", section: "B9", policies: [egressOnly({ toEndpoints: [{}], toPorts: ports("http") })], flow: tcp(a, b, 8080), verdict: "allowed" },
  { name: "...a named port another pod does not have", section: "B9", policies: [egressOnly({ toEndpoints: [{}], toPorts: ports("http") })], flow: tcp(a, pod("a", { app: "x" }), 8080), verdict: "dropped" },
  {
    name: "named ports on ingress resolve against the subject",
    section: "B9",
    policies: [cnp("a", "x", { endpointSelector: { matchLabels: { app: "server" } }, ingress: [{ toPorts: ports("HTTP") }] })],
    flow: tcp(a, b, 8080),
    verdict: "allowed",
  },
  { name: "a toPorts item without ports contributes nothing", section: "A19", policies: [egressOnly({ toPorts: [{}] })], flow: tcp(a, world("9.9.9.9"), 80), verdict: "dropped" },

  // ICMP (A10, A32)
  { name: "icmps: EchoRequest", section: "A32", policies: [egressOnly({ icmps: [{ fields: [{ type: "EchoRequest", family: "IPv4" }] }] })], flow: { source: a, destination: world("9.9.9.9"), protocol: "ICMPv4", icmpType: 8 }, verdict: "allowed" },
  { name: "icmps: another type", section: "A32", policies: [egressOnly({ icmps: [{ fields: [{ type: 8 }] }] })], flow: { source: a, destination: world("9.9.9.9"), protocol: "ICMPv4", icmpType: 0 }, verdict: "dropped" },
  { name: "icmps: IPv6 EchoRequest is 128", section: "A32", policies: [egressOnly({ icmps: [{ fields: [{ type: "EchoRequest", family: "IPv6" }] }] })], flow: { source: a, destination: world("2001:db8::1"), protocol: "ICMPv6", icmpType: 128 }, verdict: "allowed" },
  { name: "an L3-only allow allows ICMP too", section: "B9", policies: [egressOnly({ toEntities: ["world"] })], flow: { source: a, destination: world("9.9.9.9"), protocol: "ICMPv4", icmpType: 8 }, verdict: "allowed" },
  { name: "with L4 rules, unrelated ICMP is blocked", section: "B9", policies: [egressOnly({ toEntities: ["world"], toPorts: ports("443") })], flow: { source: a, destination: world("9.9.9.9"), protocol: "ICMPv4", icmpType: 8 }, verdict: "dropped" },

  // B9: L7
  {
    name: "HTTP path is matched whole: /public is not /public/x",
    section: "B9",
    policies: [ingressFromClient({ toPorts: [{ ports: [{ port: "8080", protocol: "TCP" }], rules: { http: [{ path: "/public" }] } }] })],
    flow: tcp(a, b, 8080, { http: { method: "GET", path: "/public/x" } }),
    verdict: "l7-denied",
  },
  {
    name: "HTTP method is a regex",
    section: "B9",
    policies: [ingressFromClient({ toPorts: [{ ports: [{ port: "8080", protocol: "TCP" }], rules: { http: [{ method: "GET|HEAD", path: "/v1/.*" }] } }] })],
    flow: tcp(a, b, 8080, { http: { method: "HEAD", path: "/v1/items" } }),
    verdict: "allowed",
  },
  {
    name: "HTTP headers: presence",
    section: "B9",
    policies: [ingressFromClient({ toPorts: [{ ports: [{ port: "8080", protocol: "TCP" }], rules: { http: [{ headers: ["X-Token"] }] } }] })],
    flow: tcp(a, b, 8080, { http: { method: "GET", path: "/", headers: { "x-token": "1" } } }),
    verdict: "allowed",
  },
  {
    name: "HTTP headers: 'Name: value' needs that value",
    section: "B9",
    policies: [ingressFromClient({ toPorts: [{ ports: [{ port: "8080", protocol: "TCP" }], rules: { http: [{ headers: ["X-Env: prod"] }] } }] })],
    flow: tcp(a, b, 8080, { http: { method: "GET", path: "/", headers: { "X-Env": "dev" } } }),
    verdict: "l7-denied",
  },
  {
    name: "HTTP host is a regex on the whole host",
    section: "B9",
    policies: [ingressFromClient({ toPorts: [{ ports: [{ port: "8080", protocol: "TCP" }], rules: { http: [{ host: "api\\.example\\.com" }] } }] })],
    flow: tcp(a, b, 8080, { http: { method: "GET", path: "/", host: "api.example.com.evil.org" } }),
    verdict: "l7-denied",
  },
  {
    name: "an L7 violation with no request given: allowed at L4, L7 undecided",
    section: "B9",
    policies: [ingressFromClient({ toPorts: [{ ports: [{ port: "8080", protocol: "TCP" }], rules: { http: [{ path: "/public" }] } }] })],
    flow: tcp(a, b, 8080),
    verdict: "allowed",
  },
  {
    name: "the same peer and port also allowed without L7: the L7 rules become allow-all",
    section: "B9",
    policies: [
      ingressFromClient({ toPorts: [{ ports: [{ port: "8080", protocol: "TCP" }], rules: { http: [{ path: "/public" }] } }] }),
      cnp("a", "plain", { endpointSelector: { matchLabels: { app: "server" } }, ingress: [{ fromEndpoints: [{}], toPorts: [{ ports: [{ port: "8080", protocol: "ANY" }] }] }] }),
    ],
    flow: tcp(a, b, 8080, { http: { method: "DELETE", path: "/admin" } }),
    verdict: "allowed",
  },
  {
    name: "a plain allow of all ports is a less specific entry: the L7 port entry still applies (inferred)",
    section: "B9",
    policies: [
      ingressFromClient({ toPorts: [{ ports: [{ port: "8080", protocol: "TCP" }], rules: { http: [{ path: "/public" }] } }] }),
      cnp("a", "plain", { endpointSelector: { matchLabels: { app: "server" } }, ingress: [{ fromEndpoints: [{}] }] }),
    ],
    flow: tcp(a, b, 8080, { http: { method: "GET", path: "/admin" } }),
    verdict: "l7-denied",
  },
  {
    name: "egress HTTP rules on toFQDNs",
    section: "B4, B9",
    policies: [egressOnly({ toFQDNs: [{ matchName: "api.example.com" }], toPorts: [{ ports: [{ port: "443", protocol: "TCP" }], rules: { http: [{ method: "GET" }] } }] }), egressOnly(dnsRule)],
    flow: tcp(a, world(undefined, "api.example.com"), 443, { http: { method: "POST", path: "/" } }),
    verdict: "l7-denied",
  },

  // B8: services
  {
    name: "toServices with a selector: the Service's pods in its namespace",
    section: "B8",
    policies: [egressOnly({ toServices: [{ k8sService: { serviceName: "db", namespace: "b" } }], toPorts: ports("5432") })],
    flow: tcp(a, pod("b", { app: "db" }), 5432),
    verdict: "allowed",
    options: { services: [{ namespace: "b", name: "db", selector: { app: "db" } }, { namespace: "a", name: "db", selector: { app: "other" } }] },
  },
  {
    name: "...not pods of the same labels elsewhere",
    section: "B8",
    policies: [egressOnly({ toServices: [{ k8sService: { serviceName: "db", namespace: "b" } }], toPorts: ports("5432") })],
    flow: tcp(a, pod("a", { app: "db" }), 5432),
    verdict: "dropped",
    options: { services: [{ namespace: "b", name: "db", selector: { app: "db" } }] },
  },
  {
    name: "toServices without a selector: its backends as CIDRs (never pods)",
    section: "B8",
    policies: [egressOnly({ toServices: [{ k8sServiceSelector: { selector: { matchLabels: { tier: "ext" } } } }], toPorts: ports("443") })],
    flow: tcp(a, world("203.0.113.5"), 443),
    verdict: "allowed",
    options: { services: [{ namespace: "b", name: "ext", labels: { tier: "ext" }, backends: ["203.0.113.5"] }] },
  },
  {
    name: "toServices without a service catalogue matches nothing",
    section: "B8",
    policies: [egressOnly({ toServices: [{ k8sService: { serviceName: "db", namespace: "b" } }], toPorts: ports("5432") })],
    flow: tcp(a, pod("b", { app: "db" }), 5432),
    verdict: "dropped",
  },

  // B6: host policies
  {
    name: "nodeSelector policies make the host default-deny",
    section: "B6",
    policies: [ccnp("host", { nodeSelector: {}, ingress: [{ fromEntities: ["remote-node"] }] })],
    flow: tcp(a, reserved("host"), 10250),
    verdict: "dropped",
    ingress: "default-deny",
  },
  {
    name: "...and allow what they name",
    section: "B6",
    policies: [ccnp("host", { nodeSelector: { matchLabels: { role: "worker" } }, ingress: [{ fromEntities: ["remote-node"] }] })],
    flow: tcp(reserved("remote-node"), reserved("host", { nodeLabels: { role: "worker" } }), 10250),
    verdict: "allowed",
  },
  {
    name: "fromNodes selects nodes by their labels",
    section: "B6, A8",
    policies: [cnp("a", "x", { endpointSelector: {}, ingress: [{ fromNodes: [{ matchLabels: { role: "worker" } }] }] })],
    flow: tcp(reserved("remote-node", { nodeLabels: { role: "worker" } }), b, 80),
    verdict: "allowed",
  },
  {
    name: "...and not other nodes",
    section: "B6, A8",
    policies: [cnp("a", "x", { endpointSelector: {}, ingress: [{ fromNodes: [{ matchLabels: { role: "worker" } }] }] })],
    flow: tcp(reserved("remote-node", { nodeLabels: { role: "control-plane" } }), b, 80),
    verdict: "dropped",
  },
  {
    name: "endpointSelector rules never select the host",
    section: "B6",
    policies: [ccnp("pods", { endpointSelector: {}, ingress: [{}] })],
    flow: tcp(a, reserved("host"), 10250),
    verdict: "allowed",
    ingress: "no-policy",
  },
  {
    name: "host firewall off: host policies are not enforced",
    section: "B6",
    policies: [ccnp("host", { nodeSelector: {}, ingress: [{}] })],
    flow: tcp(a, reserved("host"), 10250),
    verdict: "allowed",
    options: { hostFirewall: false },
  },

  // B10 / A: objects
  {
    name: "spec and specs both apply",
    section: "B10",
    policies: [{ ...cnp("a", "both", [{ endpointSelector: {}, egress: [{ toEntities: ["world"] }] }]), spec: { endpointSelector: {}, ingress: [{}] } }],
    flow: tcp(world("8.8.8.8"), b, 80),
    verdict: "dropped",
  },
  {
    name: "one invalid rule invalidates the whole object: it enforces nothing",
    section: "B10, A6",
    policies: [cnp("a", "bad", [{ endpointSelector: {}, egress: [{}] }, { endpointSelector: {}, egress: [{ toEntities: ["world"], toCIDR: ["10.0.0.0/8"] }] }])],
    flow: tcp(a, b, 80),
    verdict: "allowed",
  },
  { name: "a nodeSelector in a CNP is rejected", section: "A3", policies: [cnp("a", "bad", { nodeSelector: {}, ingress: [{}] })], flow: tcp(a, reserved("host"), 80), verdict: "allowed" },
  { name: "a rule with no section is rejected (ingress: [] is not a section)", section: "A1", policies: [cnp("a", "bad", { endpointSelector: {}, ingress: [] })], flow: tcp(a, b, 80), verdict: "allowed" },
];

describe("evaluator: hand-checked semantics (cilium-semantics.md)", () => {
  it.each(cases.map((c) => [`${c.section}: ${c.name}`, c] as const))("%s", (_, c) => {
    const ev = new Evaluator(c.policies, c.options);
    const d = ev.evaluate(c.flow);
    expect(d.verdict).toBe(c.verdict);
    if (c.egress) expect(d.egress.reason).toBe(c.egress);
    if (c.ingress) expect(d.ingress.reason).toBe(c.ingress);
  });

  it("reports objects the agent would reject", () => {
    const ev = new Evaluator([cnp("a", "bad", { nodeSelector: {}, ingress: [{}] }), { kind: "ConfigMap" }]);
    expect(ev.problems.map((p) => p.message)).toEqual([expect.stringContaining("cannot have a nodeSelector (A3)"), expect.stringContaining("not a Cilium network policy")]);
  });

  it("names the deciding entries and the .zt lines behind them", () => {
    const annotations = {
      "ztc.io/rules": [
        "specs[0].egressDeny[0]: tenants/a/policy.zt:9: deny egress to cidr 169.254.169.254/32",
        "specs[1].egress[0]: tenants/a/policy.zt:7: allow egress from client to api.example.com:443 [APR-1, APR-2]",
        "specs[1].egress[1]: DNS through the cluster resolver's DNS proxy",
      ].join("\n"),
    };
    const policy = cnp(
      "a",
      "zt-a",
      [
        { endpointSelector: {}, egressDeny: [{ toCIDRSet: [{ cidr: "169.254.169.254/32" }] }] },
        { endpointSelector: { matchLabels: { app: "client" } }, egress: [{ toFQDNs: [{ matchName: "api.example.com" }], toPorts: ports("443") }, dnsRule] },
      ],
      annotations,
    );
    const ev = new Evaluator([policy]);
    const ok = ev.evaluate(tcp(a, world(undefined, "api.example.com"), 443));
    expect(ok.egress.allowedBy).toEqual([
      expect.objectContaining({
        path: "specs[1].egress[0]",
        section: "egress",
        entry: 0,
        rule: "specs[1]",
        policy: { kind: "CiliumNetworkPolicy", name: "zt-a", namespace: "a" },
        sources: [{ file: "tenants/a/policy.zt", line: 7, text: "allow egress from client to api.example.com:443", approvals: ["APR-1", "APR-2"] }],
      }),
    ]);
    const denied = ev.evaluate(tcp(a, world("169.254.169.254"), 80));
    expect(denied.egress).toMatchObject({ verdict: "dropped", reason: "denied" });
    expect(denied.egress.deniedBy[0]?.sources[0]).toMatchObject({ file: "tenants/a/policy.zt", line: 9 });
    const dropped = ev.evaluate(tcp(a, world("8.8.8.8"), 443));
    expect(dropped.egress.reason).toBe("default-deny");
    expect(dropped.egress.defaultDenyBy.map((r) => r.path)).toEqual(["specs[0].egressDeny[0]", "specs[1].egress[0]"]);
    expect(dropped.summary).toMatch(/^dropped: egress default deny/);
    expect(JSON.parse(JSON.stringify(dropped)).summary).toBe(dropped.summary);
  });

  it("reports the entries that neutralise L7 rules", () => {
    const ev = new Evaluator([
      ingressFromClient({ toPorts: [{ ports: [{ port: "8080", protocol: "TCP" }], rules: { http: [{ path: "/public" }] } }] }),
      cnp("a", "plain", { endpointSelector: { matchLabels: { app: "server" } }, ingress: [{ fromEndpoints: [{}], toPorts: ports("8080") }] }),
    ]);
    const d = ev.evaluate(tcp(a, b, 8080, { http: { method: "GET", path: "/admin" } }));
    expect(d.ingress.l7?.neutralisedBy?.map((r) => r.policy.name)).toEqual(["plain"]);
  });

  it("gives the same answers with and without its caches", () => {
    const policies = cases.flatMap((c) => (c.options ? [] : c.policies));
    const warm = new Evaluator(policies);
    const cold = new Evaluator(policies, { memoize: false });
    for (const c of cases) for (let i = 0; i < 2; i++) expect(warm.evaluate(c.flow)).toEqual(cold.evaluate(c.flow));
  });
});
