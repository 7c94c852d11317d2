/**
 * Hubble JSON lines to flows: committed fixtures for every shape (wrapped, legacy bare Flow,
 * lowerCamelCase, replies, non-flow lines, L7, masked exporter output), then the real captures in
 * ../shared/hubble/samples when they are there.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Evaluator, parseHubbleLine, type HubbleResult } from "../../compiler/evaluator/index.js";
import { SHARED } from "../helpers/oracles.js";
import { cnp, ports } from "./builders.js";

const fixture = readFileSync(join(import.meta.dirname, "../fixtures/hubble/flows.jsonl"), "utf8").split("\n").filter((l) => l !== "");
const parsed = fixture.map(parseHubbleLine);
const flowAt = (i: number) => {
  const r = parsed[i]!;
  if (r.kind !== "flow") throw new Error(`line ${i + 1}: ${r.reason}`);
  return r;
};

describe("Hubble flows: committed fixtures", () => {
  it("reads the wrapped form with proto field names", () => {
    const r = flowAt(0);
    expect(r.flow).toMatchObject({
      protocol: "TCP",
      port: 8080,
      source: { kind: "pod", namespace: "checkout", labels: { app: "checkout-web" }, cluster: "c1", serviceAccount: "web", namespaceLabels: { team: "shop" }, ip: "10.0.1.10", name: "web-0" },
      destination: { kind: "pod", namespace: "payments", labels: { app: "payments-api" } },
    });
    expect(r.observed).toMatchObject({ verdict: "DROPPED", dropReason: "POLICY_DENIED", trafficDirection: "EGRESS", eventType: 5 });
  });

  it("reads the legacy bare Flow in lowerCamelCase, with the DNS names toFQDNs matches", () => {
    const r = flowAt(1);
    expect(r.flow).toMatchObject({ port: 443, source: { kind: "pod", namespace: "payments", name: "api-0" }, destination: { kind: "world", ip: "52.1.2.3", names: ["api.stripe.com."] } });
    expect(r.observed).toMatchObject({ verdict: "FORWARDED", trafficDirection: "EGRESS", eventType: 5 });
  });

  it("skips replies (is_reply, and the deprecated reply when is_reply is absent), non-flow lines and L7 responses", () => {
    const skipped = parsed.map((r, i) => [i + 1, r.kind === "skip" ? r.reason : "flow"]);
    expect(skipped).toEqual([
      [1, "flow"],
      [2, "flow"],
      [3, "a reply"],
      [4, "a reply"],
      [5, "not a flow (lost_events)"],
      [6, "not a flow (node_status)"],
      [7, "flow"],
      [8, "flow"],
      [9, "an L7 response"],
      [10, "flow"],
      [11, "flow"],
      [12, "flow"],
      [13, expect.stringContaining("cannot resolve: the destination has no labels, namespace or reserved identity (identity 12345)")],
      [14, expect.stringContaining("not JSON")],
      [15, "no L4 protocol in the flow"],
    ]);
  });

  it("reads HTTP requests: method, path with query, host, headers", () => {
    expect(flowAt(6).flow.http).toEqual({ method: "DELETE", path: "/v1/charges/7?force=1", host: "payments-api.payments:8080", headers: { "Idempotency-Key": "k1" } });
  });

  it("reads DNS queries, ICMP types, masked exporter lines and reserved identities", () => {
    expect(flowAt(7).flow).toMatchObject({ protocol: "UDP", port: 53, dns: "api.stripe.com." });
    expect(flowAt(9).flow).toMatchObject({ protocol: "ICMPv4", icmpType: 8, destination: { kind: "world", ip: "8.8.8.8" } });
    const masked = flowAt(10);
    expect(masked.flow.source).toEqual({ kind: "pod", namespace: "default", labels: {}, namespaceLabels: {}, serviceAccount: undefined, cluster: undefined, ip: "10.244.1.60", name: "xwing" });
    expect(masked.notes.join()).toContain("only its namespace is known");
    expect(flowAt(11).flow.source).toMatchObject({ kind: "reserved", entity: "host", ip: "10.0.0.5" });
  });

  it("evaluates what it read: the fixture's flows under a small policy set", () => {
    const ev = new Evaluator(
      [
        cnp("payments", "api", { endpointSelector: { matchLabels: { app: "payments-api" } }, ingress: [{ fromEndpoints: [{ matchLabels: { "k8s:io.kubernetes.pod.namespace": "checkout" } }], toPorts: [{ ports: [{ port: "8080", protocol: "TCP" }], rules: { http: [{ method: "GET" }] } }] }] }),
        cnp("checkout", "web", { endpointSelector: {}, egress: [{ toEndpoints: [{ matchLabels: { "k8s:io.kubernetes.pod.namespace": "payments" } }], toPorts: ports("8080") }] }),
      ],
      { clusterName: "c1" },
    );
    expect(ev.evaluate(flowAt(0).flow).verdict).toBe("allowed");
    // The DELETE request is not a GET: Envoy answers 403.
    expect(ev.evaluate(flowAt(6).flow).verdict).toBe("l7-denied");
    // A pod of cluster c1 seen by an evaluator for cluster "default": selectors are cluster-scoped (B3).
    const other = new Evaluator([cnp("payments", "api", { endpointSelector: {}, ingress: [{ fromEndpoints: [nsOnly("checkout")] }] })]);
    expect(other.evaluate(flowAt(0).flow)).toMatchObject({ verdict: "dropped", egress: { reason: "not-enforced" }, ingress: { reason: "default-deny" } });
    expect(other.evaluate(flowAt(11).flow).ingress.reason).toBe("allow-localhost");
  });
});

const nsOnly = (ns: string) => ({ matchLabels: { "k8s:io.kubernetes.pod.namespace": ns } });

const SAMPLES = join(SHARED, "hubble/samples");
const HAS_SAMPLES = existsSync(SAMPLES);

describe.skipIf(!HAS_SAMPLES)("Hubble flows: the real captures in ../shared/hubble/samples", () => {
  const files = HAS_SAMPLES ? readdirSync(SAMPLES).filter((f) => f.endsWith(".jsonl")) : [];
  const read = (f: string): HubbleResult[] => readFileSync(join(SAMPLES, f), "utf8").split("\n").filter((l) => l.trim() !== "").map(parseHubbleLine);

  it("reads every line of every capture, and only skips for the reasons it names", () => {
    let flows = 0;
    for (const f of files)
      for (const r of read(f)) {
        if (r.kind === "flow") flows++;
        else expect(r.reason).toMatch(/^(a reply|an L7 response|cannot resolve: .*|no L4 protocol in the flow)$/);
      }
    expect(flows).toBeGreaterThan(1000);
  });

  it("the printer's jsonpb and legacy json lines give the same flow", () => {
    const [wrapped, , legacy] = read("cilium__hubble__pkg__printer__printer_test.go__expected.jsonl");
    expect(legacy).toEqual(wrapped);
    // identity 12345 carries no labels in that test output: nothing to evaluate against.
    expect(wrapped).toMatchObject({ kind: "skip", reason: expect.stringContaining("identity 12345") });
  });

  it("the exporter's masked POLICY_DENIED drop: pods known by namespace only", () => {
    const lines = read("cilium__Documentation__observability__hubble__configuration__export.rst__output.jsonl");
    expect(lines[1]).toMatchObject({ kind: "flow", flow: { protocol: "TCP", port: 80, source: { namespace: "default", name: "xwing" } }, observed: { dropReason: "POLICY_DENIED" } });
    // A default-deny ingress in namespace default drops it, as Hubble saw.
    const ev = new Evaluator([cnp("default", "deathstar", { endpointSelector: {}, ingress: [{}] })]);
    expect(lines[1]!.kind === "flow" && ev.evaluate(lines[1]!.flow).verdict).toBe("dropped");
  });

  it("L7 captures carry HTTP requests and DNS queries; policy-verdict captures carry ports", () => {
    const http = read("hubble-otel__testdata__basic-sample-348-http-flows.jsonl").filter((r) => r.kind === "flow" && r.flow.http);
    expect(http.length).toBeGreaterThan(100);
    expect(http[0]).toMatchObject({ flow: { http: { method: expect.stringMatching(/^[A-Z]+$/), path: expect.stringMatching(/^\//) } } });
    const dns = read("hubble-otel__testdata__basic-sample-330-dns-flows.jsonl").filter((r) => r.kind === "flow" && r.flow.dns);
    expect(dns.length).toBeGreaterThan(100);
    const verdicts = read("hubble-otel__testdata__basic-sample-400-l7-redirected-flows.jsonl").filter((r) => r.kind === "flow");
    expect(verdicts.every((r) => r.kind === "flow" && r.observed.eventType === 5 && r.flow.port !== undefined)).toBe(true);
  });

  it("the bookinfo DNS redirects are allowed by a kube-dns rule with a DNS L7 rule, and the queries decided by it", () => {
    const ev = new Evaluator([
      cnp("bookinfo", "dns", {
        endpointSelector: {},
        egress: [{ toEndpoints: [{ matchLabels: { "k8s:io.kubernetes.pod.namespace": "kube-system", "k8s:k8s-app": "kube-dns" } }], toPorts: [{ ports: [{ port: "53", protocol: "ANY" }], rules: { dns: [{ matchPattern: "*.cluster.local" }] } }] }],
      }),
    ]);
    const flows = read("hubble-otel__testdata__basic-sample-400-udp-flows.jsonl").flatMap((r) => (r.kind === "flow" && r.flow.port === 53 && r.flow.source.kind === "pod" && r.flow.source.namespace === "bookinfo" ? [r.flow] : []));
    expect(flows.length).toBeGreaterThan(10);
    for (const f of flows) {
      const d = ev.evaluate(f);
      if (f.dns === undefined) expect(d.verdict).toBe("allowed");
      else expect(d.verdict).toBe(/\.cluster\.local\.?$/.test(f.dns) ? "allowed" : "l7-denied");
    }
  });
});
