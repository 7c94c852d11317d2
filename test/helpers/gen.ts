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
/** Issue 4 peers: cluster mesh, namespace labels, service accounts, CIDR groups, nodes. */
const meshPeer = fc.constantFrom(
  "tenant ledger in cluster us-east",
  "tenant checkout workload web in any cluster",
  "namespace monitoring in cluster us-east",
  "namespace where purpose=monitoring",
  "namespace where team in (a, b) workload app=x",
  "namespace checkout workload serviceaccount web",
  "cidr-group partner-ips",
  "cidr-group Bad_Group",
  "nodes",
  "nodes where node-role=worker",
);

export const port = fc.oneof(
  fc.integer({ min: 1, max: 65535 }).map(String),
  fc.constantFrom("443", "5432", "8080", "53/udp", "53/any", "8000-8999", "9090/tcp", "http", "7000/sctp"),
);
const ports = fc.array(port, { minLength: 1, maxLength: 3 }).map((ps) => ` port ${ps.join(", ")}`);
const http = fc.constantFrom(' http GET "/v1/.*"', ' http POST "/charges", GET "/charges/[0-9]+"', ' http * "/health" header "X-Id"');
/** L7 and other clauses of issue 4, some invalid on purpose. */
const extra = fc.constantFrom(
  ' grpc "billing.v1.Billing/Charge"',
  ' grpc "billing.Billing/*", "bad method"',
  ' kafka produce "orders", consume "audit"',
  ' kafka write "x"',
  " icmp echo-request, 0",
  " icmpv6 echo-request",
  " icmp packet-too-big",
  " authenticated",
  ' dns "*.stripe.com"',
);

export const rule = fc.oneof(
  fc.record({ subject: fc.option(fc.constantFrom(...workloadNames)), peer: host, port: fc.option(port) }).map(
    ({ subject, peer, port: p }) => `allow egress${subject ? ` from ${subject}` : ""} to ${peer}${p ? `:${p}` : ""}`,
  ),
  fc
    .record({
      action: fc.constantFrom("allow", "deny"),
      dir: fc.constantFrom("ingress", "egress"),
      subject: fc.option(fc.constantFrom(...workloadNames, "namespace payments")),
      peers: fc.array(fc.oneof(cidr, entity, tenantPeer, nsPeer, own, service, meshPeer), { minLength: 1, maxLength: 2 }),
      ports: fc.option(ports),
      http: fc.option(http, { freq: 4 }),
      extra: fc.option(extra, { freq: 3 }),
    })
    .map(({ action, dir, subject, peers, ports: p, http: h, extra: x }) => {
      const s = subject ? `${dir === "egress" ? "from" : "to"} ${subject} ` : "";
      const peerWord = dir === "egress" ? "to" : "from";
      return `${action} ${dir} ${s}${peerWord} ${peers.join(", ")}${p ?? ""}${h ?? ""}${x ?? ""}`;
    }),
  fc.constantFrom("allow within namespace", "allow within namespace port 9000"),
  // Likely-valid uses of the issue 4 surface, so accepted programs carry them too.
  fc.constantFrom(
    'allow egress from api to tenant ledger port 9092 kafka produce "orders", consume "audit"',
    "allow egress from worker to nodes where node-role=worker port 10250",
    'allow ingress to api port 50051 from tenant checkout grpc "billing.v1.Billing/Charge"',
    "allow ingress to api from tenant checkout in cluster us-east icmp echo-request icmpv6 echo-request",
    "allow ingress to api port 8080 from namespace where purpose=monitoring authenticated",
    "allow egress to cidr-group partner-ips port 443",
    "deny egress to cidr 169.254.169.254/32 icmp 8",
  ),
);

/** A platform file with one baseline over namespaces or nodes, built from the same rules. */
export function baselineFile() {
  return fc
    .record({
      scope: fc.constantFrom("applies to all tenants", "applies to tenants payments, ledger", "applies to namespaces monitoring", "applies to nodes", "applies to nodes where node-role=worker"),
      settings: fc.subarray(["default deny ingress", "default deny egress", "visibility only", "mode audit", 'use zero-trust', "use zero-trust audit"]),
      rules: fc.array(rule, { maxLength: 5 }),
    })
    .map(({ scope, settings, rules }) => `import "stdlib/baseline@1"\nbaseline fuzz {\n  ${scope}\n${[...settings, ...rules].map((r) => `  ${r}\n`).join("")}}\n`);
}

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
