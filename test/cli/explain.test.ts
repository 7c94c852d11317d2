import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { main } from "../../compiler/cli/main.js";

const EXAMPLE = join(import.meta.dirname, "../../examples/acme");

/**
 * The example where search has not admitted checkout yet: checkout's egress rule is there, search's
 * ingress rule is not, so the flow is dropped at search's side.
 */
const ONE_SIDED = mkdtempSync(join(tmpdir(), "ztc-explain-"));
cpSync(EXAMPLE, ONE_SIDED, { recursive: true, filter: (src) => !src.includes("/out") });
{
  const f = join(ONE_SIDED, "tenants/search/policy.zt");
  writeFileSync(f, readFileSync(f, "utf8").replace("from workload indexer, tenant checkout workload web", "from workload indexer"));
}
afterAll(() => rmSync(ONE_SIDED, { recursive: true, force: true }));

async function run(args: string[], stdin?: string, cwd = EXAMPLE) {
  let stdout = "";
  let stderr = "";
  const code = await main(args, {
    cwd,
    env: { ZTC_TODAY: "2026-11-21" },
    stdout: (s) => void (stdout += s),
    stderr: (s) => void (stderr += s),
    stderrIsTTY: false,
    readStdin: stdin === undefined ? undefined : () => stdin,
  });
  return { code, stdout, stderr };
}

describe("ztc explain", () => {
  it("an allowed flow: the rule and its .zt line, with the approvals", async () => {
    const r = await run(["explain", "payments/api -> api.stripe.com:443"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("verdict: ALLOWED");
    expect(r.stdout).toContain("tenants/payments/policy.zt:11: allow egress from api to api.stripe.com:443, files.stripe.com:443 [APR-0042, APR-0043]");
    expect(r.stdout).toContain("(CiliumNetworkPolicy payments/zt-payments, specs[1].egress[0])");
  });

  it("a default-deny drop: the missing rule, and the approval that already covers it", async () => {
    const r = await run(["explain", "payments/worker -> api.stripe.com:443"]);
    expect(r.stdout).toContain("verdict: DROPPED");
    expect(r.stdout).toContain("egress (source payments/worker): DROPPED: default deny, no allow rule matches");
    expect(r.stdout).toContain("add to tenants/payments/policy.zt: allow egress from worker to api.stripe.com:443");
    expect(r.stdout).toContain("approval: already covered by APR-0042");
  });

  it("a drop whose fix needs an approval nobody gave", async () => {
    const r = await run(["explain", "payments/api -> api.example.org:443"]);
    expect(r.stdout).toContain("allow egress from api to api.example.org:443");
    expect(r.stdout).toContain("approval: needed, none covers it");
  });

  it("a drop at the other tenant's ingress: the rule that tenant is missing", async () => {
    const r = await run(["explain", "checkout/web -> search/query-api:9200"], undefined, ONE_SIDED);
    expect(r.stdout).toMatch(/egress \(source checkout\/web\): allowed by\n\s+tenants\/checkout\/policy.zt:14:/);
    expect(r.stdout).toContain("add to tenants/search/policy.zt: allow ingress to query-api port 9200 from tenant checkout workload web");
  });

  it("names the rule-set modules behind the deciding rules", async () => {
    const r = await run(["explain", "payments/worker -> entity:kube-apiserver:6443"]);
    expect(r.stdout).toContain("modules behind these rules: stdlib/kube-apiserver@1 (bundled)");
    const j = JSON.parse((await run(["explain", "monitoring/app.kubernetes.io/name=prometheus -> payments/api:9090", "-f", "json"])).stdout);
    expect(j.modules).toEqual(["platform/stdlib/prometheus@1.zt"]);
  });

  it("an explicit deny and an L7 rejection", async () => {
    const deny = await run(["explain", "payments/api -> 169.254.169.254:80"]);
    expect(deny.stdout).toContain("DROPPED: explicitly denied by\n  tenants/payments/policy.zt:29: deny egress to cidr 169.254.169.254/32");
    expect(deny.stdout).toContain("a deny wins over every allow");
    const l7 = await run(["explain", "checkout/web -> payments/api:8080 DELETE /v1/charges/1"]);
    expect(l7.stdout).toContain("verdict: DENIED AT L7");
    expect(l7.stdout).toContain("HTTP 403, not a packet drop");
  });

  it("--format json", async () => {
    const r = await run(["explain", "payments/api -> 10.40.9.7:5432", "-f", "json"]);
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({ verdict: "dropped", egress: { reason: "default-deny" }, ingress: { reason: "not-enforced" } });
    expect(j.fixes[0]).toMatchObject({ direction: "egress", kind: "add-rule", rule: "allow egress from api to cidr 10.40.9.7/32 port 5432", approval: { status: "approved", ids: ["APR-0060"] } });
    const ok = JSON.parse((await run(["explain", "payments/api -> 10.40.1.7:5432", "--format", "json"])).stdout);
    expect(ok.egress.allowedBy[0].sources[0]).toMatchObject({ file: "tenants/payments/policy.zt", line: 15, approvals: ["APR-0060"] });
  });

  it("a Hubble JSON line, and Hubble lines on stdin", async () => {
    const line = JSON.stringify({
      flow: {
        verdict: "DROPPED",
        drop_reason_desc: "POLICY_DENIED",
        IP: { source: "10.0.0.1", destination: "10.0.0.2" },
        l4: { TCP: { destination_port: 9200 } },
        source: { namespace: "checkout", labels: ["k8s:app=checkout-web", "k8s:io.kubernetes.pod.namespace=checkout", "k8s:io.cilium.k8s.policy.cluster=prod-eu-1"] },
        destination: { namespace: "search", labels: ["k8s:app=search-query", "k8s:io.kubernetes.pod.namespace=search"], cluster_name: "prod-eu-1" },
        traffic_direction: "INGRESS",
        is_reply: false,
      },
    });
    const one = await run(["explain", line], undefined, ONE_SIDED);
    expect(one.stdout).toContain("hubble saw: DROPPED, POLICY_DENIED, INGRESS");
    expect(one.stdout).toContain("add to tenants/search/policy.zt: allow ingress to query-api port 9200 from tenant checkout workload web");
    const toWorld = await run([
      "explain",
      JSON.stringify({ flow: { IP: { destination: "52.1.2.3" }, l4: { TCP: { destination_port: 443 } }, source: { namespace: "payments-batch", labels: ["k8s:app=payments-worker"] }, destination: { identity: 2 }, destination_names: ["API.Stripe.com."] } }),
    ]);
    expect(toWorld.stdout).toContain("flow: payments/worker (payments-batch/app=payments-worker) -> API.Stripe.com 443/tcp\nverdict: DROPPED\n\negress");
    expect(toWorld.stdout).toContain("add to tenants/payments/policy.zt: allow egress from worker to api.stripe.com:443\n  approval: already covered by APR-0042");
    const many = await run(["explain", "-", "-f", "json"], `${line}\n{"lost_events":{}}\n${line.replace('"is_reply":false', '"is_reply":true')}\n`);
    expect(JSON.parse(many.stdout)).toHaveLength(1);
  });

  it("usage and input errors", async () => {
    expect((await run(["explain"])).code).toBe(2);
    const bad = await run(["explain", "payments/api to x"]);
    expect(bad).toMatchObject({ code: 2, stderr: expect.stringContaining("SOURCE -> DESTINATION") });
    const unknown = await run(["explain", "payments/nope -> x.com:443"]);
    expect(unknown).toMatchObject({ code: 2, stderr: "ztc: tenant payments has no workload 'nope'\n" });
    expect((await run(["explain", "payments/api -> x.com:443", "-f", "sarif"])).code).toBe(2);
    const reply = await run(["explain", '{"flow":{"l4":{"TCP":{}},"source":{},"is_reply":true}}']);
    expect(reply.stderr).toContain("this Hubble line is a reply");
  });
});
