import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { atomContains } from "../../compiler/analysis.js";
import { containerIndex } from "../../compiler/overlap-index.js";
import { paymentsProgram } from "../helpers/project.js";

const SUBJECTS = ["", "from api", "from wide", "from narrow", "from pinned", "from namespace payments", "from tenant payments", "from api, pinned"];
const PEERS = [
  "api.stripe.com:443",
  "*.stripe.com:443",
  "*:443",
  "**.example.com:443",
  "cidr 10.40.0.0/16",
  "cidr 10.40.1.0/24",
  "cidr 0.0.0.0/0",
  "cidr 8.0.0.0/5",
  "cidr 2001:db8::/32",
  "entity world",
  "entity all",
  "entity cluster",
  "entity host",
  "tenant ledger",
  "tenant checkout",
  "tenant platform",
  "namespace payments",
  "namespace monitoring workload app=prom",
  "namespace monitoring",
  "namespace *",
  "namespace * workload app=prom",
  "namespace where team=data",
  "cidr-group corp-vpn",
  "nodes",
  "service kube-system/dns",
  "api",
  "wide",
  "within namespace",
];
const PORTS = ["", "port 443", "port 443, 80", "port 1-1000", "port 53/udp"];

describe("overlap index", () => {
  it("never leaves out a rule that contains another", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.constantFrom(...SUBJECTS), fc.constantFrom(...PEERS), fc.constantFrom(...PORTS), fc.boolean(), fc.boolean()), { minLength: 2, maxLength: 25 }), (rules) => {
        const body = rules.map(([s, p, ports, deny, ingress]) =>
          ingress ? `  ${deny ? "deny" : "allow"} ingress ${s.replace("from", "to")} from ${p} ${ports}` : `  ${deny ? "deny" : "allow"} egress ${s} to ${p} ${ports}`,
        ).join("\n");
        const program = paymentsProgram(`tenant payments {
  workload api = app=api
  workload wide = tier=web
  workload narrow = app=api, tier=web
  workload pinned = app=api in namespace payments-batch
${body}
}
`);
        const atoms = program.getCheck()!.atoms;
        const index = containerIndex(atoms);
        for (const b of atoms) {
          const candidates = new Set(index.candidates(b));
          for (const a of atoms) if (a !== b && atomContains(a, b)) expect(candidates.has(a), `${a.origin.text} contains ${b.origin.text}`).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });
});
