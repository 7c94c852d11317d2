/**
 * docs/language.md shows what each construct compiles to. Every ```zt block preceded by
 * `<!-- compiles -->` is compiled against the example repository's registries, and the ```yaml
 * block after it must show the result; `npm run docs` rewrites those blocks, a test checks them.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { createMemoryHost } from "../compiler/host.js";
import { createProgram } from "../compiler/program.js";
import { runTests } from "../compiler/tests.js";
import { toYaml } from "../compiler/yaml-out.js";

const ROOT = join(import.meta.dirname, "..");
export const MARKER = "<!-- compiles -->";
export const DOC_TODAY = "2026-11-21";

const EXAMPLE = join(ROOT, "examples/acme");

/** Workloads the examples may name in other tenants; declarations only, so nothing else is emitted. */
const BACKGROUND: Record<string, string> = {
  payments: "tenant payments {\n  workload api = app=payments-api\n  workload worker = app=payments-worker in namespace payments-batch\n}\n",
  checkout: "tenant checkout {\n  workload web = app=checkout-web\n}\n",
  ledger: "tenant ledger {\n  workload ledger-api = app=ledger-api\n}\n",
  search: "tenant search {\n  workload query-api = app=search-query\n  workload indexer = app=search-indexer\n}\n",
};

/**
 * Project settings a snippet needs beyond the example's, from its marker:
 * `<!-- compiles cilium=1.19 features=mutual-auth,host-firewall mesh=us-east audit=payments -->`.
 */
export interface SnippetOptions {
  readonly cilium?: string;
  readonly features?: readonly string[];
  readonly mesh?: readonly string[];
  readonly audit?: readonly string[];
}

function parseOptions(text: string | undefined): SnippetOptions {
  const out: Record<string, string | string[]> = {};
  for (const part of (text ?? "").trim().split(/\s+/).filter(Boolean)) {
    const [k, v = ""] = part.split("=");
    out[k!] = k === "cilium" ? v : v.split(",");
  }
  return out as SnippetOptions;
}

function optionsText(o: SnippetOptions): string {
  const parts: string[] = [];
  if (o.cilium) parts.push(`cilium=${o.cilium}`);
  for (const k of ["features", "mesh", "audit"] as const) if (o[k]?.length) parts.push(`${k}=${o[k]!.join(",")}`);
  return parts.length ? ` ${parts.join(" ")}` : "";
}

/** The example repository's registries, plus the background of every tenant but the snippet's. */
const files = (tenant: string, o: SnippetOptions) => {
  let ztc = readFileSync(join(EXAMPLE, "ztc.yaml"), "utf8").replace('version: "1.19"', `version: "${o.cilium ?? "1.20"}"`);
  if (o.features?.length) ztc = ztc.replace(/(\n {2}version: .*\n)/, `$1  features: [${o.features.join(", ")}]\n`);
  if (o.mesh?.length) ztc = ztc.replace(/(\ncluster:\n.*\n)/, `$1  mesh: [${o.mesh.join(", ")}]\n`);
  let tenants = readFileSync(join(EXAMPLE, "registry/tenants.yaml"), "utf8");
  for (const t of o.audit ?? []) tenants = tenants.replace(`paths: ["tenants/${t}/**"]`, `paths: ["tenants/${t}/**"]\n    audit-allowed: true`);
  const out: Record<string, string> = {
    "ztc.yaml": ztc,
    "registry/tenants.yaml": tenants,
    "registry/approvals.yaml": readFileSync(join(EXAMPLE, "registry/approvals.yaml"), "utf8"),
  };
  for (const [t, text] of Object.entries(BACKGROUND)) if (t !== tenant) out[`tenants/${t}/background.zt`] = text;
  return out;
};

/** What a snippet compiles to: each policy's spec (without description), or its errors. */
export function compileSnippet(zt: string, options: SnippetOptions = {}): string {
  // Baselines are the platform team's: they go where the platform tenant may write, and show
  // the cluster-wide policies they compile to.
  const baseline = /^\s*baseline\s/m.test(zt);
  const tenant = baseline ? "platform" : (/\btenant\s+([a-z0-9-]+)/.exec(zt)?.[1] ?? "payments");
  const host = createMemoryHost({ ...files(tenant, options), [baseline ? "platform/docs.zt" : `tenants/${tenant}/docs.zt`]: zt });
  const program = createProgram(host, { today: DOC_TODAY });
  const result = program.emit();
  const errors = result.diagnostics.filter((d) => d.severity === "error" && d.code !== "ZT5017");
  if (!result.ok) return errors.map((d) => `# ${d.code}: ${d.message}`).join("\n") + "\n";
  const byName = new Map<string, { namespaces: string[]; yaml: string }>();
  for (const p of result.policies) {
    if (baseline ? p.manifest.kind !== "CiliumClusterwideNetworkPolicy" : p.tenant !== tenant || p.manifest.metadata.labels["ztc.io/policy"] === "default-deny") continue;
    const yaml = toYaml((p.manifest.spec ? { spec: p.manifest.spec } : { specs: p.manifest.specs ?? [] }) as never);
    const key = `${p.manifest.metadata.name}\u0000${yaml}`;
    const entry = byName.get(key) ?? { namespaces: [], yaml };
    entry.namespaces.push(p.manifest.metadata.namespace ?? "");
    byName.set(key, entry);
  }
  const yaml = [...byName.entries()]
    .map(([key, e]) => `# ${key.split("\u0000")[0]} (${baseline ? "cluster-wide" : `namespace${e.namespaces.length > 1 ? "s" : ""} ${e.namespaces.join(", ")}`})\n${e.yaml}`)
    .join("");
  // A snippet with expectations also shows that they hold.
  if (!/^\s*expect\s/m.test(zt)) return yaml;
  const report = runTests(program, { invariants: false })!;
  const failed = report.cases.filter((c) => !c.passed);
  return `${yaml}# ztc test: ${report.cases.length - failed.length} of ${report.cases.length} expectations hold${failed.map((c) => `\n# FAILED ${c.name}: ${c.diagnostic?.message ?? ""}`).join("")}\n`;
}

const BLOCK = /<!-- compiles((?: [a-z]+=[^ >]+)*) -->\n```zt\n([\s\S]*?)```\n(?:\n?```yaml\n[\s\S]*?```\n)?/g;

/** The document with every compiled example's YAML block regenerated. */
export function withCompiledExamples(markdown: string): string {
  return markdown.replace(BLOCK, (_m, opts: string | undefined, zt: string) => {
    const o = parseOptions(opts);
    return `<!-- compiles${optionsText(o)} -->\n\`\`\`zt\n${zt}\`\`\`\n\n\`\`\`yaml\n${compileSnippet(zt, o)}\`\`\`\n`;
  });
}

export function countExamples(markdown: string): number {
  return [...markdown.matchAll(BLOCK)].length;
}
