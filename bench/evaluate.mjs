// `npm run bench` (second part): evaluating 1,000,000 flows against the compiled policies of the
// generated 1,000-tenant repository, on one core. Target (issue 7): <= 5 s. The evaluator is bundled
// with esbuild first, like the CLI, so the figure is for shipped code, not for a transpile-on-load run.
import { build } from "esbuild";
import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { generate } from "./generate.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const work = join(root, ".bench");
const strict = process.argv.includes("--strict");
const FLOWS = Number(process.argv.find((a) => a.startsWith("--flows="))?.slice(8) ?? 1_000_000);
const TARGET_MS = 5000;

mkdirSync(work, { recursive: true });
const bundle = join(work, "evaluator.mjs");
await build({
  stdin: {
    contents: `export * from "./compiler/evaluator/index.ts"; export { createProgram } from "./compiler/program.ts"; export { createNodeHost } from "./compiler/host.ts";`,
    resolveDir: root,
    loader: "ts",
  },
  bundle: true,
  platform: "node",
  target: "node20",
  format: "esm",
  minify: true,
  outfile: bundle,
  logLevel: "warning",
  banner: { js: "import { createRequire as __r } from 'node:module'; const require = __r(import.meta.url);" },
});
const { Evaluator, createProgram, createNodeHost } = await import(pathToFileURL(bundle).href);

const repo = join(work, "repo-1000");
const size = generate(repo, 1000);
let t0 = performance.now();
const program = createProgram(createNodeHost(repo), { today: "2026-11-21" });
const emitted = program.emit();
if (!emitted.ok) throw new Error("the generated repository does not compile");
const compileMs = performance.now() - t0;
const manifests = emitted.policies.map((p) => p.manifest);
const rules = manifests.reduce((n, m) => n + (m.specs?.length ?? 1), 0);

// Endpoints: every tenant's api/worker/db pods in each of its namespaces, the shared namespaces'
// pods, the partner APIs by name, addresses in the approved subnets and elsewhere, entities.
// A deterministic PRNG so every run evaluates the same flows.
let seed = 42;
function rand(n) {
  // mulberry32
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return (((t ^ (t >>> 14)) >>> 0) % n);
}
const tenants = [];
for (let i = 0; i < size.tenants; i++) {
  const t = `t${String(i).padStart(4, "0")}`;
  const namespaces = i % 5 === 0 ? [t, `${t}-batch`] : [t];
  const pods = namespaces.flatMap((ns) => [
    { kind: "pod", namespace: ns, labels: { app: "api" }, cluster: "default" },
    { kind: "pod", namespace: ns, labels: { app: "worker", tier: "batch" }, cluster: "default" },
    { kind: "pod", namespace: ns, labels: { app: "db" }, cluster: "default" },
  ]);
  tenants.push({
    pods,
    partner: { kind: "world", names: [`api-${i}.partner.example`] },
    subnetHost: { kind: "world", ip: `10.${Math.floor(i / 256) % 256}.${i % 256}.7` },
  });
}
const nginx = { kind: "pod", namespace: "ingress-nginx", labels: { app: "nginx" } };
const prometheus = { kind: "pod", namespace: "monitoring", labels: { "app.kubernetes.io/name": "prometheus" } };
const metadata = { kind: "world", ip: "169.254.169.254" };
const apiserver = { kind: "reserved", entity: "kube-apiserver" };
const host = { kind: "reserved", entity: "host" };
const randomWorld = Array.from({ length: 1000 }, (_, k) => ({ kind: "world", ip: `198.51.${k >> 8}.${k & 255}` }));

function flow() {
  const i = rand(size.tenants);
  const t = tenants[i];
  const api = t.pods[0];
  const worker = t.pods[1];
  const db = t.pods[2];
  const next = tenants[(i + 1) % size.tenants].pods[0];
  switch (rand(12)) {
    case 0: return { source: api, destination: t.partner, protocol: "TCP", port: 443 };
    case 1: return { source: api, destination: t.subnetHost, protocol: "TCP", port: 5432 };
    case 2: return { source: worker, destination: api, protocol: "TCP", port: 8080 };
    case 3: return { source: api, destination: db, protocol: "TCP", port: 5432 };
    case 4: return { source: api, destination: next, protocol: "TCP", port: 8080 };
    case 5: return { source: api, destination: next, protocol: "TCP", port: 8081, http: { method: rand(2) ? "GET" : "DELETE", path: "/v1/items" } };
    case 6: return { source: nginx, destination: api, protocol: "TCP", port: 8443 };
    case 7: return { source: prometheus, destination: api, protocol: "TCP", port: 9090 };
    case 8: return { source: worker, destination: apiserver, protocol: "TCP", port: 6443 };
    case 9: return { source: api, destination: metadata, protocol: "TCP", port: 80 };
    case 10: return { source: host, destination: api, protocol: "TCP", port: 8444 };
    default: return { source: t.pods[rand(3)], destination: rand(2) ? randomWorld[rand(1000)] : next, protocol: rand(4) ? "TCP" : "UDP", port: 1 + rand(65535) };
  }
}
const flows = Array.from({ length: FLOWS }, flow);

function run(options, list) {
  const ev = new Evaluator(manifests, { clusterName: "default", ...options });
  if (ev.problems.length > 0) throw new Error(JSON.stringify(ev.problems.slice(0, 3)));
  const counts = { allowed: 0, dropped: 0, "l7-denied": 0 };
  globalThis.gc?.();
  const start = performance.now();
  for (const f of list) counts[ev.evaluate(f).verdict]++;
  return { ms: performance.now() - start, counts };
}

console.log(`bench: ${size.tenants} tenants -> ${manifests.length} policies, ${rules} rules (compiled in ${compileMs.toFixed(0)} ms); ${FLOWS.toLocaleString("en")} flows`);
const warm = run({}, flows);
const cold = process.argv.includes("--no-cold") ? { ms: 0 } : run({ memoize: false }, flows.slice(0, 100_000));
const coldPerM = (cold.ms * FLOWS) / 100_000;
// The caches' worst case: every flow to an address never seen before, on a port never seen before.
const fresh = Array.from({ length: 200_000 }, (_, i) => ({
  source: tenants[i % size.tenants].pods[0],
  destination: { kind: "world", ip: `100.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}` },
  protocol: "TCP",
  port: 1 + ((i * 7919) % 65535),
}));
const distinct = process.argv.includes("--no-cold") ? { ms: 0 } : run({}, fresh);
console.log(`\n${"benchmark".padEnd(52)} ${"time".padStart(9)} ${"target".padStart(8)}`);
console.log(`${`evaluate ${FLOWS.toLocaleString("en")} flows (indexes + per-identity cache)`.padEnd(52)} ${`${warm.ms.toFixed(0)} ms`.padStart(9)} ${`${TARGET_MS} ms`.padStart(8)} ${warm.ms <= TARGET_MS ? "ok" : "MISSED"}`);
console.log(`${"(indexes only, no cache: 100,000 flows)".padEnd(52)} ${`${cold.ms.toFixed(0)} ms`.padStart(9)}           (${coldPerM.toFixed(0)} ms per 1M)`);
console.log(`${"(every flow to a new address and port: 200,000 flows)".padEnd(52)} ${`${distinct.ms.toFixed(0)} ms`.padStart(9)}           (${((distinct.ms * FLOWS) / 200_000).toFixed(0)} ms per 1M)`);
console.log(`verdicts: ${JSON.stringify(warm.counts)}`);
if (JSON.stringify(run({ memoize: false }, flows.slice(0, 20_000)).counts) !== JSON.stringify(run({}, flows.slice(0, 20_000)).counts))
  throw new Error("the cache changed a verdict");
process.exit(strict && warm.ms > TARGET_MS ? 1 : 0);
