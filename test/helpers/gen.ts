/**
 * fast-check generators for .zt sources: rules built from every peer kind, ports and HTTP clauses,
 * including destinations that are not approved or belong to other tenants, so properties see both
 * accepted and rejected programs.
 */
import fc from "fast-check";

export const workloadNames = ["api", "worker", "db"];

const host = fc.constantFrom(
  "api.stripe.com",
  "files.stripe.com",
  "*.stripe.com",
  "eu.s3.eu-west-1.amazonaws.com",
  "*.s3.eu-west-1.amazonaws.com",
  "api.example.org",
  "paste.pastebin.com",
  "*.com",
  "*",
);
const cidr = fc.constantFrom(
  "cidr 10.40.0.0/16",
  "cidr 10.40.0.0/16 except 10.40.9.0/24",
  "cidr 10.40.3.0/24",
  "cidr 10.0.0.0/8",
  "cidr 0.0.0.0/0",
  "cidr 169.254.169.254/32",
  "cidr 192.0.2.0/24",
  "cidr fd00::/8",
);
const entity = fc.constantFrom("world", "cluster", "host", "remote-node", "kube-apiserver", "health", "all").map((e) => `entity ${e}`);
const tenantPeer = fc.constantFrom("tenant ledger", "tenant checkout", "tenant payments", "tenant ledger workload ledger-api", "tenant checkout workload web");
const nsPeer = fc.constantFrom("namespace monitoring", "namespace kube-system workload k8s-app=kube-dns", "namespace checkout", "namespace ingress-nginx workload app=nginx, tier!=debug");
const own = fc.constantFrom(...workloadNames, "within namespace", "workload api");
const service = fc.constantFrom("service kube-system/metrics-server", "service checkout/web");

export const port = fc.oneof(
  fc.integer({ min: 1, max: 65535 }).map(String),
  fc.constantFrom("443", "5432", "8080", "53/udp", "53/any", "8000-8999", "9090/tcp", "http", "7000/sctp"),
);
const ports = fc.array(port, { minLength: 1, maxLength: 3 }).map((ps) => ` port ${ps.join(", ")}`);
const http = fc.constantFrom(' http GET "/v1/.*"', ' http POST "/charges", GET "/charges/[0-9]+"', ' http * "/health" header "X-Id"');

export const rule = fc.oneof(
  fc.record({ subject: fc.option(fc.constantFrom(...workloadNames)), peer: host, port: fc.option(port) }).map(
    ({ subject, peer, port: p }) => `allow egress${subject ? ` from ${subject}` : ""} to ${peer}${p ? `:${p}` : ""}`,
  ),
  fc
    .record({
      action: fc.constantFrom("allow", "deny"),
      dir: fc.constantFrom("ingress", "egress"),
      subject: fc.option(fc.constantFrom(...workloadNames, "namespace payments")),
      peers: fc.array(fc.oneof(cidr, entity, tenantPeer, nsPeer, own, service), { minLength: 1, maxLength: 2 }),
      ports: fc.option(ports),
      http: fc.option(http, { freq: 4 }),
    })
    .map(({ action, dir, subject, peers, ports: p, http: h }) => {
      const s = subject ? `${dir === "egress" ? "from" : "to"} ${subject} ` : "";
      const peerWord = dir === "egress" ? "to" : "from";
      return `${action} ${dir} ${s}${peerWord} ${peers.join(", ")}${p ?? ""}${h ?? ""}`;
    }),
  fc.constantFrom("allow within namespace", "allow within namespace port 9000"),
);

const comment = fc.constantFrom("// note", "/* inline */", "// TODO: narrow this", "/* multi\n   line */");

/** A payments policy file; `noise` sprinkles comments and odd whitespace for formatter tests. */
export function policyFile(noise = false) {
  const spacer = noise ? fc.constantFrom(" ", "  ", "\t", " ") : fc.constant(" ");
  const blank = noise ? fc.constantFrom("\n", "\n\n", "\n\n\n", "\r\n") : fc.constant("\n");
  return fc
    .record({
      rules: fc.array(fc.record({ rule, comment: noise ? fc.option(comment) : fc.constant(null), nl: blank, sp: spacer }), { maxLength: 8 }),
      header: noise ? fc.option(comment) : fc.constant(null),
      oneLine: fc.option(rule, { freq: 3 }),
    })
    .map(({ rules, header, oneLine }) => {
      const body = rules.map(({ rule: r, comment: c, nl, sp }) => `${sp}${r.replace(/ /g, sp)}${c ? ` ${c}` : ""}${nl}`).join("");
      return (
        `${header ? header + "\n" : ""}tenant payments {\n` +
        `  workload api = app=payments-api\n  workload worker = app=payments-worker in namespace payments-batch\n  workload db = app=payments-db, tier in (data)\n` +
        `${body}}\n${oneLine ? `tenant payments ${oneLine}\n` : ""}`
      );
    });
}
