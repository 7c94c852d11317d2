import { describe, expect, it } from "vitest";
import { actualAnnotations, annotations, show } from "../helpers/annotations.js";
import { program, type ProjectFiles } from "../helpers/project.js";

const PAYMENTS = "tenants/payments/policy.zt";

/** Compiles `source` as payments' policy and compares its diagnostics with the annotations. */
function check(source: string, extra: ProjectFiles = {}, file = PAYMENTS) {
  const p = program({ [file]: source, ...extra });
  const diags = p.getDiagnostics().filter((d) => d.file === file);
  expect(show(actualAnnotations(source, diags, file))).toEqual(show(annotations(source)));
  return diags;
}

describe("names and ownership", () => {
  it("reports unknown tenants with a suggestion", () => {
    const [d] = check(`tenant paymnets allow egress api.stripe.com:443
//     ^^^^^^^^ ZT2001
`);
    expect(d!.message).toContain("Did you mean 'payments'?");
  });

  it("refuses a tenant block in a file the tenant does not own", () => {
    check(
      `tenant checkout allow egress api.stripe.com:443
//     ^^^^^^^^ ZT2005
`,
    );
  });

  it("resolves workloads, and reports unknown, duplicate and misplaced ones", () => {
    check(`tenant payments {
  workload api = app=payments-api
  workload api = app=other
//         ^^^ ZT2004
  workload Batch = app=batch
//         ^^^^^ ZT2008
  workload job = app=job in namespace checkout
//                                    ^^^^^^^^ ZT2002
  allow egress from apii to api.stripe.com:443
//                  ^^^^ ZT2003
  allow egress from job to api.stripe.com:443
}
`);
  });

  it("checks namespaces, entities and cross-tenant workloads", () => {
    check(`tenant payments {
  workload api = app=payments-api
  allow ingress to api port 8443 from namespace ingres-nginx
//                                              ^^^^^^^^^^^^ ZT2002
  allow egress from api to entity kube-api-server port 6443
//                                ^^^^^^^^^^^^^^^ ZT2007
  allow egress from api to entity world-ipv4 port 443
//                                ^^^^^^^^^^ ZT2007
  allow egress from api to tenant ledger workload nope port 8443
//                                                ^^^^ ZT2003
  allow egress from api to tenant ledgr port 8443
//                                ^^^^^ ZT2001
}
`);
  });

  it("keeps every subject inside the tenant", () => {
    check(`tenant payments {
  workload api = app=payments-api
  allow egress from namespace checkout to api.stripe.com:443
//                            ^^^^^^^^ ZT2006
  allow egress from api.stripe.com to api.stripe.com:443
//                  ^^^^^^^^^^^^^^ ZT2009
  allow ingress from api to tenant checkout port 80
//                          ^^^^^^^^^^^^^^^ ZT2009
}
`);
  });

  it("validates label selectors", () => {
    check(`tenant payments {
  workload a = io.kubernetes.pod.namespace=checkout
//             ^^^^^^^^^^^^^^^^^^^^^^^^^^^ ZT2010
  workload b = pod-template-hash=5d9f8
//             ^^^^^^^^^^^^^^^^^ ZT2011
  workload c = app="not valid!"
//                 ^^^^^^^^^^^^ ZT2010
  allow egress from a, b, c to api.stripe.com:443
}
`);
  });
});

describe("approvals and the blocklist", () => {
  it("requires an approval for external egress and offers a draft", () => {
    const [d] = check(`tenant payments {
  allow egress to api.example.org:443
//                ^^^^^^^^^^^^^^^^^^^ ZT3001
  allow egress to *.stripe.com:443
//                ^^^^^^^^^^^^^^^^ ZT3001
  allow egress to api.stripe.com:8443
//                ^^^^^^^^^^^^^^^^^^^ ZT3001
  allow egress to cidr 10.40.0.0/16 port 6379
//                ^^^^^^^^^^^^^^^^^ ZT3001
}
`);
    expect(d!.fixes?.[0]?.title).toContain("Request approval");
    expect(d!.fixes?.[0]?.edits[0]?.file).toBe("registry/approvals.yaml");
    expect(d!.fixes?.[0]?.edits[0]?.newText).toContain("approved-by: PENDING");
  });

  it("explains why an approval does not cover a pattern", () => {
    const diags = check(`tenant payments allow egress to *.stripe.com:443
//                              ^^^^^^^^^^^^^^^^ ZT3001
`);
    expect(diags[0]!.message).toContain("APR-0042 approves only api.stripe.com, which does not cover *.stripe.com");
  });

  it("fails on expired approvals and warns before they expire", () => {
    check(`tenant payments {
  allow egress to api.old.example:443
//                ^^^^^^^^^^^^^^^^^^^ ZT3002
  allow egress to api.soon.example:443
//                ^^^^^^^^^^^^^^^^^^^^ ZT3004
}
`);
  });

  it("rejects blocked destinations even when approved", () => {
    check(
      `tenant payments {
  allow egress to paste.pastebin.com:443
//                ^^^^^^^^^^^^^^^^^^^^^^ ZT3003
  allow egress to cidr 169.254.0.0/16 port 80
//                ^^^^^^^^^^^^^^^^^^^ ZT3003
  allow egress to entity world port 443
//                ^^^^^^^^^^^^ ZT3003
//                ^^^^^^^^^^^^ ZT3012
}
`,
    );
  });

  it("accepts approved destinations and records the approvals", () => {
    const p = program({
      [PAYMENTS]: `tenant payments {
  allow egress to api.stripe.com:443, eu.s3.eu-west-1.amazonaws.com:443
  allow egress to cidr 10.40.0.0/16 except 10.40.9.0/24 port 5432
}`,
    });
    expect(p.getDiagnostics().filter((d) => d.severity === "error")).toEqual([]);
    const atoms = p.getCheck()!.atoms;
    expect(atoms.map((a) => a.approvals.map((x) => x.id))).toEqual([["APR-0042"], ["APR-0051"], ["APR-0060"]]);
  });

  it("gives each rule its text without the comments inside it", () => {
    const p = program({
      [PAYMENTS]: `// before
tenant payments {
  // a comment of its own
  allow egress to api.stripe.com:443 // after the first
  allow egress /* inside */ to eu.s3.eu-west-1.amazonaws.com:443
  // between
  allow egress to api.stripe.com:443,
    // in the middle of a list
    eu.s3.eu-west-1.amazonaws.com:443
}
// after`,
    });
    const texts = [...new Set(p.getCheck()!.atoms.map((a) => a.origin.text))];
    expect(texts).toEqual([
      "allow egress to api.stripe.com:443",
      "allow egress to eu.s3.eu-west-1.amazonaws.com:443",
      "allow egress to api.stripe.com:443, eu.s3.eu-west-1.amazonaws.com:443",
    ]);
  });

  it("shares equal peers and port lists between atoms, and keeps unequal ones apart", () => {
    const p = program({
      [PAYMENTS]: `tenant payments {
  allow egress to api.stripe.com:443
  allow egress to api.stripe.com port 443
  allow egress to cidr 10.40.0.0/16 except 10.40.9.0/24 port 5432
  allow egress to cidr 10.40.0.0/16 port 5432
}`,
    });
    const [a, b, c, d] = p.getCheck()!.atoms;
    expect(a!.peer).toBe(b!.peer);
    expect(a!.ports).toBe(b!.ports);
    expect(a!.ports).not.toBe(c!.ports);
    expect(c!.ports).toBe(d!.ports);
    expect(c!.peer).not.toBe(d!.peer);
  });

  it("warns about expired approvals left in the registry", () => {
    const p = program({ [PAYMENTS]: "tenant payments allow within namespace\n" });
    expect(p.getDiagnostics().filter((d) => d.code === "ZT5017").map((d) => d.message)).toEqual([
      "approval APR-0019 expired on 2026-11-20 and approves nothing any more",
    ]);
  });
});

describe("values Cilium would reject", () => {
  it("checks ports and protocols", () => {
    check(`tenant payments {
  allow ingress port 0 from tenant checkout
//                   ^ ZT3006
  allow ingress port 70000 from tenant checkout
//                   ^^^^^ ZT3006
  allow ingress port 9000-8000 from tenant checkout
//                   ^^^^^^^^^ ZT3006
  allow ingress port 53/icmp from tenant checkout
//                      ^^^^ ZT3020
  allow egress to api.stripe.com:443 port 443
//                               ^^^ ZT3019
  allow egress to api.stripe.com:https
//                ^^^^^^^^^^^^^^^^^^^^ ZT3006
  allow ingress port $port from tenant checkout
//                   ^^^^^ ZT2023
}
`);
  });

  it("checks CIDRs and excepts, with fixes", () => {
    const diags = check(`tenant payments {
  deny egress to cidr 10.40.1.0/16
//                    ^^^^^^^^^^^^ ZT3007
  deny egress to cidr 169.254.169.254
//                    ^^^^^^^^^^^^^^^ ZT3007
  deny egress to cidr 10.0.0.0/8 except 11.0.0.0/16
//                                      ^^^^^^^^^^^ ZT3018
  deny egress to cidr 10.0.0.0/8 except fd00::/8
//                                      ^^^^^^^^ ZT3018
  deny egress to cidr 10.0.0.0/8 except 10.0.0.0/8
//               ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^ ZT3018
}
`);
    expect(diags[0]!.fixes?.[0]?.edits[0]?.newText).toBe("10.40.0.0/16");
    expect(diags[1]!.fixes?.[0]?.edits[0]?.newText).toBe("169.254.169.254/32");
  });

  it("checks host names and patterns", () => {
    check(`tenant payments {
  allow egress to api..stripe.com:443
//                ^^^^^^^^^^^^^^^ ZT3008
  allow egress to **.amazonaws.com:443
//                ^^^^^^^^^^^^^^^^ ZT4004
  allow egress to ledger.ledger.svc.cluster.local:8443
//                ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^ ZT3023
}
`);
  });

  it("keeps host names to egress allow rules and services to egress", () => {
    check(`tenant payments {
  allow ingress port 443 from api.stripe.com
//                            ^^^^^^^^^^^^^^ ZT3017
  deny egress to api.stripe.com:443
//               ^^^^^^^^^^^^^^ ZT3017
  deny egress to service kube-system/metrics-server port 443
//               ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^ ZT3017
  allow egress to service default/kubernetes port 443
//                ^^^^^^^^^^^^^^^^^^^^^^^^^^ ZT3017
}
`);
  });

  it("checks HTTP rules", () => {
    check(`tenant payments {
  workload api = app=payments-api
  deny ingress to api port 8080 from tenant checkout http GET "/admin"
//                                                   ^^^^ ZT3021
  allow ingress to api from tenant checkout http GET "/v1"
//                                          ^^^^ ZT3021
  allow ingress to api port 53/udp from tenant checkout http GET "/v1"
//                                                      ^^^^ ZT3021
  allow ingress to api port 8080 from tenant checkout http FETCH "/v1"
//                                                         ^^^^^ ZT3022
  allow ingress to api port 8080 from tenant checkout http GET "/v1/(?!admin).*"
//                                                             ^^^^^^^^^^^^^^^^^ ZT3022
}
`);
  });

  it("rejects clauses that do not fit the rule", () => {
    check(`tenant payments {
  allow within namespace from tenant checkout
//                       ^^^^^^^^^^^^^^^^^^^^ ZT3017
  allow egress port 443
//^^^^^^^^^^^^ ZT1001
  allow egress api.stripe.com:443 to api.stripe.com:443
//                                ^^ ZT1009
}
`);
  });
});

describe("overlaps and breadth", () => {
  it("finds duplicate, redundant and shadowed rules", () => {
    const diags = check(`tenant payments {
  workload api = app=payments-api
  allow egress from api to api.stripe.com:443
  allow egress from api to api.stripe.com:443
//                         ^^^^^^^^^^^^^^^^^^ ZT3009
  deny egress to cidr 10.40.0.0/16
  allow egress from api to cidr 10.40.1.0/24 port 5432
//                         ^^^^^^^^^^^^^^^^^ ZT3010
  allow ingress to api port 8080 from tenant checkout
  allow ingress to api port 8080 from tenant checkout workload web http GET "/x"
//                                    ^^^^^^^^^^^^^^^^^^^^^^^^^^^^ ZT3011
}
`, { "tenants/checkout/policy.zt": "tenant checkout {\n  workload web = app=web\n  allow egress from web to tenant payments port 8080\n}\n" });
    expect(diags.find((d) => d.code === "ZT3011")!.message).toContain("HTTP rules here have no effect");
  });

  it("warns about broad rules, split CIDRs and missing ports", () => {
    check(`tenant payments {
  allow ingress port 443 from entity world
//                            ^^^^^^^^^^^^ ZT3012
  allow ingress port 444 from cidr ::/0
//                            ^^^^^^^^^ ZT3012
  allow ingress port 445 from cidr 0.0.0.0/1
  allow ingress port 446 from cidr 128.0.0.0/1
//                            ^^^^^^^^^^^^^^^^ ZT3013
  allow ingress from namespace monitoring
//                   ^^^^^^^^^^^^^^^^^^^^ ZT3014
}
`);
  });

  it("warns when the other tenant does not match a cross-tenant rule", () => {
    check(
      `tenant payments {
  workload worker = app=payments-worker in namespace payments-batch
  allow egress from worker to tenant ledger port 8443
//                            ^^^^^^^^^^^^^ ZT3015
}
`,
      { "tenants/ledger/policy.zt": "tenant ledger allow ingress port 9000 from tenant payments\n" },
    );
  });

  it("is quiet when both sides agree", () => {
    const p = program({
      [PAYMENTS]: `tenant payments {
  workload worker = app=payments-worker in namespace payments-batch
  allow egress from worker to tenant ledger workload api port 8443
}`,
      "tenants/ledger/policy.zt": `tenant ledger {
  workload api = app=ledger-api
  allow ingress to api port 8443 from tenant payments workload worker
}`,
    });
    expect(p.getDiagnostics().filter((d) => d.code !== "ZT5017")).toEqual([]);
  });
});
