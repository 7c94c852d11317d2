/**
 * The Cilium YAML behind a rule or a file, produced by the compiler's own emitter from the checked
 * atoms. Used by the rule hover and the "Show compiled YAML" view. Only the tenants concerned are
 * emitted, and rules with errors are left out, so the view stays useful while a file is being
 * edited; `ztc compile` refuses to write anything until every error is fixed.
 */
import type { RuleStmt, UseStmt } from "../../language/index.js";
import { emitBaselinePolicies, emitTenantPolicies, sortPolicies, type EmittedPolicy, type JsonObject } from "../emit.js";
import type { Atom } from "../ir.js";
import type { Program } from "../program.js";
import type { TenantRegistry } from "../registry.js";
import { toYaml } from "../yaml-out.js";
import { atomsByRule, memoized } from "./document.js";

type Json = Parameters<typeof toYaml>[0];

/** A registry that shows the emitter only some tenants, so it emits nothing for the others. */
function onlyTenants(reg: TenantRegistry, names: readonly string[]): TenantRegistry {
  const tenants = new Map(names.flatMap((n) => (reg.tenants.has(n) ? [[n, reg.tenants.get(n)!] as const] : [])));
  return { file: reg.file, tenants, namespaces: reg.namespaces, services: reg.services, ownersOf: (f) => reg.ownersOf(f) };
}

/** Emits the given atoms of some tenants, or undefined when the program cannot be checked. */
export function emitFor(program: Program, tenants: readonly string[], atoms: readonly Atom[]): EmittedPolicy[] | undefined {
  const reg = program.registries?.tenants;
  const config = program.config;
  if (!reg || !config) return undefined;
  // Settings too: a tenant in audit mode compiles differently.
  return sortPolicies(emitTenantPolicies({ atoms, tenants: onlyTenants(reg, tenants), config, settings: program.getCheck()?.bound.settings }));
}

/** The atoms a rule became, without those of peers or subjects that had errors. */
export function ruleAtoms(program: Program, rule: RuleStmt): readonly Atom[] {
  const check = program.getCheck();
  if (!check) return [];
  return (atomsByRule(check).get(rule) ?? []).filter((a) => !a.flawed);
}

export interface CompiledRule {
  /** YAML, one block per group of namespaces that get the same entries. */
  readonly yaml: string;
  readonly namespaces: number;
  /** The rule's egress includes host rules, so the policy also gets the DNS-proxy entry. */
  readonly dnsProxy: boolean;
}

/**
 * What one rule compiles to: for every tenant namespace it lands in, the `specs` item of the
 * tenant's rules policy with only this rule's entries (the tenant's other rules add theirs beside).
 */
export function compileRule(program: Program, rule: RuleStmt): CompiledRule | undefined {
  return compileAtoms(program, ruleAtoms(program, rule));
}

/** What a `use` expands to where it is written (a tenant block or a baseline). */
export function compileUse(program: Program, file: string, use: UseStmt): CompiledRule | undefined {
  const check = program.getCheck();
  if (!check) return undefined;
  const atoms = check.atoms.filter((a) => !a.flawed && a.origin.file === file && a.origin.span.start === use.span.start && a.origin.via);
  return compileAtoms(program, atoms);
}

/** The specs some atoms of one tenant (or one baseline) compile to, grouped by identical YAML. */
function compileAtoms(program: Program, atoms: readonly Atom[]): CompiledRule | undefined {
  if (atoms.length === 0) return undefined;
  const baseline = atoms[0]!.baseline;
  const policies = (baseline ? baselinePolicies(program, baseline, atoms) : emitFor(program, [atoms[0]!.tenant], atoms) ?? []).filter((p) => p.atoms.length > 0);
  if (policies.length === 0) return undefined;
  const groups = new Map<string, { name: string; namespaces: string[] }>();
  for (const p of policies) {
    const specs: JsonObject[] = p.manifest.specs ?? (p.manifest.spec ? [p.manifest.spec] : []);
    const body = specs.map((s: JsonObject) => toYaml({ specs: [s] } as Json)).join("");
    const g = groups.get(body);
    const ns = p.manifest.metadata.namespace ?? "";
    if (g) g.namespaces.push(ns);
    else groups.set(body, { name: p.manifest.metadata.name, namespaces: [ns] });
  }
  const blocks = [...groups].map(([body, g]) =>
    baseline ? `# ${g.name} (cluster-wide)\n${body}` : `# ${g.name} (namespace${g.namespaces.length > 1 ? "s" : ""} ${g.namespaces.join(", ")})\n${body}`,
  );
  const dnsProxy = atoms.some((a) => a.direction === "egress" && a.action === "allow" && a.peer.kind === "fqdn");
  return { yaml: blocks.join(""), namespaces: policies.length, dnsProxy };
}

function baselinePolicies(program: Program, name: string, atoms: readonly Atom[]): EmittedPolicy[] {
  const check = program.getCheck();
  const reg = program.registries?.tenants;
  const b = check?.bound.baselines.find((x) => x.name === name);
  if (!check || !reg || !program.config || !b) return [];
  return sortPolicies(emitBaselinePolicies({ atoms, tenants: reg, config: program.config, baselines: [b], settings: check.bound.settings }));
}

/** The CiliumClusterwideNetworkPolicies a baseline compiles to, as `ztc compile` writes them. */
export function compileBaseline(program: Program, name: string): string | undefined {
  const atoms = program.getCheck()?.atoms.filter((a) => a.baseline === name && !a.flawed) ?? [];
  const policies = baselinePolicies(program, name, atoms);
  if (policies.length === 0) return undefined;
  return policies.map((p) => `---\n${toYaml(p.manifest as unknown as Json)}`).join("");
}

/** The tenants a file speaks for (its tenant blocks that the binder accepted). */
export function tenantsOfFile(program: Program, file: string): string[] {
  const check = program.getCheck();
  if (!check) return [];
  return [...new Set(check.bound.blocks.filter((b) => b.unit.path === file).map((b) => b.tenant.name))].sort();
}

export interface CompiledFile {
  readonly tenants: readonly string[];
  /** A YAML stream of every policy of those tenants, as `ztc compile -o -` would write it. */
  readonly yaml: string;
  /** Errors anywhere in those tenants' files: their rules are missing from `yaml`. */
  readonly errors: number;
}

/** Every policy of the tenants a file speaks for (all their files' rules, not only this file's). */
export function compileFile(program: Program, file: string): CompiledFile {
  return memoized(program, `compileFile:${file}`, () => {
    const tenants = tenantsOfFile(program, file);
    const check = program.getCheck();
    if (!check || tenants.length === 0) return { tenants, yaml: "", errors: 0 };
    const wanted = new Set(tenants);
    const atoms = check.atoms.filter((a) => wanted.has(a.tenant) && !a.flawed);
    const files = new Set(check.bound.blocks.filter((b) => wanted.has(b.tenant.name)).map((b) => b.unit.path));
    const errors = program.getDiagnostics().filter((d) => d.severity === "error" && files.has(d.file)).length;
    const policies = emitFor(program, tenants, atoms) ?? [];
    const yaml = policies.map((p) => `---\n${toYaml(p.manifest as unknown as Json)}`).join("");
    return { tenants, yaml, errors };
  });
}
