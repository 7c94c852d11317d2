/**
 * Blast radius: what changes between two compilations of a policy repository. Policies that were
 * added, removed or changed; the tenants and namespaces behind them; and the inputs that changed
 * (modules, including stdlib modules the project carries, and approvals) with every tenant that
 * uses them, so a change to a shared module or an approval shows everyone it touches, even where
 * the compiled YAML stays the same.
 */
import { rulesOf, type EmittedPolicy, type Manifest } from "./emit.js";
import type { Program } from "./program.js";
import type { TenantRegistry } from "./registry.js";
import { unifiedDiff } from "./text-diff.js";
import { toYaml } from "./yaml-out.js";

export interface SnapshotPolicy {
  readonly key: string;
  readonly manifest: Manifest;
  readonly yaml: string;
}

export interface Snapshot {
  readonly policies: ReadonlyMap<string, SnapshotPolicy>;
  /** `module <path>` / `approval <id>` -> content, when known (not for output folders). */
  readonly inputs?: ReadonlyMap<string, string> | undefined;
  /** Input key -> the tenants (and baselines, as `baseline <name>`) whose rules use it. */
  readonly usage?: ReadonlyMap<string, ReadonlySet<string>> | undefined;
}

export interface PolicyChange {
  readonly key: string;
  readonly change: "added" | "removed" | "changed";
  readonly kind: string;
  readonly namespace?: string | undefined;
  readonly name: string;
  readonly tenants: readonly string[];
  readonly namespaces: readonly string[];
  readonly diff: string;
}

export interface InputChange {
  readonly key: string;
  readonly change: "added" | "removed" | "changed";
  readonly users: readonly string[];
}

export interface DiffResult {
  readonly policies: readonly PolicyChange[];
  readonly inputs: readonly InputChange[];
  /** Every tenant touched: by a changed policy or through a changed input. */
  readonly tenants: readonly string[];
  readonly namespaces: readonly string[];
}

export function policyKey(m: Manifest): string {
  return m.kind === "CiliumClusterwideNetworkPolicy" ? `clusterwide/${m.metadata.name}` : `${m.metadata.namespace}/${m.metadata.name}`;
}

export function snapshotFromPolicies(policies: readonly EmittedPolicy[] | readonly Manifest[]): Map<string, SnapshotPolicy> {
  const out = new Map<string, SnapshotPolicy>();
  for (const p of policies) {
    const manifest = "manifest" in p ? p.manifest : p;
    const key = policyKey(manifest);
    out.set(key, { key, manifest, yaml: toYaml(manifest as never) });
  }
  return out;
}

/** Policies plus what each tenant's rules depend on. The program must compile without errors. */
export function snapshotFromProgram(program: Program): Snapshot {
  const result = program.emit();
  const inputs = new Map<string, string>();
  const usage = new Map<string, Set<string>>();
  const use = (key: string, user: string) => {
    const set = usage.get(key) ?? new Set<string>();
    set.add(user);
    usage.set(key, set);
  };
  for (const u of program.units) inputs.set(`module ${u.path}`, u.text);
  for (const a of program.registries?.approvals?.approvals ?? [])
    inputs.set(
      `approval ${a.id}`,
      JSON.stringify({ destination: a.destinationText, ports: a.ports.toString(), tenants: a.tenants, expires: a.expires, approvedBy: a.approvedBy, ticket: a.ticket }),
    );
  const baselines = program.getCheck()?.bound.baselines ?? [];
  for (const a of program.getCheck()?.atoms ?? []) {
    const users = a.baseline ? [...new Set(baselines.find((b) => b.name === a.baseline)?.tenantOf.values() ?? [])] : [a.tenant];
    for (const user of users) {
      use(`module ${a.origin.file}`, user);
      for (const f of a.origin.via?.files ?? []) use(`module ${f}`, user);
      for (const ap of a.approvals) use(`approval ${ap.id}`, user);
    }
  }
  return { policies: snapshotFromPolicies(result.policies), inputs, usage };
}

function namespacesOf(m: Manifest): string[] {
  if (m.metadata.namespace) return [m.metadata.namespace];
  const out = new Set<string>();
  for (const r of rulesOf(m)) {
    const sel = r["endpointSelector"] as { matchLabels?: Record<string, string>; matchExpressions?: { key: string; operator: string; values?: string[] }[] } | undefined;
    const ns = sel?.matchLabels?.["k8s:io.kubernetes.pod.namespace"];
    if (ns) out.add(ns);
    for (const e of sel?.matchExpressions ?? []) if (e.key === "k8s:io.kubernetes.pod.namespace" && e.operator === "In") (e.values ?? []).forEach((v) => out.add(v));
  }
  return [...out].sort();
}

function tenantsOf(m: Manifest, registry: TenantRegistry | undefined): string[] {
  const label = m.metadata.labels["ztc.io/tenant"];
  if (label) return [label];
  return [...new Set(namespacesOf(m).map((ns) => registry?.namespaces.get(ns)?.tenant).filter((t): t is string => t !== undefined))].sort();
}

export function diffSnapshots(base: Snapshot, head: Snapshot, registry: TenantRegistry | undefined): DiffResult {
  const policies: PolicyChange[] = [];
  const keys = [...new Set([...base.policies.keys(), ...head.policies.keys()])].sort();
  for (const key of keys) {
    const b = base.policies.get(key);
    const h = head.policies.get(key);
    if (b && h && b.yaml === h.yaml) continue;
    const m = (h ?? b)!.manifest;
    const ns = [...new Set([...(b ? namespacesOf(b.manifest) : []), ...(h ? namespacesOf(h.manifest) : [])])].sort();
    const tenants = [...new Set([...(b ? tenantsOf(b.manifest, registry) : []), ...(h ? tenantsOf(h.manifest, registry) : [])])].sort();
    policies.push({
      key,
      change: !b ? "added" : !h ? "removed" : "changed",
      kind: m.kind,
      namespace: m.metadata.namespace,
      name: m.metadata.name,
      tenants,
      namespaces: ns,
      diff: unifiedDiff(b?.yaml ?? "", h?.yaml ?? ""),
    });
  }
  const inputs: InputChange[] = [];
  if (base.inputs && head.inputs) {
    for (const key of [...new Set([...base.inputs.keys(), ...head.inputs.keys()])].sort()) {
      const b = base.inputs.get(key);
      const h = head.inputs.get(key);
      if (b === h) continue;
      const users = [...new Set([...(base.usage?.get(key) ?? []), ...(head.usage?.get(key) ?? [])])].sort();
      // Changed files nobody's rules use (a tenant's own policy file shows up as its policies).
      if (users.length === 0 && key.startsWith("module ")) continue;
      inputs.push({ key, change: b === undefined ? "added" : h === undefined ? "removed" : "changed", users });
    }
  }
  const tenants = new Set<string>([...policies.flatMap((p) => p.tenants), ...inputs.flatMap((i) => i.users)]);
  const namespaces = new Set<string>(policies.flatMap((p) => p.namespaces));
  for (const t of tenants) for (const ns of registry?.tenants.get(t)?.namespaces ?? []) if (inputs.some((i) => i.users.includes(t))) namespaces.add(ns);
  return { policies, inputs, tenants: [...tenants].sort(), namespaces: [...namespaces].sort() };
}

const plural = (n: number, w: string) => `${n} ${n === 1 ? w : w === "policy" ? "policies" : `${w}s`}`;

function headline(r: DiffResult, label: string): string {
  if (r.policies.length === 0 && r.inputs.length === 0) return `no changes against ${label}`;
  return `${plural(r.policies.length, "policy")} change${r.policies.length === 1 ? "s" : ""} against ${label}; ${plural(r.tenants.length, "tenant")} (${r.tenants.join(", ") || "none"}) and ${plural(r.namespaces.length, "namespace")} touched`;
}

export function renderDiffText(r: DiffResult, label: string, withDiff: boolean): string {
  const out = [`ztc diff: ${headline(r, label)}`];
  for (const p of r.policies) {
    out.push(`  ${p.change.padEnd(8)} ${p.key}  (${p.tenants.length ? `tenant${p.tenants.length > 1 ? "s" : ""} ${p.tenants.join(", ")}` : "no tenant"})`);
    if (withDiff && p.diff) out.push(...p.diff.trimEnd().split("\n").map((l) => `      ${l}`));
  }
  if (r.inputs.length > 0) {
    out.push("inputs that changed, and the tenants that use them:");
    for (const i of r.inputs) out.push(`  ${i.change.padEnd(8)} ${i.key}  (${i.users.join(", ") || "unused"})`);
  }
  return out.join("\n") + "\n";
}

/** For a pull-request comment. */
export function renderDiffMarkdown(r: DiffResult, label: string): string {
  const out = [`### ztc: network policy changes against \`${label}\``, ""];
  if (r.policies.length === 0 && r.inputs.length === 0) return out.concat("No change to any compiled policy or to any input a tenant uses.", "").join("\n");
  out.push(
    `**${plural(r.policies.length, "policy")}** changed, touching **${plural(r.tenants.length, "tenant")}** (${r.tenants.map((t) => `\`${t}\``).join(", ") || "none"}) in **${plural(r.namespaces.length, "namespace")}**.`,
    "",
  );
  if (r.policies.length > 0) {
    out.push("| change | policy | tenants | namespaces |", "|---|---|---|---|");
    for (const p of r.policies) out.push(`| ${p.change} | \`${p.key}\` | ${p.tenants.join(", ")} | ${p.namespaces.join(", ")} |`);
    out.push("");
  }
  if (r.inputs.length > 0) {
    out.push("**Changed inputs** (every tenant whose rules use them):", "", "| change | input | used by |", "|---|---|---|");
    for (const i of r.inputs) out.push(`| ${i.change} | \`${i.key}\` | ${i.users.join(", ") || "nobody"} |`);
    out.push("");
  }
  for (const p of r.policies.filter((x) => x.diff)) out.push(`<details><summary><code>${p.key}</code> (${p.change})</summary>`, "", "```diff", p.diff.trimEnd(), "```", "</details>", "");
  return out.join("\n");
}
