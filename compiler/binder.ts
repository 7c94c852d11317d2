/**
 * Binding: which tenant each block speaks for (and whether its file may), and the workload
 * symbols of every tenant across all files. Everything later resolves names against this.
 */
import { diag, type Diagnostic, type LineIndex, type SourceFileAst, type TenantDecl } from "../language/index.js";
import { closest } from "../language/suggest.js";
import { EMPTY_SELECTOR, type WorkloadSymbol } from "./ir.js";
import { resolveSelector } from "./labels.js";
import type { TenantInfo, TenantRegistry } from "./registry.js";

export interface SourceUnit {
  readonly path: string;
  readonly text: string;
  readonly lines: LineIndex;
  readonly ast: SourceFileAst;
  readonly parseDiagnostics: readonly Diagnostic[];
}

export interface TenantBlock {
  readonly tenant: TenantInfo;
  readonly decl: TenantDecl;
  readonly unit: SourceUnit;
}

export interface BindResult {
  readonly blocks: readonly TenantBlock[];
  /** tenant -> workload name -> symbol */
  readonly workloads: ReadonlyMap<string, ReadonlyMap<string, WorkloadSymbol>>;
  readonly diagnostics: readonly Diagnostic[];
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

export function nameProblem(name: string): string | undefined {
  if (name.length > 63) return "it is longer than 63 characters";
  if (/[A-Z]/.test(name)) return "it has upper-case letters";
  if (!DNS_LABEL.test(name)) return "it must use a-z, 0-9 and '-' and start and end with a letter or digit";
  return undefined;
}

export function bind(units: readonly SourceUnit[], registry: TenantRegistry): BindResult {
  const diagnostics: Diagnostic[] = [];
  const blocks: TenantBlock[] = [];
  const workloads = new Map<string, Map<string, WorkloadSymbol>>();

  for (const unit of units) {
    for (const item of unit.ast.items) {
      if (item.kind !== "Tenant" || !item.name) continue;
      const name = item.name.text;
      const tenant = registry.tenants.get(name);
      if (!tenant) {
        diagnostics.push(
          diag("unknownTenant", { file: unit.path, span: item.name.span }, { name, suggestion: closest(name, registry.tenants.keys()) }),
        );
        continue;
      }
      if (!tenant.owns(unit.path)) {
        diagnostics.push(
          diag(
            "tenantNotOwned",
            { file: unit.path, span: item.name.span },
            { tenant: name, file: unit.path, paths: tenant.paths.join(", ") },
            { related: [{ file: registry.file, span: tenant.span, message: `tenant '${name}' and its paths` }] },
          ),
        );
        continue;
      }
      blocks.push({ tenant, decl: item, unit });
      const own = workloads.get(name) ?? new Map<string, WorkloadSymbol>();
      workloads.set(name, own);
      for (const member of item.body) {
        if (member.kind !== "Workload" || !member.name) continue;
        const wname = member.name.text;
        const problem = nameProblem(wname);
        if (problem) {
          diagnostics.push(diag("invalidName", { file: unit.path, span: member.name.span }, { what: "workload", name: wname, reason: problem }));
          continue;
        }
        const first = own.get(wname);
        if (first) {
          diagnostics.push(
            diag(
              "duplicateWorkload",
              { file: unit.path, span: member.name.span },
              { name: wname, tenant: name },
              { related: [{ file: first.file, span: first.nameSpan, message: "first declared here" }] },
            ),
          );
          continue;
        }
        let pinned: string | undefined;
        let broken = false;
        if (member.namespace) {
          const ns = member.namespace.text;
          if (!tenant.namespaces.includes(ns)) {
            diagnostics.push(
              diag(
                "unknownNamespace",
                { file: unit.path, span: member.namespace.span },
                { name: ns, tenant: name, suggestion: closest(ns, tenant.namespaces) },
              ),
            );
            broken = true;
          } else pinned = ns;
        }
        const selector = member.selector ? resolveSelector(member.selector, unit.path, diagnostics) : undefined;
        own.set(wname, {
          name: wname,
          tenant: name,
          file: unit.path,
          nameSpan: member.name.span,
          selector: selector ?? EMPTY_SELECTOR,
          namespaces: pinned ? [pinned] : [...tenant.namespaces].sort(),
          pinned,
          broken: broken || !selector,
        });
      }
    }
  }
  return { blocks, workloads, diagnostics };
}
