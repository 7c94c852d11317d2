/**
 * The Cilium surface beyond L3/L4: gRPC, Kafka, ICMP, mutual authentication, service accounts,
 * namespace labels, cluster mesh, nodes, CIDR groups, declared services, host firewall policies,
 * staged rollout (audit mode) and strict DNS. Each feature: what it emits, and its diagnostics.
 */
import { describe, expect, it } from "vitest";
import type { Manifest } from "../../compiler/emit.js";
import type { Program } from "../../compiler/program.js";
import { actualAnnotations, annotations, show } from "../helpers/annotations.js";
import { DEFAULT_APPROVALS, DEFAULT_TENANTS, DEFAULT_ZTC_YAML, program, type ProjectFiles } from "../helpers/project.js";

const PAYMENTS = "tenants/payments/policy.zt";
const PLATFORM = "platform/policy.zt";

function ztcYaml(opts: { version?: string; features?: string[]; cluster?: string; mesh?: string[]; lookups?: string } = {}): string {
  let y = DEFAULT_ZTC_YAML.replace('version: "1.19"', `version: "${opts.version ?? "1.19"}"`);
  if (opts.features) y = y.replace(/cilium:\n(.*)\n/, `cilium:\n$1\n  features: [${opts.features.join(", ")}]\n`);
  if (opts.cluster || opts.mesh) y += `cluster:\n${opts.cluster ? `  name: ${opts.cluster}\n` : ""}${opts.mesh ? `  mesh: [${opts.mesh.join(", ")}]\n` : ""}`;
  if (opts.lookups) y += `dns:\n  lookups: ${opts.lookups}\n`;
  return y;
}

/**
 * Compiles `source` as `file`; asserts its annotations. The shared registry's stale approval
 * (ZT5017) and one-sided cross-tenant rules (ZT3015, tested elsewhere) aside.
 */
function check(source: string, extra: ProjectFiles = {}, file = PAYMENTS): Program {
  const p = program({ [file]: source, ...extra });
  const diags = p.getDiagnostics().filter((d) => d.file === file && d.code !== "ZT5017" && d.code !== "ZT3015");
  expect(show(actualAnnotations(source, diags, file))).toEqual(show(annotations(source)));
  return p;
}

function policy(p: Program, name: string, namespace?: string): Manifest {
  const r = p.emit();
  expect(r.diagnostics.filter((d) => d.severity === "error").map((d) => d.message)).toEqual([]);
  const m = r.policies.find((x) => x.manifest.metadata.name === name && (namespace === undefined || x.manifest.metadata.namespace === namespace));
  expect(m, `${name} in ${namespace ?? "(cluster)"}`).toBeDefined();
  return m!.manifest;
}

/** The first rule of a manifest (`specs[i]` or `spec`). */
function rule(m: Manifest, i = 0): Record<string, unknown> {
  return (m.specs?.[i] ?? m.spec) as Record<string, unknown>;
}

describe("gRPC", () => {
  it("compiles methods to POSTs on their paths, next to HTTP rules", () => {
    const p = check(`tenant payments {
  workload api = app=payments-api
  allow ingress to api port 50051 from tenant checkout grpc "billing.v1.Billing/Charge", "billing.v1.Refunds/*" http GET "/healthz"
}
`);
    const ingress = rule(policy(p, "zt-payments", "payments"))["ingress"] as { toPorts: { rules: { http: unknown[] } }[] }[];
    expect(ingress[0]!.toPorts[0]!.rules.http).toEqual([
      { method: "GET", path: "/healthz" },
      { method: "POST", path: "/billing\\.v1\\.Billing/Charge" },
      { method: "POST", path: "/billing\\.v1\\.Refunds/[^/]+" },
    ]);
  });

  it("checks method names and the HTTP preconditions", () => {
    check(`tenant payments {
  workload api = app=payments-api
  allow ingress to api port 50051 from tenant checkout grpc "Billing.Charge"
//                                                          ^^^^^^^^^^^^^^^^ ZT3022
  allow ingress to api from tenant checkout grpc "billing.Billing/Charge"
//                                          ^^^^ ZT3021
  allow ingress to api port 50051/udp from tenant checkout grpc "billing.Billing/Charge"
//                                                         ^^^^ ZT3021
}
`);
  });
});

describe("Kafka", () => {
  const source = `tenant payments {
  workload api = app=payments-api
  allow egress from api to tenant ledger port 9092 kafka produce "orders", consume "audit.events", "shared"
}
`;
  it("emits Kafka rules up to Cilium 1.19, with a deprecation warning from 1.18", () => {
    const p = program({ "ztc.yaml": ztcYaml({ version: "1.18" }), [PAYMENTS]: source });
    expect(p.getDiagnostics().filter((d) => d.file === PAYMENTS && d.code !== "ZT3015").map((d) => d.code)).toEqual(["ZT3031"]);
    const egress = rule(policy(p, "zt-payments", "payments"))["egress"] as { toPorts: { rules: unknown }[] }[];
    expect(egress[0]!.toPorts[0]!.rules).toEqual({ kafka: [{ role: "produce", topic: "orders" }, { role: "consume", topic: "audit.events" }, { topic: "shared" }] });
    const quiet = program({ "ztc.yaml": ztcYaml({ version: "1.17" }), [PAYMENTS]: source });
    expect(quiet.getDiagnostics().filter((d) => d.code === "ZT3031")).toEqual([]);
  });

  it("is an error on Cilium 1.20, which removed Kafka rules", () => {
    const p = program({ "ztc.yaml": ztcYaml({ version: "1.20" }), [PAYMENTS]: source });
    const d = p.getDiagnostics().find((x) => x.code === "ZT4004")!;
    expect(d.message).toBe("Kafka rules is not supported by Cilium 1.20 (the target in ztc.yaml); it needs Cilium 1.19 or earlier (Kafka rules were removed in 1.20)");
    expect(p.emit().ok).toBe(false);
  });

  it("checks roles, topics and ports", () => {
    check(
      `tenant payments {
  allow egress to tenant ledger port 9092 kafka write "orders"
//                                              ^^^^^ ZT3039
  allow egress to tenant ledger port 9092 kafka produce "bad topic!"
//                                                      ^^^^^^^^^^^^ ZT3039
  allow egress to tenant ledger port 9092/udp kafka produce "orders"
//                                            ^^^^^ ZT3021
  allow egress to tenant ledger port 9092 kafka produce "orders" http GET "/"
//                                                               ^^^^ ZT3021
}
`,
      { "ztc.yaml": ztcYaml({ version: "1.17" }) },
    );
  });
});

describe("ICMP", () => {
  it("emits types as numbers per family, in an entry of their own next to the ports", () => {
    const p = check(`tenant payments {
  workload api = app=payments-api
  allow ingress to api port 8080 icmp echo-request, 0 icmpv6 EchoRequest from tenant checkout
}
`);
    const ingress = rule(policy(p, "zt-payments", "payments"))["ingress"] as Record<string, unknown>[];
    expect(ingress.map((e) => Object.keys(e).sort())).toEqual([["fromEndpoints", "toPorts"], ["fromEndpoints", "icmps"]]);
    expect(ingress[1]!["icmps"]).toEqual([
      {
        fields: [
          { type: 8, family: "IPv4" },
          { type: 0, family: "IPv4" },
          { type: 128, family: "IPv6" },
        ],
      },
    ]);
  });

  it("splits more than 40 types into several ICMP rules", () => {
    const types = Array.from({ length: 45 }, (_, i) => i).join(", ");
    const p = check(`tenant payments allow ingress from tenant checkout icmp ${types}\n`);
    const icmps = (rule(policy(p, "zt-payments", "payments"))["ingress"] as { icmps: { fields: unknown[] }[] }[])[0]!.icmps;
    expect(icmps.map((r) => r.fields.length)).toEqual([40, 5]);
  });

  it("refuses names of the other family, unknown names, L7 rules and host names", () => {
    check(`tenant payments {
  allow ingress from tenant checkout icmp packet-too-big
//                                        ^^^^^^^^^^^^^^ ZT3032
  allow ingress from tenant checkout icmpv6 echo-requets
//                                          ^^^^^^^^^^^^ ZT3032
  allow ingress from tenant checkout icmp 300
//                                        ^^^ ZT3032
  allow ingress from tenant checkout port 80 icmp 8 http GET "/"
//                                           ^^^^ ZT3021
  allow egress to api.stripe.com icmp 8
//                ^^^^^^^^^^^^^^ ZT3017
}
`);
  });

  it("needs an approval listing icmp to leave the cluster", () => {
    const approvals = DEFAULT_APPROVALS.replace("blocked:", `  - id: APR-0099
    destination: 203.0.113.0/24
    ports: [icmp]
    tenants: [payments]
    approved-by: secops
    ticket: SEC-9
    expires: 2030-01-01
blocked:`);
    const p = check(
      `tenant payments {
  allow egress to cidr 203.0.113.0/24 icmp echo-request
  allow egress to cidr 10.40.0.0/16 icmp echo-request
//                ^^^^^^^^^^^^^^^^^ ZT3001
}
`,
      { "registry/approvals.yaml": approvals },
    );
    expect(p.getDiagnostics().find((d) => d.code === "ZT3001")!.message).toContain("for ICMP is not covered");
  });
});

describe("mutual authentication", () => {
  it("emits authentication: required when the cluster has mutual auth", () => {
    const p = check(
      `tenant payments {
  workload api = app=payments-api
  allow ingress to api port 8080 from tenant checkout authenticated
}
`,
      { "ztc.yaml": ztcYaml({ features: ["mutual-auth"] }) },
    );
    const ingress = rule(policy(p, "zt-payments", "payments"))["ingress"] as Record<string, unknown>[];
    expect(ingress[0]!["authentication"]).toEqual({ mode: "required" });
  });

  it("needs the feature, allow rules and pods on the other side", () => {
    check(`tenant payments allow ingress port 8080 from tenant checkout authenticated
//                                                           ^^^^^^^^^^^^^ ZT3033
`);
    check(
      `tenant payments {
  deny ingress from tenant checkout authenticated
//                                  ^^^^^^^^^^^^^ ZT3040
  allow egress to cidr 10.40.0.0/16 port 5432 authenticated
//                                            ^^^^^^^^^^^^^ ZT3040
}
`,
      { "ztc.yaml": ztcYaml({ features: ["mutual-auth"] }) },
    );
  });
});

describe("selectors: service accounts and namespace labels", () => {
  it("selects pods by service account", () => {
    const p = check(`tenant payments {
  workload api = serviceaccount payments-api, app=api
  allow ingress to api port 8080 from namespace checkout workload serviceaccount web
}
`);
    const spec = rule(policy(p, "zt-payments", "payments"));
    expect(spec["endpointSelector"]).toEqual({ matchLabels: { app: "api", "io.cilium.k8s.policy.serviceaccount": "payments-api" } });
    const from = (spec["ingress"] as { fromEndpoints: unknown[] }[])[0]!.fromEndpoints;
    expect(from).toEqual([{ matchLabels: { "k8s:io.kubernetes.pod.namespace": "checkout", "io.cilium.k8s.policy.serviceaccount": "web" } }]);
  });

  it("points at the syntax when Cilium's reserved keys are written by hand", () => {
    check(`tenant payments {
  workload api = io.cilium.k8s.policy.serviceaccount=api
//               ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^ ZT2010
}
`);
  });

  it("selects namespaces by their labels", () => {
    const p = check(`tenant payments {
  allow ingress port 9090 from namespace where purpose=monitoring workload app=prometheus
}
`);
    const from = (rule(policy(p, "zt-payments", "payments"))["ingress"] as { fromEndpoints: unknown[] }[])[0]!.fromEndpoints;
    expect(from).toEqual([{ matchLabels: { "k8s:io.cilium.k8s.namespace.labels.purpose": "monitoring", app: "prometheus" } }]);
  });
});

describe("cluster mesh", () => {
  const mesh = { "ztc.yaml": ztcYaml({ cluster: "eu-west", mesh: ["us-east", "ap-south"] }) };

  it("names other clusters, or any cluster", () => {
    const p = check(
      `tenant payments {
  allow ingress port 8080 from tenant checkout in cluster us-east, tenant ledger in any cluster
}
`,
      mesh,
    );
    const from = (rule(policy(p, "zt-payments", "payments"))["ingress"] as { fromEndpoints: unknown[] }[])[0]!.fromEndpoints;
    expect(from).toEqual([
      { matchLabels: { "k8s:io.kubernetes.pod.namespace": "checkout", "k8s:io.cilium.k8s.policy.cluster": "us-east" } },
      {
        matchLabels: { "k8s:io.kubernetes.pod.namespace": "ledger" },
        matchExpressions: [{ key: "k8s:io.cilium.k8s.policy.cluster", operator: "Exists" }],
      },
    ]);
  });

  it("checks cluster names against ztc.yaml", () => {
    check(
      `tenant payments allow ingress from tenant checkout in cluster us-eats port 8080
//                                                            ^^^^^^^ ZT2030
`,
      mesh,
    );
  });

  it("before Cilium 1.19, names this cluster in every other selector, and needs its name", () => {
    const source = `tenant payments {
  allow ingress port 8080 from tenant checkout in cluster us-east
  allow ingress port 8081 from tenant ledger
  allow within namespace
}
`;
    const p = program({ "ztc.yaml": ztcYaml({ version: "1.18", cluster: "eu-west", mesh: ["us-east"] }), [PAYMENTS]: source });
    const text = JSON.stringify(rule(policy(p, "zt-payments", "payments")));
    expect(text.match(/"k8s:io.cilium.k8s.policy.cluster":"eu-west"/g)).toHaveLength(3); // ledger, within (ingress, egress)
    const unnamed = program({ "ztc.yaml": ztcYaml({ version: "1.18", mesh: ["us-east"] }), [PAYMENTS]: source });
    expect(unnamed.getDiagnostics().map((d) => d.code)).toContain("ZT3033");
    // On 1.19 and later Cilium limits selectors to this cluster by itself.
    const modern = program({ ...mesh, [PAYMENTS]: source });
    expect(JSON.stringify(policy(modern, "zt-payments", "payments"))).not.toContain("eu-west");
  });
});

describe("nodes and CIDR groups", () => {
  it("nodes need the node-selector-labels feature", () => {
    check(`tenant payments allow egress to nodes where node-role=worker port 10250
//                              ^^^^^^^^^^^^^^^^^^^^^^^^^^^^ ZT3033
`);
    const p = check(`tenant payments allow egress to nodes where node-role=worker port 10250\n`, { "ztc.yaml": ztcYaml({ features: ["node-selector-labels"] }) });
    expect((rule(policy(p, "zt-payments", "payments"))["egress"] as Record<string, unknown>[])[0]!["toNodes"]).toEqual([{ matchLabels: { "node-role": "worker" } }]);
  });

  it("CIDR groups are referenced by name, and egress to one needs an approval for it", () => {
    const approvals = DEFAULT_APPROVALS.replace("blocked:", `  - id: APR-0098
    destination: cidr-group partner-ips
    ports: [443/tcp]
    tenants: [payments]
    approved-by: secops
    ticket: SEC-8
    expires: 2030-01-01
blocked:`);
    const p = check(
      `tenant payments {
  allow egress to cidr-group partner-ips port 443
  allow egress to cidr-group other-ips port 443
//                ^^^^^^^^^^^^^^^^^^^^ ZT3001
  allow ingress from cidr-group Bad_Name port 443
//                              ^^^^^^^^ ZT2008
}
`,
      { "registry/approvals.yaml": approvals },
    );
    expect(p.getDiagnostics().some((d) => d.code === "ZT3001" && d.fixes?.[0]?.edits[0]?.newText.includes("cidr-group other-ips"))).toBe(true);
    const ok = program({ "registry/approvals.yaml": approvals, [PAYMENTS]: "tenant payments allow egress to cidr-group partner-ips port 443\n" });
    expect((rule(policy(ok, "zt-payments", "payments"))["egress"] as Record<string, unknown>[])[0]!["toCIDRSet"]).toEqual([{ cidrGroupRef: "partner-ips" }]);
  });
});

describe("services", () => {
  const tenants = DEFAULT_TENANTS.replace(
    "services:\n",
    "services:\n  payments/legacy-db:\n    selector: false\n    addresses: [10.40.3.0/24]\n  payments/outside:\n    selector: false\n    addresses: [198.51.100.0/24]\n",
  );
  it("must be declared in the registry", () => {
    check(`tenant payments allow egress to service kube-system/metrics-srever port 443
//                                      ^^^^^^^^^^^^^^^^^^^^^^^^^^ ZT2026
`);
  });

  it("without a selector reach their addresses, which need approvals", () => {
    check(
      `tenant payments {
  allow egress to service payments/legacy-db port 5432
//                ^^^^^^^^^^^^^^^^^^^^^^^^^^ ZT3038
  allow egress to service payments/outside port 443
//                ^^^^^^^^^^^^^^^^^^^^^^^^ ZT3001
//                ^^^^^^^^^^^^^^^^^^^^^^^^ ZT3038
}
`,
      { "registry/tenants.yaml": tenants },
    );
  });
});

describe("host firewall", () => {
  const features = { "ztc.yaml": ztcYaml({ features: ["host-firewall"] }) };
  it("compiles a baseline that applies to nodes to a CCNP with a nodeSelector", () => {
    const p = check(
      `baseline workers {
  applies to nodes where node-role.kubernetes.io/worker
  default deny ingress
  allow ingress from entity remote-node, entity health
//                   ^^^^^^^^^^^^^^^^^^ ZT3014
//                                       ^^^^^^^^^^^^^ ZT3014
  allow ingress port 22 from cidr 10.0.0.0/8
  allow egress to namespace kube-system workload k8s-app=kube-dns port 53/any dns "*"
}
`,
      features,
      PLATFORM,
    );
    const m = policy(p, "zt-baseline-workers");
    expect(m.kind).toBe("CiliumClusterwideNetworkPolicy");
    expect(m.metadata.labels["ztc.io/policy"]).toBe("host-firewall");
    const spec = rule(m);
    expect(spec["nodeSelector"]).toEqual({ matchExpressions: [{ key: "node-role.kubernetes.io/worker", operator: "Exists" }] });
    expect(spec["endpointSelector"]).toBeUndefined();
    expect(spec["enableDefaultDeny"]).toEqual({ ingress: true, egress: false });
  });

  it("keeps host policies apart from pods and L7, and warns without the host firewall", () => {
    check(
      `baseline mixed {
  applies to nodes
  applies to all tenants
//^^^^^^^^^^^^^^^^^^^^^^ ZT2031
}
baseline host-l7 {
//       ^^^^^^^ ZT3034
  applies to nodes
  allow ingress port 80 from cidr 10.0.0.0/8 http GET "/"
//                                           ^^^^ ZT3021
  allow within namespace
//^^^^^^^^^^^^^^^^^^^^^^ ZT2031
}
`,
      {},
      PLATFORM,
    );
  });

  it("approves host egress for the platform tenant, and explains deny rules", () => {
    check(
      `baseline nodes-out {
  applies to nodes
  allow egress to api.stripe.com:443
//                ^^^^^^^^^^^^^^^^^^ ZT3001
  deny egress to cidr 169.254.169.254/32
//^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^ ZT3036
}
`,
      features,
      PLATFORM,
    );
  });
});

describe("staged rollout: audit mode", () => {
  const allowed = { "registry/tenants.yaml": DEFAULT_TENANTS.replace('paths: ["tenants/payments/**"]', 'paths: ["tenants/payments/**"]\n    audit-allowed: true') };

  it("needs the registry's permission", () => {
    check(`tenant payments {
  mode audit
//^^^^^^^^^^ ZT2027
}
`);
  });

  it("emits the tenant's policies without default deny, labelled, and says what still acts", () => {
    const p = check(
      `tenant payments {
  mode audit
  workload api = app=payments-api
  allow egress from api to api.stripe.com:443 http GET "/v1/charges"
//                                            ^^^^ ZT3035
  deny egress to cidr 169.254.169.254/32
//^^^^ ZT3035
}
`,
      allowed,
    );
    const dd = policy(p, "zt-payments-default-deny", "payments");
    expect(dd.metadata.labels["ztc.io/mode"]).toBe("audit");
    expect(dd.spec!["enableDefaultDeny"]).toEqual({ ingress: false, egress: false });
    const rules = policy(p, "zt-payments", "payments");
    expect(rules.metadata.labels["ztc.io/mode"]).toBe("audit");
    expect(rules.specs!.every((s) => JSON.stringify(s["enableDefaultDeny"]) === '{"ingress":false,"egress":false}')).toBe(true);
  });

  it("takes audit tenants out of a baseline's default deny", () => {
    const p = program({
      ...allowed,
      [PAYMENTS]: "tenant payments {\n  mode audit\n}\n",
      [PLATFORM]: 'import "stdlib/baseline@1"\nbaseline defaults {\n  applies to tenants payments, ledger\n  use zero-trust\n}\n',
    });
    const m = policy(p, "zt-baseline-defaults");
    expect(m.specs!.map((s) => [(s["endpointSelector"] as { matchExpressions: { values: string[] }[] }).matchExpressions[0]!.values, s["enableDefaultDeny"]])).toEqual([
      [["ledger"], { ingress: true, egress: true }],
      [["payments", "payments-batch"], { ingress: false, egress: false }],
    ]);
  });

  it("stages a rule set's default deny in a baseline with 'use NAME audit', and refuses it in a tenant", () => {
    const p = check(
      `import "stdlib/baseline@1"
baseline defaults {
  applies to tenants ledger
  use zero-trust audit
}
`,
      {},
      PLATFORM,
    );
    const m = policy(p, "zt-baseline-defaults");
    expect(m.spec!["enableDefaultDeny"]).toEqual({ ingress: false, egress: false });
    expect(m.metadata.annotations["ztc.io/rules"]).toContain("default deny egress, ingress: staged (audit), not enforced");
    check(`import "stdlib/within-namespace@1"
tenant payments {
  use within-namespace audit
//                     ^^^^^ ZT2029
}
`);
  });

  it("keeps one mode per tenant", () => {
    check(
      `tenant payments {
  mode audit
  mode enforce
//     ^^^^^^^ ZT2028
  mode staged
//     ^^^^^^ ZT2029
}
`,
      allowed,
    );
  });
});

describe("strict DNS", () => {
  it("admits only the tenant's hosts, their search-path forms and the cluster's own names", () => {
    const p = check(`tenant payments {
  dns strict
  workload api = app=payments-api
  allow egress from api to api.stripe.com:443
}
`);
    const egress = rule(policy(p, "zt-payments", "payments"))["egress"] as { toPorts: { rules: { dns: unknown[] } }[] }[];
    expect(egress[1]!.toPorts[0]!.rules.dns).toEqual([
      { matchName: "api.stripe.com" },
      { matchName: "api.stripe.com.payments.svc.cluster.local" },
      { matchName: "api.stripe.com.svc.cluster.local" },
      { matchName: "api.stripe.com.cluster.local" },
      { matchPattern: "*.*.svc.cluster.local" },
      { matchPattern: "*.*.*.svc.cluster.local" },
    ]);
  });

  it("is the project's default with dns.lookups: strict, and a baseline that admits every name undoes it", () => {
    const p = program({ "ztc.yaml": ztcYaml({ lookups: "strict" }), [PAYMENTS]: "tenant payments allow egress to api.stripe.com:443\n" });
    expect(JSON.stringify(policy(p, "zt-payments", "payments"))).toContain("api.stripe.com.svc.cluster.local");
    check(
      `tenant payments {
  dns strict
//    ^^^^^^ ZT3037
  allow egress to api.stripe.com:443
}
`,
      { [PLATFORM]: 'import "stdlib/dns@1"\nbaseline dns {\n  applies to all tenants\n  use dns\n}\n' },
    );
  });

  it("leaves a tenant's own DNS allow-list alone, and warns about hosts it leaves out", () => {
    const p = check(`tenant payments {
  workload api = app=payments-api
  allow egress from api to namespace kube-system workload k8s-app=kube-dns port 53/any dns "*.stripe.com"
  allow egress from api to api.stripe.com:443
  allow egress from api to files.example.org:443
//                         ^^^^^^^^^^^^^^^^^^^^^ ZT3041
}
`, { "registry/approvals.yaml": DEFAULT_APPROVALS.replace("destination: api.stripe.com\n", "destination: api.stripe.com\n").replace("blocked:", "  - id: APR-0097\n    destination: files.example.org\n    ports: [443]\n    tenants: [payments]\n    approved-by: secops\n    ticket: SEC-7\n    expires: 2030-01-01\nblocked:") });
    const text = JSON.stringify(policy(p, "zt-payments", "payments"));
    expect(text).not.toContain('"matchPattern":"*"');
  });
});

describe("fixes travel with the new diagnostics", () => {
  const fixOf = (p: Program, code: string) => p.getDiagnostics().find((d) => d.code === code)?.fixes?.[0]?.edits[0]?.newText;
  it("suggests the right spelling or family", () => {
    expect(fixOf(program({ [PAYMENTS]: "tenant payments allow ingress from tenant checkout icmp packet-too-big\n" }), "ZT3032")).toBe("icmpv6");
    expect(fixOf(program({ [PAYMENTS]: "tenant payments allow ingress from tenant checkout icmpv6 echo-requets\n" }), "ZT3032")).toBe("echo-request");
    expect(fixOf(program({ "ztc.yaml": ztcYaml({ mesh: ["us-east"] }), [PAYMENTS]: "tenant payments allow ingress from tenant checkout in cluster us-eats port 80\n" }), "ZT2030")).toBe("us-east");
    expect(fixOf(program({ [PAYMENTS]: "tenant payments allow egress to service kube-system/metrics-srever port 443\n" }), "ZT2026")).toBe("kube-system/metrics-server");
    expect(fixOf(program({ "ztc.yaml": ztcYaml({ version: "1.17" }), [PAYMENTS]: 'tenant payments allow egress to tenant ledger port 9092 kafka prodcue "x"\n' }), "ZT3039")).toBe("produce");
  });
});
