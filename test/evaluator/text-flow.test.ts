import { describe, expect, it } from "vitest";
import { parseTextFlow, resolveTextFlow } from "../../compiler/evaluator/index.js";
import { program } from "../helpers/project.js";

describe("the text form of a flow", () => {
  it.each([
    ["payments/api -> api.stripe.com:443", { source: { kind: "workload", tenant: "payments", workload: "api" }, destination: { kind: "host", name: "api.stripe.com" }, protocol: "TCP", port: 443 }],
    ["payments/worker@payments-batch -> 10.40.1.2:5432", { source: { kind: "workload", namespace: "payments-batch" }, destination: { kind: "ip", ip: "10.40.1.2" }, port: 5432 }],
    ["payments/api -> [2001:db8::1]:443", { destination: { kind: "ip", ip: "2001:db8::1" }, port: 443 }],
    ["payments/api -> 2001:db8::1", { destination: { kind: "ip", ip: "2001:db8::1" }, port: undefined }],
    ["payments/api -> kube-system/k8s-app=kube-dns:53/udp dns api.stripe.com", { destination: { kind: "pods", namespace: "kube-system", labels: { "k8s-app": "kube-dns" } }, protocol: "UDP", port: 53, dns: "api.stripe.com" }],
    ["entity:host -> checkout:8080", { source: { kind: "entity", entity: "host" }, destination: { kind: "name", name: "checkout" } }],
    ["payments/api -> 8.8.8.8:8/icmp", { protocol: "ICMPv4", icmpType: 8, port: undefined }],
    ['checkout/web -> payments/api:8080 http post /v1/charges host api header "Idempotency-Key: 7" header X-Trace', { http: { method: "POST", path: "/v1/charges", host: "api", headers: { "Idempotency-Key": "7", "X-Trace": "" } } }],
    ["checkout/web -> payments/api:8080 GET /v1/charges/1", { http: { method: "GET", path: "/v1/charges/1", headers: {} } }],
  ])("%s", (text, want) => {
    const r = parseTextFlow(text);
    expect(r).toMatchObject({ ok: true, flow: want });
  });

  it.each([
    ["payments/api", "SOURCE -> DESTINATION"],
    ["payments/api => x.com", "SOURCE -> DESTINATION"],
    ["payments/api -> x.com:70000", "not 1-65535"],
    ["payments/api -> x.com:443/xdp", "unknown protocol"],
    ["payments/api -> x.com:http", "not a port number"],
    ["Payments/api -> x.com:443", "not a tenant or namespace name"],
    ["payments/api -> x.com:53/udp http GET /", "HTTP needs TCP"],
    ["payments/api -> x.com:443 bogus", "unexpected 'bogus'"],
    ['payments/api -> x.com:443 header "X', "unbalanced quote"],
  ])("rejects %s", (text, message) => {
    const r = parseTextFlow(text);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error).toContain(message);
  });

  it("resolves tenant/workload through the project: namespace, the selector's labels, registry namespace labels", () => {
    const p = program({
      "tenants/payments/policy.zt": "tenant payments {\n  workload api = app=payments-api, tier in (web, edge), !legacy\n  workload worker = app=payments-worker in namespace payments-batch\n}\n",
      "registry/tenants.yaml": "tenants:\n  payments:\n    namespaces: [payments, payments-batch]\n    paths: [\"tenants/payments/**\"]\nnamespaces:\n  monitoring: { labels: { purpose: monitoring } }\n",
    });
    const ctx = { tenants: p.registries!.tenants!, workloads: p.getCheck()!.bound.workloads, clusterName: "prod" };
    const flow = (t: string) => {
      const r = parseTextFlow(t);
      if (!r.ok) throw new Error(r.error);
      return resolveTextFlow(r.flow, ctx);
    };
    expect(flow("payments/api -> monitoring:9090")).toMatchObject({
      ok: true,
      flow: {
        source: { kind: "pod", namespace: "payments", labels: { app: "payments-api", tier: "edge" }, cluster: "prod" },
        destination: { kind: "pod", namespace: "monitoring", labels: {}, namespaceLabels: { purpose: "monitoring" } },
      },
      owners: { source: { tenant: "payments", workload: "api", namespace: "payments" } },
    });
    expect(flow("payments/worker -> x.com:443")).toMatchObject({ ok: true, flow: { source: { namespace: "payments-batch" } } });
    expect(flow("payments/nope -> x.com:443")).toMatchObject({ ok: false, error: "tenant payments has no workload 'nope'" });
    expect(flow("payments/worker@payments -> x.com:443")).toMatchObject({ ok: false, error: expect.stringContaining("does not run in namespace payments") });
    expect(flow("nobody -> x.com:443")).toMatchObject({ ok: false, error: expect.stringContaining("neither a tenant nor a namespace") });
    expect(flow("entity:worldly -> x.com:443")).toMatchObject({ ok: false, error: expect.stringContaining("not an endpoint entity") });
  });
});
