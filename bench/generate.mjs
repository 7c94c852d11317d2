// Generates a deterministic policy repository for benchmarks: N tenants, 20 rules each (three of
// them through stdlib and shared rule sets), 2 approvals each, a platform baseline for every
// tenant, and tests: two `expect` statements in every tenant block, a tests.zt file of its own for
// every tenth tenant, and a platform-wide default-deny proof. Every rule is legal, so the benchmark
// measures the whole pipeline including the writes.
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** `features: false` writes the issue 2 repository: plain rules, no modules, no baselines, no tests. */
export function generate(dir, tenants = 1000, { features = true } = {}) {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, "registry"), { recursive: true });
  const name = (i) => `t${String((i + tenants) % tenants).padStart(4, "0")}`;
  const subnet = (i) => `10.${Math.floor(i / 256) % 256}.${i % 256}.0/24`;
  writeFileSync(
    join(dir, "ztc.yaml"),
    `version: 1\nregistries:\n  tenants: registry/tenants.yaml\n  approvals: registry/approvals.yaml\nsources: ["tenants/**/*.zt", "platform/**/*.zt"]\noutput: out\ncilium:\n  version: "1.19"\n`,
  );
  const reg = ["tenants:", "  platform:", "    platform: true", '    paths: ["platform/**"]'];
  mkdirSync(join(dir, "platform"), { recursive: true });
  if (features) writeFileSync(
    join(dir, "platform/baseline.zt"),
    'import "stdlib/baseline@1"\nimport "stdlib/within-namespace@1"\n\nbaseline defaults {\n  applies to all tenants\n  use zero-trust\n}\n\nbaseline batch {\n  applies to tenants where tier=batch\n  use within-namespace\n}\n',
  );
  if (features) writeFileSync(join(dir, "platform/shared.zt"), "export ruleset metrics-server() {\n  allow egress to service kube-system/metrics-server port 443\n}\n");
  if (features) writeFileSync(join(dir, "platform/tests.zt"), "// Every tenant namespace is default-deny in both directions.\nexpect default deny for all tenants\n");
  const apps = ["approvals:"];
  for (let i = 0; i < tenants; i++) {
    const t = name(i);
    const ns = i % 5 === 0 ? `[${t}, ${t}-batch]` : `[${t}]`;
    reg.push(`  ${t}:`, `    namespaces: ${ns}`, `    owners: [team-${t}]`, `    paths: ["tenants/${t}/**"]`, `    labels: { tier: ${i % 5 === 0 ? "batch" : "web"} }`);
    apps.push(
      `  - id: APR-${i}-A`, `    destination: api-${i}.partner.example`, "    ports: [443/tcp]", `    tenants: [${t}]`,
      "    approved-by: secops", `    ticket: SEC-${i}`, "    expires: 2035-01-01",
      `  - id: APR-${i}-B`, `    destination: ${subnet(i)}`, "    ports: [5432/tcp]", `    tenants: [${t}]`,
      "    approved-by: secops", `    ticket: SEC-${i}`, "    expires: 2035-01-01",
    );
    const prev = name(i - 1);
    const next = name(i + 1);
    const rules = [
      `allow egress from api to api-${i}.partner.example:443`,
      `allow egress from worker to api-${i}.partner.example:443`,
      `allow egress from api to cidr ${subnet(i)} port 5432`,
      `allow egress from db to cidr ${subnet(i)} port 5432`,
      "allow egress from worker to api port 8080",
      "allow ingress to api port 8080 from worker",
      "allow ingress to api port 8443 from namespace ingress-nginx",
      features ? "use prometheus-scrape for api" : "allow ingress to api port 9090 from namespace monitoring workload app.kubernetes.io/name=prometheus",
      `allow egress from api to tenant ${next} workload api port 8080`,
      `allow ingress to api port 8080 from tenant ${prev} workload api`,
      `allow egress from api to tenant ${next} workload api port 8081`,
      `allow ingress to api port 8081 from tenant ${prev} workload api http GET "/v1/.*", POST "/v1/items"`,
      "allow ingress to db port 5432 from api",
      "allow egress from api to db port 5432",
      features ? "use kube-apiserver for worker" : "allow egress from worker to entity kube-apiserver port 6443",
      features ? "use shared.metrics-server for api" : "allow egress from api to service kube-system/metrics-server port 443",
      "deny egress to cidr 169.254.169.254/32",
      "allow within namespace port 7000",
      "allow ingress to worker port 9100 from namespace monitoring",
      "allow ingress to api port 8444 from entity host",
    ];
    const expects = features ? `\n\n  expect api -> api-${i}.partner.example:443 allowed\n  expect worker -> 169.254.169.254:80 denied` : "";
    mkdirSync(join(dir, "tenants", t), { recursive: true });
    writeFileSync(
      join(dir, "tenants", t, "policy.zt"),
      `// generated tenant ${i}\n${features ? 'import "stdlib/prometheus@1"\nimport "stdlib/kube-apiserver@1"\nimport "../../platform/shared.zt"\n\n' : ""}tenant ${t} {\n  workload api    = app=api\n  workload worker = app=worker, tier=batch\n  workload db     = app=db\n\n${rules.map((r) => `  ${r}`).join("\n")}${expects}\n}\n`,
    );
    if (features && i % 10 === 0)
      writeFileSync(
        join(dir, "tenants", t, "tests.zt"),
        `// What ${t}'s policy must do.\nexpect ${t}/api -> ${next}/api:8080 allowed\nexpect ${t}/db -> api-${i}.partner.example:443 denied\nexpect ${prev}/api -> ${t}/api:8081 http GET "/v1/items" allowed\nexpect ${prev}/api -> ${t}/api:8081 http DELETE "/v1/items" denied\nexpect default deny for tenant ${t}\n`,
      );
  }
  reg.push("namespaces:", "  kube-system: {}", "  monitoring: {}", "  ingress-nginx: {}", "services:", "  kube-system/metrics-server: {}");
  writeFileSync(join(dir, "registry/tenants.yaml"), reg.join("\n") + "\n");
  writeFileSync(join(dir, "registry/approvals.yaml"), apps.join("\n") + "\n");
  return { tenants, rules: tenants * 20, approvals: tenants * 2, expectations: features ? tenants * 2 + Math.ceil(tenants / 10) * 5 + 1 : 0 };
}
