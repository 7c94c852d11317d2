import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createNodeHost } from "../../compiler/host.js";
import { formatPrefix } from "../../compiler/net/cidr.js";
import { createProgram } from "../../compiler/program.js";
import { actualAnnotations, annotations, show } from "../helpers/annotations.js";
import { DEFAULT_APPROVALS, DEFAULT_TENANTS, DEFAULT_ZTC_YAML, program, TODAY, type ProjectFiles } from "../helpers/project.js";

const PAYMENTS = "tenants/payments/policy.zt";

function check(source: string, extra: ProjectFiles = {}, file = PAYMENTS) {
  const p = program({ [file]: source, ...extra });
  const diags = p.getDiagnostics().filter((d) => d.file === file && d.code !== "ZT5017");
  expect(show(actualAnnotations(source, diags, file))).toEqual(show(annotations(source)));
  return { p, diags };
}

describe("imports", () => {
  it("imports versioned stdlib modules and parses each module once", () => {
    const { p } = check(`import "stdlib/prometheus@1"
tenant payments {
  workload api = app=payments-api
  use prometheus-scrape(port: 9100) for api
}
`, { "tenants/checkout/policy.zt": 'import "stdlib/prometheus@1"\ntenant checkout {\n  workload web = app=web\n  use prometheus-scrape for web\n}\n' });
    expect(p.units.filter((u) => u.path === "stdlib:prometheus@1.zt")).toHaveLength(1);
    expect(p.emit().ok).toBe(true);
  });

  it("requires a stdlib version, with a fix", () => {
    const { diags } = check(`import "stdlib/dns"
//     ^^^^^^^^^^^^ ZT2015
tenant payments allow within namespace
`);
    expect(diags[0]!.fixes?.[0]?.edits[0]?.newText).toBe('"stdlib/dns@1"');
  });

  it("reports missing modules with a suggestion", () => {
    const { diags } = check(`import "stdlib/prometheus-scrape@1"
//     ^^^^^^^^^^^^^^^^^^^^^^^^^^^^ ZT2012
import "./commn.zt"
//     ^^^^^^^^^^^^ ZT2012
tenant payments allow within namespace
`, { "tenants/payments/common.zt": "ruleset x() { allow within namespace }\n" });
    expect(diags.map((d) => d.message)).toEqual([
      "module 'stdlib/prometheus-scrape@1' not found. Did you mean 'stdlib/prometheus@1'?",
      "module './commn.zt' not found. Did you mean './common.zt'?",
    ]);
  });

  it("keeps imports inside the project", () => {
    check(`import "/etc/passwd.zt"
//     ^^^^^^^^^^^^^^^^ ZT2013
import "../../../outside.zt"
//     ^^^^^^^^^^^^^^^^^^^^^ ZT2013
tenant payments allow within namespace
`);
  });

  it("names import cycles", () => {
    const p = program({
      [PAYMENTS]: 'import "./a.zt"\ntenant payments allow within namespace\n',
      "tenants/payments/a.zt": 'import "./b.zt"\n',
      "tenants/payments/b.zt": 'import "./a.zt"\n',
    });
    const cycles = p.getDiagnostics().filter((d) => d.code === "ZT2014");
    expect(cycles.map((d) => `${d.file}: ${d.message}`)).toEqual(["tenants/payments/b.zt: import cycle: tenants/payments/b.zt -> tenants/payments/a.zt -> tenants/payments/b.zt"]);
  });

  it("refuses a module reached through a symbolic link out of the project", () => {
    const root = mkdtempSync(join(tmpdir(), "ztc-mod-"));
    const outside = mkdtempSync(join(tmpdir(), "ztc-out-"));
    temps.push(root, outside);
    writeFileSync(join(outside, "evil.zt"), "export ruleset evil() { allow egress to entity world }\n");
    const files: ProjectFiles = { "ztc.yaml": DEFAULT_ZTC_YAML, "registry/tenants.yaml": DEFAULT_TENANTS, "registry/approvals.yaml": DEFAULT_APPROVALS, [PAYMENTS]: 'import "./evil.zt"\ntenant payments { use evil }\n' };
    for (const [f, text] of Object.entries(files)) {
      mkdirSync(join(root, f, ".."), { recursive: true });
      writeFileSync(join(root, f), text as string);
    }
    symlinkSync(join(outside, "evil.zt"), join(root, "tenants/payments/evil.zt"));
    const p = createProgram(createNodeHost(root), { today: TODAY });
    const codes = p.getDiagnostics().map((d) => d.code);
    expect(codes).toContain("ZT2012");
    expect(p.emit().ok).toBe(false);
  });
});

const temps: string[] = [];
afterAll(() => temps.forEach((t) => rmSync(t, { recursive: true, force: true })));

describe("rule sets", () => {
  const MODULE = `// shared rules of the payments team
export ruleset scrape(port: port = 9090, ns: namespace = monitoring) {
  allow ingress port $port from namespace $ns
}
export ruleset partner(host: host, port: port = 443) {
  allow egress to $host:$port
}
ruleset internal() { allow within namespace }
`;

  it("binds typed arguments and defaults, and applies 'for'", () => {
    const { p } = check(`import "./shared.zt"
tenant payments {
  workload api = app=payments-api
  use scrape for api
  use scrape(port: 9100, ns: ingress-nginx) for api
  use partner(host: api.stripe.com)
}
`, { "tenants/payments/shared.zt": MODULE });
    const atoms = p.getCheck()!.atoms;
    expect(atoms.map((a) => `${a.subject.kind} ${a.direction} ${a.peer.kind === "pods" ? a.peer.description : a.peer.kind === "fqdn" ? a.peer.pattern.text : ""} ${a.ports?.map((x) => x.port).join(",")}`)).toEqual([
      "workload ingress namespace monitoring 9090",
      "workload ingress namespace ingress-nginx 9100",
      "all egress api.stripe.com 443",
    ]);
    expect(atoms[2]!.approvals.map((a) => a.id)).toEqual(["APR-0042"]);
    expect(atoms[0]!.origin.via).toMatchObject({ ruleset: "scrape", file: "tenants/payments/shared.zt", line: 3 });
  });

  it("type-checks arguments and names unknown and missing ones", () => {
    check(`import "./shared.zt"
tenant payments {
  use scrape(port: api.stripe.com)
//                 ^^^^^^^^^^^^^^ ZT3026
  use scrape(prot: 9100)
//           ^^^^ ZT3027
  use scrape(port: 1, port: 2)
//                    ^^^^ ZT3027
  use partner
//    ^^^^^^^ ZT3028
  use partner(host: 10.0.0.0/8)
//                  ^^^^^^^^^^ ZT3026
  use scrape(port: 70000)
//                 ^^^^^ ZT3026
}
`, { "tenants/payments/shared.zt": MODULE });
  });

  it("resolves names: unknown, not exported, ambiguous and qualified", () => {
    const other = "export ruleset scrape() { allow within namespace }\n";
    const { p } = check(`import "./shared.zt"
import "./other.zt"
tenant payments {
  use scrap
//    ^^^^^ ZT2016
  use internal
//    ^^^^^^^^ ZT2017
  use scrape
//    ^^^^^^ ZT2018
  use other.scrape
  use shared.partner(host: api.stripe.com)
}
`, { "tenants/payments/shared.zt": MODULE, "tenants/payments/other.zt": other });
    expect(p.getCheck()!.atoms.map((a) => a.origin.via?.ruleset)).toEqual(["scrape", "scrape", "partner"]);
  });

  it("reports problems inside a rule set at the use, pointing at the rule set", () => {
    const { diags } = check(`import "./shared.zt"
tenant payments {
  use partner(host: api.example.org)
//^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^ ZT3001
}
`, { "tenants/payments/shared.zt": MODULE });
    expect(diags[0]!.related?.[0]).toMatchObject({ file: "tenants/payments/shared.zt", message: "in rule set partner" });
  });

  it("checks declarations: duplicates, types, defaults, variables and cycles", () => {
    const p = program({
      [PAYMENTS]: 'import "./bad.zt"\ntenant payments { use a }\n',
      "tenants/payments/bad.zt": `export ruleset a() { use b }
export ruleset b() { use a }
ruleset c(x: portt) { allow within namespace }
ruleset c() { allow within namespace }
ruleset d(p: port = api.x.com) { allow ingress port $q from namespace monitoring }
ruleset e() { allow ingress port $p from namespace monitoring }
`,
    });
    const file = "tenants/payments/bad.zt";
    const text = p.fileText(file)!;
    const codes = p
      .getDiagnostics()
      .filter((d) => d.file === file)
      .map((d) => `${d.code} ${text.slice(d.span.start, d.span.end)}`);
    expect(codes).toEqual(expect.arrayContaining(["ZT2022 portt", "ZT2019 c", "ZT3026 api.x.com"]));
    expect(p.getDiagnostics().map((d) => d.code)).toContain("ZT2020");
    // $q and $p are only found when the rule sets are used; used from a tenant they are errors.
    const q = program({ [PAYMENTS]: 'import "./v.zt"\ntenant payments { use e }\n', "tenants/payments/v.zt": "export ruleset e(x: port = 1) { allow ingress port $p from namespace monitoring }\n" });
    expect(q.getDiagnostics().filter((d) => d.code === "ZT2023").map((d) => d.message)).toEqual(["$p is not a parameter of rule set 'e'. Did you mean '$x'?"]);
  });
});

describe("baselines", () => {
  const PLATFORM = "platform/baseline.zt";
  const tenants = DEFAULT_TENANTS.replace("  checkout:\n    namespaces: [checkout]", "  checkout:\n    namespaces: [checkout]\n    labels: { tier: web }");

  it("only platform files may declare them", () => {
    check(`  baseline everything {
//^^^^^^^^^^^^^^^^^^^ ZT2021
    applies to all tenants
    allow ingress from entity health port 4240
  }
`);
  });

  it("must say what they apply to, and resolve every form of 'applies to'", () => {
    const { p } = check(
      `import "stdlib/dns@1"
baseline none { use dns }
//       ^^^^ ZT2024
baseline named {
  applies to tenants payments, nobody
//                             ^^^^^^ ZT2001
  applies to namespaces monitoring
  use dns
}
baseline by-label {
  applies to tenants where tier=web
  use dns
}
baseline empty {
//       ^^^^^ ZT3030
  applies to tenants where tier=none
  use dns
}
baseline system {
//       ^^^^^^ ZT3030
  applies to namespaces kube-system
  default deny ingress
  allow ingress from entity health port 4240
}
`,
      { "registry/tenants.yaml": tenants },
      PLATFORM,
    );
    const baselines = p.getCheck()!.bound.baselines.map((b) => `${b.name}: ${b.namespaces.join(" ")}`);
    expect(baselines).toEqual(["named: monitoring payments payments-batch", "by-label: checkout", "empty: ", "system: kube-system"]);
  });

  it("compiles to cluster-wide policies with explicit enableDefaultDeny, within-namespace per namespace", () => {
    const p = program({
      "platform/baseline.zt": `import "stdlib/baseline@1"
import "stdlib/within-namespace@1"
baseline defaults {
  applies to tenants payments
  use zero-trust
  use within-namespace
}
baseline dns-visibility {
  applies to tenants ledger
  visibility only
  allow egress to namespace kube-system workload k8s-app=kube-dns port 53/any dns "*"
}
`,
    });
    const r = p.emit();
    expect(r.ok).toBe(true);
    const ccnps = r.policies.filter((x) => x.manifest.kind === "CiliumClusterwideNetworkPolicy");
    expect(ccnps.map((x) => x.path)).toEqual([
      "clusterwide/zt-baseline-defaults.yaml",
      "clusterwide/zt-baseline-defaults-within-namespace.yaml",
      "clusterwide/zt-baseline-dns-visibility.yaml",
    ]);
    const main = ccnps[0]!.manifest.spec!;
    expect(main["enableDefaultDeny"]).toEqual({ ingress: true, egress: true });
    expect(main["endpointSelector"]).toEqual({ matchExpressions: [{ key: "k8s:io.kubernetes.pod.namespace", operator: "In", values: ["payments", "payments-batch"] }] });
    const within = ccnps[1]!.manifest.specs!;
    expect(within.map((s) => (s["endpointSelector"] as { matchLabels: Record<string, string> }).matchLabels["k8s:io.kubernetes.pod.namespace"])).toEqual(["payments", "payments-batch"]);
    expect(ccnps[2]!.manifest.spec!["enableDefaultDeny"]).toEqual({ ingress: false, egress: false });
  });

  it("checks shared egress against the approvals of every tenant it covers", () => {
    check(
      `baseline shared {
  applies to tenants payments, checkout
  allow egress to *.s3.eu-west-1.amazonaws.com:443
//                ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^ ZT3001
  allow egress to api.stripe.com:443
  allow egress from workload api to api.stripe.com:443
//             ^^^^^^^^^^^^^^^^^ ZT2009
}
`,
      {},
      PLATFORM,
    );
  });
});

describe("coarse-to-fine, approved, namespace *, DNS rules", () => {
  it("warns when a namespace-wide rule is broader than the workload rules beside it", () => {
    const { diags } = check(`tenant payments {
  workload api = app=payments-api
  workload db = app=db
  allow within namespace
//^^^^^^^^^^^^^^^^^^^^^^ ZT3025
  allow ingress to db port 5432 from api
  allow egress from api to db port 5432
}
`);
    expect(diags[0]!.message).toContain("api, db already have egress and ingress rules for part of this traffic (lines 6, 7)");
  });

  it("expands 'approved' to the tenant's approved destinations on the rule's ports", () => {
    const { p } = check(`tenant payments {
  allow egress to approved port 443
//                ^^^^^^^^ ZT3004
//                ^^^^^^^^ ZT3025
  workload api = app=payments-api
  allow egress from api to api.stripe.com:443
}
`);
    const approved = p.getCheck()!.atoms.filter((a) => a.origin.line === 2).map((a) => (a.peer.kind === "fqdn" ? a.peer.pattern.text : a.peer.kind));
    expect(approved).toEqual(["api.stripe.com", "*.s3.eu-west-1.amazonaws.com", "api.soon.example"]);
  });

  it("compiles 'namespace *' to every namespace, and warns that it is broad", () => {
    const { p } = check(`tenant payments {
  allow ingress port 8080 from namespace *
//                             ^^^^^^^^^^^ ZT3012
}
`);
    const spec = p.emit().policies.find((x) => x.manifest.metadata.name === "zt-payments")!.manifest.specs![0]!;
    expect(spec["ingress"]).toEqual([
      { fromEndpoints: [{ matchExpressions: [{ key: "k8s:io.kubernetes.pod.namespace", operator: "Exists" }] }], toPorts: [{ ports: [{ port: "8080", protocol: "TCP" }] }] },
    ]);
  });

  it("checks DNS rules like Cilium's agent", () => {
    check(`tenant payments {
  allow egress to namespace kube-system workload k8s-app=kube-dns port 53/any dns "*.stripe.com", "api.example.org"
  allow ingress from namespace kube-system port 53 dns "*"
//                                                 ^^^ ZT3021
  allow egress to namespace kube-system dns "*"
//                                      ^^^ ZT3021
  allow egress to namespace kube-system port 53-60 dns "*"
//                                                 ^^^ ZT3021
  allow egress to namespace kube-system port 53 dns "bad..name"
//                                                  ^^^^^^^^^^^ ZT3008
  allow egress to namespace kube-system port 53 http GET "/" dns "*"
//                                                           ^^^ ZT3021
}
`);
  });
});

describe("visibility-only baselines", () => {
  it("refuse default deny, written in the baseline or brought in by a rule set", () => {
    check(
      `import "stdlib/baseline@1"
baseline seen {
  applies to tenants payments
  visibility only
  default deny egress
//^^^^^^^^^^^^^^^^^^^ ZT2025
  use zero-trust
//^^^^^^^^^^^^^^ ZT2025
}
`,
      {},
      "platform/baseline.zt",
    );
  });
});

describe("approved", () => {
  it("allows each destination on the ports its approvals cover, and needs ports", () => {
    const { p } = check(`tenant payments {
  allow egress to approved port 443, 5432
//                ^^^^^^^^ ZT3004
  allow egress to approved
//                ^^^^^^^^ ZT3017
}
`);
    const line2 = p.getCheck()!.atoms.filter((a) => a.origin.line === 2);
    expect(line2.map((a) => `${a.peer.kind === "fqdn" ? a.peer.pattern.text : a.peer.kind === "cidr" ? formatPrefix(a.peer.prefix) : a.peer.kind} ${a.portSet.toString()}`)).toEqual([
      "api.stripe.com 443/tcp",
      "*.s3.eu-west-1.amazonaws.com 443/tcp",
      "10.40.0.0/16 5432/tcp",
      "api.soon.example 443/tcp",
    ]);
  });
});

describe("fixes for imports and rule sets", () => {
  const fixOf = (source: string, extra: ProjectFiles = {}) => {
    const p = program({ [PAYMENTS]: source, ...extra });
    const d = p.getDiagnostics().find((x) => x.file === PAYMENTS && x.fixes)!;
    return { d, fix: d.fixes![0]! };
  };

  it("imports the stdlib module that exports a rule set used without its import", () => {
    const { d, fix } = fixOf("// Payments.\ntenant payments {\n  workload api = app=api\n  use kube-apiserver for api\n}\n");
    expect(d.message).toBe("unknown rule set 'kube-apiserver' (stdlib/kube-apiserver@1 exports it; this file does not import that module).");
    expect(fix).toEqual({ title: "Import stdlib/kube-apiserver@1", edits: [{ file: PAYMENTS, span: { start: 12, end: 12 }, newText: '\nimport "stdlib/kube-apiserver@1"\n' }] });
    // After the last import when there are some; at the top when there is nothing above.
    expect(fixOf('import "stdlib/dns@1"\ntenant payments {\n  use within-namespace\n}\n').fix.edits[0]).toMatchObject({ span: { start: 21, end: 21 }, newText: '\nimport "stdlib/within-namespace@1"' });
    expect(fixOf("tenant payments {\n  use within-namespace\n}\n").fix.edits[0]).toMatchObject({ span: { start: 0, end: 0 }, newText: 'import "stdlib/within-namespace@1"\n\n' });
  });

  it("keeps a suggested module path a string", () => {
    expect(fixOf('import "stdlib/prometheus@2"\n').fix.edits[0]!.newText).toBe('"stdlib/prometheus@1"');
  });

  it("exports a project rule set an importer uses, and qualifies an ambiguous one", () => {
    const shared = { "platform/shared.zt": "ruleset db() {\n  allow egress to cidr 10.40.0.0/16 port 5432\n}\n" };
    expect(fixOf('import "../../platform/shared.zt"\ntenant payments {\n  use db\n}\n', shared).fix).toEqual({
      title: "Export rule set 'db' from platform/shared.zt",
      edits: [{ file: "platform/shared.zt", span: { start: 0, end: 0 }, newText: "export " }],
    });
    const two = { "platform/a.zt": "export " + shared["platform/shared.zt"], "platform/b.zt": "export " + shared["platform/shared.zt"] };
    const { d } = fixOf('import "../../platform/a.zt"\nimport "../../platform/b.zt"\ntenant payments {\n  use db\n}\n', two);
    expect(d.fixes!.map((f) => f.title)).toEqual(["Write a.db", "Write b.db"]);
  });
});
