/**
 * The tenant and approval registries: loaded through the host, validated against the shipped
 * JSON Schemas, then checked for what a schema cannot say (a namespace claimed twice, an approval
 * for a tenant that does not exist, a destination Cilium could not express).
 */
import picomatch from "picomatch";
import { diag, type Diagnostic, type Span } from "../language/index.js";
import { closest } from "../language/suggest.js";
import { validateApprovals, validateTenants } from "./generated/validators.js";
import type { CompilerHost } from "./host.js";
import { AddressSet, formatPrefix, parseCidr, type Prefix } from "./net/cidr.js";
import { parseFqdn, type FqdnPattern } from "./net/fqdn.js";
import { PortSet, type ProtocolSpec } from "./net/ports.js";
import { readYamlFile, type ProjectConfig } from "./project.js";
import { schemaDiagnostics } from "./schema-errors.js";
import type { YamlSource } from "./yaml-source.js";

export interface TenantInfo {
  readonly name: string;
  readonly namespaces: readonly string[];
  readonly owners: readonly string[];
  readonly labels: Readonly<Record<string, string>>;
  readonly paths: readonly string[];
  readonly platform: boolean;
  /** May the tenant stage its rules with `mode audit` (default deny off)? */
  readonly auditAllowed: boolean;
  readonly description?: string | undefined;
  /** The tenant's key in the tenant registry. */
  readonly span: Span;
  /** Does this tenant's `paths` cover a project-relative file? */
  owns(file: string): boolean;
}

export interface NamespaceInfo {
  readonly name: string;
  /** The owning tenant; undefined for shared namespaces. */
  readonly tenant?: string | undefined;
  readonly labels: Readonly<Record<string, string>>;
  readonly span: Span;
}

/** A Kubernetes Service rules may name (`service ns/name`). */
export interface ServiceInfo {
  readonly namespace: string;
  readonly name: string;
  /** False for a Service without a pod selector: its backends are `addresses`. */
  readonly selector: boolean;
  readonly addresses?: AddressSet | undefined;
  readonly addressText: readonly string[];
  readonly span: Span;
}

export interface TenantRegistry {
  readonly file: string;
  readonly tenants: ReadonlyMap<string, TenantInfo>;
  readonly namespaces: ReadonlyMap<string, NamespaceInfo>;
  /** By `namespace/name`. */
  readonly services: ReadonlyMap<string, ServiceInfo>;
  /** The tenants whose `paths` cover a file, in registry order. */
  ownersOf(file: string): readonly TenantInfo[];
}

export type Destination =
  | { readonly kind: "fqdn"; readonly pattern: FqdnPattern }
  | { readonly kind: "cidr"; readonly prefix: Prefix; readonly set: AddressSet }
  /** A CiliumCIDRGroup, whose addresses live in the cluster: approved by name. */
  | { readonly kind: "group"; readonly name: string };

export interface Approval {
  readonly id: string;
  readonly destination: Destination;
  readonly destinationText: string;
  readonly ports: PortSet;
  /** `icmp` in the ports list: ICMP to the destination is approved too. */
  readonly icmp: boolean;
  readonly tenants: "*" | readonly string[];
  readonly approvedBy: string;
  readonly ticket: string;
  /** YYYY-MM-DD, valid through that day (UTC). */
  readonly expires: string;
  readonly description?: string | undefined;
  readonly file: string;
  readonly span: Span;
}

export interface Blocked {
  readonly destination: Destination;
  readonly destinationText: string;
  readonly reason: string;
  readonly file: string;
  readonly span: Span;
}

export interface ApprovalRegistry {
  readonly file: string;
  readonly approvals: readonly Approval[];
  readonly blocked: readonly Blocked[];
  readonly byId: ReadonlyMap<string, Approval>;
  /** The approvals naming this tenant or "*", in registry order. */
  forTenant(tenant: string): readonly Approval[];
}

export interface LoadedRegistries {
  readonly tenants?: TenantRegistry | undefined;
  readonly approvals?: ApprovalRegistry | undefined;
  readonly sources: readonly YamlSource[];
  readonly diagnostics: readonly Diagnostic[];
}

interface RawTenants {
  tenants: Record<
    string,
    { namespaces?: string[]; owners?: string[]; labels?: Record<string, string>; paths: string[]; platform?: boolean; "audit-allowed"?: boolean; description?: string }
  >;
  namespaces?: Record<string, { labels?: Record<string, string> } | null>;
  services?: Record<string, { selector?: boolean; addresses?: string[] } | null>;
}

interface RawApprovals {
  approvals?: Array<{
    id: string;
    destination: string;
    ports: Array<number | string>;
    tenants: string[];
    "approved-by": string;
    ticket: string;
    expires: string;
    description?: string;
  }>;
  blocked?: Array<{ destination: string; reason: string }>;
}

/** Validates a glob from the registry: relative, inside the project. */
function globProblem(glob: string): string | undefined {
  if (glob.startsWith("/") || /^[A-Za-z]:/.test(glob)) return "it is absolute; paths are relative to ztc.yaml";
  if (glob.split("/").includes("..")) return "it climbs out of the project with '..'";
  return undefined;
}

/**
 * The registries' entries are instances of these classes rather than object literals: a literal
 * with a `span` getter is a dictionary of its own (about 700 bytes per entry, megabytes for a
 * registry of thousands) and its getter a closure over the loop's scope, which kept js-yaml's
 * objects alive; here the getters are on the prototype and locate through the source.
 */
class Tenant implements TenantInfo {
  /** Compiled on first use (see owns). */
  private matchers: Matcher[] | undefined;

  constructor(
    readonly name: string,
    readonly namespaces: readonly string[],
    readonly owners: readonly string[],
    readonly labels: Readonly<Record<string, string>>,
    readonly paths: readonly string[],
    readonly platform: boolean,
    readonly auditAllowed: boolean,
    readonly description: string | undefined,
    private readonly src: YamlSource,
    /** The tenant's place in the registry. */
    readonly order: number,
  ) {
    // An empty glob throws, at once, as it always did.
    if (paths.includes("")) this.matchers = paths.map(compileGlob);
  }

  get span(): Span {
    return this.src.locate(["tenants", this.name], true);
  }

  // Compiled on first use: a thousand tenants' globs take 15 ms, and a language server's first
  // check looks at a few tenants' files.
  owns(file: string): boolean {
    return (this.matchers ??= this.paths.map(compileGlob)).some((m) => matches(m, file));
  }
}

class Namespace implements NamespaceInfo {
  constructor(
    readonly name: string,
    readonly tenant: string | undefined,
    readonly labels: Readonly<Record<string, string>>,
    private readonly src: YamlSource,
    /** Where the namespace is: its index in the tenant's list, or -1 for a shared namespace. */
    private readonly index: number,
  ) {}

  get span(): Span {
    return this.index >= 0 ? this.src.locate(["tenants", this.tenant!, "namespaces", this.index]) : this.src.locate(["namespaces", this.name], true);
  }
}

class Service implements ServiceInfo {
  constructor(
    readonly namespace: string,
    readonly name: string,
    readonly selector: boolean,
    readonly addresses: AddressSet | undefined,
    readonly addressText: readonly string[],
    private readonly src: YamlSource,
  ) {}

  get span(): Span {
    return this.src.locate(["services", `${this.namespace}/${this.name}`], true);
  }
}

/** Interns the strings of a registry's entries: the same owner, date or label in thousands of entries. */
function interner(): (s: string) => string {
  const seen = new Map<string, string>();
  return (s) => {
    const known = seen.get(s);
    if (known !== undefined) return known;
    seen.set(s, s);
    return s;
  };
}

/** A copy of a YAML list the registry keeps: js-yaml's arrays have room for seventeen items. */
function keptList(list: readonly string[] | undefined, intern: (s: string) => string): readonly string[] {
  return list === undefined || list.length === 0 ? EMPTY : list.map(intern);
}

function keptLabels(labels: Record<string, string> | undefined, intern: (s: string) => string): Readonly<Record<string, string>> {
  if (!labels) return EMPTY_LABELS;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(labels)) out[intern(k)] = intern(v);
  return out;
}

// Shared, and readonly by type only: a frozen object has a map of its own, and these meet the same
// (hot) code as every other entry's lists and labels.
const EMPTY: readonly string[] = [];
const EMPTY_LABELS: Readonly<Record<string, string>> = {};

export function loadTenantRegistry(host: CompilerHost, path: string, at: { file: string; span: Span }): {
  registry?: TenantRegistry | undefined;
  source?: YamlSource | undefined;
  diagnostics: Diagnostic[];
} {
  const loaded = readYamlFile(host, path, "tenant registry", at);
  if (Array.isArray(loaded)) return { diagnostics: loaded };
  const src = loaded.source;
  if (!src.ok) return { source: src, diagnostics: [...src.diagnostics] };
  if (!validateTenants(loaded.value)) return { source: src, diagnostics: schemaDiagnostics(validateTenants.errors, src) };
  const raw = loaded.value as RawTenants;
  const diagnostics: Diagnostic[] = [];
  const tenants = new Map<string, Tenant>();
  const namespaces = new Map<string, NamespaceInfo>();
  const claimedBy = new Map<string, string>();
  const intern = interner();

  for (const [name, t] of Object.entries(raw.tenants)) {
    const paths = t.paths.map((g) => g.replace(/^\.\//, ""));
    t.paths.forEach((g, i) => {
      const problem = globProblem(g);
      if (problem)
        diagnostics.push(
          diag("invalidRegistryValue", { file: path, span: src.locate(["tenants", name, "paths", i]) }, { message: `path '${g}' is not usable: ${problem}` }),
        );
    });
    const info = new Tenant(
      name,
      keptList(t.namespaces, intern),
      keptList(t.owners, intern),
      keptLabels(t.labels, intern),
      paths,
      t.platform === true,
      t["audit-allowed"] === true,
      t.description,
      src,
      tenants.size,
    );
    tenants.set(name, info);
    info.namespaces.forEach((ns, i) => {
      const first = claimedBy.get(ns);
      if (first) {
        diagnostics.push(diag("duplicateNamespace", { file: path, span: src.locate(["tenants", name, "namespaces", i]) }, { namespace: ns, first }));
        return;
      }
      claimedBy.set(ns, `tenant '${name}'`);
      namespaces.set(ns, new Namespace(ns, name, EMPTY_LABELS, src, i));
    });
  }
  for (const [ns, v] of Object.entries(raw.namespaces ?? {})) {
    const first = claimedBy.get(ns);
    if (first) {
      diagnostics.push(diag("duplicateNamespace", { file: path, span: src.locate(["namespaces", ns], true) }, { namespace: ns, first }));
      continue;
    }
    claimedBy.set(ns, "the shared namespaces");
    namespaces.set(ns, new Namespace(ns, undefined, keptLabels(v?.labels, intern), src, -1));
  }
  const services = new Map<string, ServiceInfo>();
  for (const [key, v] of Object.entries(raw.services ?? {})) {
    const [ns, name] = key.split("/") as [string, string];
    const at = ["services", key];
    if (!namespaces.has(ns)) {
      diagnostics.push(
        diag("invalidRegistryValue", { file: path, span: src.locate(at, true) }, { message: `service ${key}: namespace '${ns}' is not in this registry${didYouMean(closest(ns, namespaces.keys()))}` }),
      );
      continue;
    }
    let addresses: AddressSet | undefined;
    const addressText: string[] = [];
    (v?.addresses ?? []).forEach((a, i) => {
      const c = parseCidr(a);
      if (!c.ok) {
        diagnostics.push(diag("invalidRegistryValue", { file: path, span: src.locate([...at, "addresses", i]) }, { message: `'${a}' is not a CIDR: ${c.reason}` }));
        return;
      }
      addressText.push(formatPrefix(c.prefix));
      addresses = (addresses ?? AddressSet.empty()).union(AddressSet.prefix(c.prefix));
    });
    services.set(key, new Service(ns, name, v?.selector !== false, addresses, addressText, src));
  }
  return { registry: { file: path, tenants, namespaces, services, ownersOf: ownerIndex(tenants) }, source: src, diagnostics };
}

const didYouMean = (s: string | undefined) => (s ? ` (did you mean '${s}'?)` : "");

/**
 * Finds the tenants owning a file without running every tenant's globs: each glob's static base
 * folder (`tenants/payments` for `tenants/payments/**`) narrows the candidates to a few.
 */
function ownerIndex(tenants: ReadonlyMap<string, Tenant>): (file: string) => TenantInfo[] {
  // Built on first use, like the globs themselves.
  let byBase: Map<string, Tenant[]> | undefined;
  const index = () => {
    byBase = new Map<string, Tenant[]>();
    for (const t of tenants.values())
      for (const g of t.paths) {
        const base = globBase(g);
        const list = byBase.get(base);
        if (!list) byBase.set(base, [t]);
        else if (list[list.length - 1] !== t) list.push(t);
      }
    return byBase;
  };
  // An editor asks again for every file after every keystroke; the answer for a path never changes.
  const known = new Map<string, TenantInfo[]>();
  return (file) => {
    const hit = known.get(file);
    if (hit) return hit;
    byBase ??= index();
    const candidates = new Set<Tenant>();
    const parts = file.split("/");
    for (let i = 0; i <= parts.length; i++) for (const t of byBase.get(parts.slice(0, i).join("/")) ?? []) candidates.add(t);
    // Registry order, without walking every tenant for every file.
    const owners = [...candidates].filter((t) => t.owns(file)).sort((a, b) => a.order - b.order);
    known.set(file, owners);
    return owners;
  };
}

/** Plain folders then `/**`, as most tenants' paths are written: picomatch's base is the folders. */
const FOLDER_GLOB = /^[\w.-]+(?:\/[\w.-]+)*\/\*\*$/;

/**
 * What keeps a path below a folder glob's base from matching it in picomatch (`dot: true`): a `.`
 * or `..` segment, or a line break (which its `.` does not match).
 */
const NOT_BELOW = /(?:^|\/)\.{1,2}(?:\/|$)|[\n\r\u2028\u2029]/;

/**
 * A compiled tenant glob: a folder glob's base folder (`dir` for `dir/**`), matched as a prefix by
 * picomatch's rules for it, the folder itself or a path below it; any other glob, picomatch's
 * regex. A regex (or a closure) per tenant takes far more than the string.
 */
type Matcher = string | RegExp;

function compileGlob(glob: string): Matcher {
  return FOLDER_GLOB.test(glob) ? glob.slice(0, -3) : picomatch.makeRe(glob, { dot: true });
}

function matches(m: Matcher, file: string): boolean {
  if (typeof m !== "string") return m.test(file);
  if (!file.startsWith(m)) return false;
  return file.length === m.length || (file.charCodeAt(m.length) === 47 /* / */ && !NOT_BELOW.test(file.slice(m.length + 1)));
}

/** A tenant glob as a test of a project-relative path. */
export function globMatcher(glob: string): (file: string) => boolean {
  const m = compileGlob(glob);
  return (file) => matches(m, file);
}

/** The static base folder of a glob; scanning a thousand globs with picomatch takes tens of milliseconds. */
export function globBase(glob: string): string {
  return FOLDER_GLOB.test(glob) ? glob.slice(0, -3) : picomatch.scan(glob).base;
}

/** "443", "443/tcp", "53/udp", "8000-8999/tcp", "53/any", "*" (all ports). */
export function parsePortText(text: string): PortSet | string {
  const t = text.trim().toLowerCase();
  if (t === "*" || t === "all" || t === "any") return PortSet.all();
  const m = /^(\d{1,5})(?:-(\d{1,5}))?(?:\/(tcp|udp|sctp|any))?$/.exec(t);
  if (!m) return `'${text}' is not a port (443, 443/tcp, 53/udp, 8000-8999/tcp, or "*" for all ports)`;
  const start = Number(m[1]);
  const end = m[2] ? Number(m[2]) : start;
  if (start < 1 || end > 65535 || end < start) return `'${text}' is not a port range within 1-65535`;
  return PortSet.spec((m[3] ?? "tcp").toUpperCase() as ProtocolSpec, start, end);
}

/** A host, host pattern, CIDR or `cidr-group NAME` as written in the approval registry. */
export function parseDestination(text: string): Destination | string {
  const group = /^cidr-group\s+(.*)$/.exec(text.trim());
  if (group) {
    const problem = cidrGroupNameProblem(group[1]!);
    return problem ? `'${text}': ${problem}` : { kind: "group", name: group[1]! };
  }
  if (/^[0-9a-fA-F:.]+(\/\d+)?$/.test(text) && (text.includes(":") || /^\d+\.\d+\.\d+\.\d+/.test(text))) {
    const c = parseCidr(text);
    if (!c.ok) return `'${text}' is not a valid CIDR: ${c.reason}`;
    return { kind: "cidr", prefix: c.prefix, set: AddressSet.prefix(c.prefix) };
  }
  const f = parseFqdn(text);
  if (!f.ok) return `'${text}' is not a valid host name or pattern: ${f.reason}`;
  return { kind: "fqdn", pattern: f.pattern };
}

export function destinationText(d: Destination): string {
  return d.kind === "fqdn" ? d.pattern.text : d.kind === "group" ? `cidr-group ${d.name}` : formatPrefix(d.prefix);
}

/** CiliumCIDRGroup names are DNS-1123 subdomains (cluster-scoped objects). */
export function cidrGroupNameProblem(name: string): string | undefined {
  if (name.length === 0 || name.length > 253) return "a CiliumCIDRGroup name has 1 to 253 characters";
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/.test(name))
    return "a CiliumCIDRGroup name is a DNS subdomain: lower-case letters, digits, '-' and '.'";
  return undefined;
}

/** Parses YYYY-MM-DD and checks it is a real calendar date. */
export function isValidDate(s: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
  if (!m) return false;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return d.getUTCFullYear() === Number(m[1]) && d.getUTCMonth() === Number(m[2]) - 1 && d.getUTCDate() === Number(m[3]);
}

/** An approval (see Tenant for why a class). */
class ApprovalEntry implements Approval {
  constructor(
    readonly id: string,
    readonly destination: Destination,
    readonly destinationText: string,
    readonly ports: PortSet,
    readonly icmp: boolean,
    readonly tenants: "*" | readonly string[],
    readonly approvedBy: string,
    readonly ticket: string,
    readonly expires: string,
    readonly description: string | undefined,
    readonly file: string,
    private readonly src: YamlSource,
    /** The entry's index in the registry's list (its order, and where it is). */
    readonly index: number,
  ) {}

  get span(): Span {
    return this.src.locate(["approvals", this.index]);
  }
}

class BlockedEntry implements Blocked {
  constructor(
    readonly destination: Destination,
    readonly destinationText: string,
    readonly reason: string,
    readonly file: string,
    private readonly src: YamlSource,
    private readonly index: number,
  ) {}

  get span(): Span {
    return this.src.locate(["blocked", this.index]);
  }
}

export function loadApprovalRegistry(
  host: CompilerHost,
  path: string,
  tenants: TenantRegistry | undefined,
  at: { file: string; span: Span },
): { registry?: ApprovalRegistry | undefined; source?: YamlSource | undefined; diagnostics: Diagnostic[] } {
  const loaded = readYamlFile(host, path, "approval registry", at);
  if (Array.isArray(loaded)) return { diagnostics: loaded };
  const src = loaded.source;
  if (!src.ok) return { source: src, diagnostics: [...src.diagnostics] };
  const value = loaded.value ?? {};
  if (!validateApprovals(value)) return { source: src, diagnostics: schemaDiagnostics(validateApprovals.errors, src) };
  const raw = value as RawApprovals;
  const diagnostics: Diagnostic[] = [];
  const approvals: ApprovalEntry[] = [];
  const byId = new Map<string, Approval>();
  const ids = new Set<string>();
  const intern = interner();
  const problem = (p: (string | number)[], message: string) =>
    diagnostics.push(diag("invalidRegistryValue", { file: path, span: src.locate(p) }, { message }));

  (raw.approvals ?? []).forEach((a, i) => {
    const at = (...rest: (string | number)[]) => ["approvals", i, ...rest];
    const dest = parseDestination(a.destination);
    if (typeof dest === "string") problem(at("destination"), dest);
    let ports = PortSet.empty();
    let icmp = false;
    a.ports.forEach((p, j) => {
      if (String(p).trim().toLowerCase() === "icmp") {
        icmp = true;
        return;
      }
      const parsed = parsePortText(String(p));
      if (typeof parsed === "string") problem(at("ports", j), parsed);
      else ports = ports.union(parsed);
      // "*" approves all traffic to the destination, ICMP included.
      if (typeof parsed !== "string" && parsed.isAll()) icmp = true;
    });
    if (!isValidDate(a.expires)) problem(at("expires"), `'${a.expires}' is not a calendar date (YYYY-MM-DD)`);
    const star = a.tenants.includes("*");
    if (!star && tenants)
      a.tenants.forEach((t, j) => {
        if (!tenants.tenants.has(t))
          diagnostics.push(
            diag("unknownTenantInRegistry", { file: path, span: src.locate(at("tenants", j)) }, { name: t, suggestion: closest(t, tenants.tenants.keys()) }),
          );
      });
    if (ids.has(a.id)) {
      diagnostics.push(diag("duplicateApprovalId", { file: path, span: src.locate(at("id")) }, { id: a.id }));
      return;
    }
    ids.add(a.id);
    if (typeof dest === "string") return;
    const approval = new ApprovalEntry(
      a.id,
      dest,
      destinationText(dest),
      ports,
      icmp,
      star ? "*" : keptList(a.tenants, intern),
      intern(a["approved-by"]),
      intern(a.ticket),
      intern(a.expires),
      a.description,
      path,
      src,
      i,
    );
    byId.set(a.id, approval);
    approvals.push(approval);
  });
  const blocked: Blocked[] = [];
  (raw.blocked ?? []).forEach((b, i) => {
    const dest = parseDestination(b.destination);
    if (typeof dest === "string") return problem(["blocked", i, "destination"], dest);
    blocked.push(new BlockedEntry(dest, destinationText(dest), b.reason, path, src, i));
  });
  return { registry: { file: path, approvals, blocked, byId, forTenant: approvalsByTenant(approvals) }, source: src, diagnostics };
}

const NO_APPROVALS: readonly ApprovalEntry[] = [];

/**
 * The approvals naming a tenant or "*", in registry order, by an index built once: scanning every
 * approval for every tenant is quadratic. (A function of its own, so that its closure does not keep
 * the loader's working sets.)
 */
function approvalsByTenant(approvals: readonly ApprovalEntry[]): (tenant: string) => readonly Approval[] {
  let named: Map<string, ApprovalEntry[]> | undefined;
  const forAll: ApprovalEntry[] = [];
  const merged = new Map<string, readonly Approval[]>();
  return (tenant) => {
    if (!named) {
      named = new Map();
      for (const a of approvals) {
        if (a.tenants === "*") forAll.push(a);
        else
          for (const t of new Set(a.tenants)) {
            const l = named.get(t);
            if (l) l.push(a);
            else named.set(t, [a]);
          }
      }
      // Pushed-to lists keep room for seventeen: a thousand tenants' lists are kept for good.
      for (const [t, l] of named) named.set(t, l.slice());
    }
    const own: readonly ApprovalEntry[] = named.get(tenant) ?? NO_APPROVALS;
    if (forAll.length === 0) return own;
    if (own.length === 0) return forAll;
    // Merged once per tenant (only registries with approvals for every tenant have these).
    let list = merged.get(tenant);
    if (!list) merged.set(tenant, (list = [...own, ...forAll].sort((x, y) => x.index - y.index)));
    return list;
  };
}

export function loadRegistries(host: CompilerHost, config: ProjectConfig, projectSource: YamlSource | undefined): LoadedRegistries {
  // Located only for a diagnostic: locating parses ztc.yaml again, with positions.
  const at = (key: string) => ({
    file: config.file,
    get span() {
      return projectSource?.locate(["registries", key]) ?? { start: 0, end: 0 };
    },
  });
  const t = loadTenantRegistry(host, config.tenantsPath, at("tenants"));
  const a = loadApprovalRegistry(host, config.approvalsPath, t.registry, at("approvals"));
  return {
    tenants: t.registry,
    approvals: a.registry,
    sources: [t.source, a.source].filter((s): s is YamlSource => s !== undefined),
    diagnostics: [...t.diagnostics, ...a.diagnostics],
  };
}
