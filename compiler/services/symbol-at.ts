/**
 * What the cursor is on, in terms of the language: a tenant, workload, namespace, entity,
 * destination, service, import, or else the rule around it. Hover, definition, references and
 * rename all start here, so they agree on what a position means.
 */
import {
  contains,
  nodePath,
  type CidrTarget,
  type HostTarget,
  type Ident,
  type ImportDecl,
  type RuleStmt,
  type ServiceTarget,
  type Span,
  type TenantDecl,
  type WorkloadDecl,
} from "../../language/index.js";
import { tenantAt, type ServiceDocument } from "./document.js";

export type SymbolAt =
  | { readonly kind: "tenant"; readonly name: string; readonly span: Span; readonly declaration: boolean }
  | {
      readonly kind: "workload";
      readonly tenant: string;
      readonly name: string;
      readonly span: Span;
      /** The declaration itself (`workload NAME = ...`), not a use. */
      readonly declaration?: WorkloadDecl | undefined;
    }
  | { readonly kind: "namespace"; readonly name: string; readonly span: Span; readonly tenant?: string | undefined }
  | { readonly kind: "entity"; readonly name: string; readonly span: Span }
  | {
      readonly kind: "destination";
      readonly target: HostTarget | CidrTarget;
      readonly rule: RuleStmt;
      readonly tenant?: string | undefined;
      readonly span: Span;
    }
  | { readonly kind: "service"; readonly target: ServiceTarget; readonly span: Span }
  | { readonly kind: "rule"; readonly rule: RuleStmt; readonly tenant?: string | undefined; readonly span: Span }
  | { readonly kind: "import"; readonly decl: ImportDecl; readonly span: Span };

/** The identifier, if the offset is on it. */
function on(id: Ident | undefined, offset: number): Ident | undefined {
  return id !== undefined && contains(id.span, offset) ? id : undefined;
}

/** The symbol at an offset of a document, or undefined on whitespace, comments and punctuation outside rules. */
export function symbolAt(doc: ServiceDocument, offset: number): SymbolAt | undefined {
  const ast = doc.unit.ast;
  const decl: TenantDecl | undefined = tenantAt(ast, offset);
  const tenant = decl?.name?.text;
  const declName = on(decl?.name, offset);
  if (declName) return { kind: "tenant", name: declName.text, span: declName.span, declaration: true };
  const path = nodePath(ast, offset);
  let rule: RuleStmt | undefined;
  for (const n of path) if (n.kind === "Rule") rule = n;
  for (let i = path.length - 1; i >= 0; i--) {
    const n = path[i]!;
    switch (n.kind) {
      case "Import":
        if (n.path && contains(n.path.span, offset)) return { kind: "import", decl: n, span: n.path.span };
        break;
      case "Workload": {
        const name = on(n.name, offset);
        if (name && tenant) return { kind: "workload", tenant, name: name.text, span: name.span, declaration: n };
        const ns = on(n.namespace, offset);
        if (ns) return { kind: "namespace", name: ns.text, span: ns.span, tenant };
        break;
      }
      case "TenantRef": {
        const t = on(n.tenant, offset);
        if (t) return { kind: "tenant", name: t.text, span: t.span, declaration: false };
        const w = on(n.workload, offset);
        if (w && n.tenant) return { kind: "workload", tenant: n.tenant.text, name: w.text, span: w.span };
        break;
      }
      case "NamespaceRef":
      case "Service": {
        const ns = on(n.namespace, offset);
        if (ns) return { kind: "namespace", name: ns.text, span: ns.span };
        if (n.kind === "Service" && contains(n.span, offset)) return { kind: "service", target: n, span: n.span };
        break;
      }
      case "WorkloadRef": {
        const name = on(n.name, offset);
        if (name && tenant) return { kind: "workload", tenant, name: name.text, span: name.span };
        break;
      }
      case "Entity": {
        const name = on(n.name, offset);
        if (name) return { kind: "entity", name: name.text, span: name.span };
        break;
      }
      case "Host":
      case "Cidr":
        if (rule && contains(n.span, offset)) return { kind: "destination", target: n, rule, tenant, span: n.span };
        break;
      case "Rule":
        return { kind: "rule", rule: n, tenant, span: n.span };
      default:
        break;
    }
  }
  return undefined;
}
