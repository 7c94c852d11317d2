/**
 * ztc.yaml: the project file. Every path in it is relative to its folder (the project root) and
 * must stay inside it.
 */
import { diag, type Diagnostic, type Span } from "../language/index.js";
import { parseCiliumVersion, DEFAULT_CILIUM_VERSION, type CiliumVersion } from "./cilium/versions.js";
import { validateProject } from "./generated/validators.js";
import { normalizeProjectPath, type CompilerHost } from "./host.js";
import { schemaDiagnostics } from "./schema-errors.js";
import { loadYaml, type LoadedYaml, type YamlSource } from "./yaml-source.js";

export const PROJECT_FILE = "ztc.yaml";
/** Registries and ztc.yaml above this size are refused. */
export const MAX_YAML_BYTES = 16 * 1024 * 1024;

export interface DnsConfig {
  readonly namespace: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly port: number;
  readonly protocol: "UDP" | "TCP" | "ANY";
  readonly clusterDomain: string;
  /** Which names the DNS-proxy rule admits by default: every name, or only those the rules need. */
  readonly lookups: "any" | "strict";
}

/** Agent features that are off by default in Cilium and that some rules need. */
export type AgentFeature = "mutual-auth" | "node-selector-labels" | "host-firewall";

export interface ProjectConfig {
  readonly file: string;
  readonly tenantsPath: string;
  readonly approvalsPath: string;
  readonly sources: readonly string[];
  readonly output: string;
  /** Project folder whose NAME@MAJOR.zt files override the bundled stdlib modules. */
  readonly stdlib?: string | undefined;
  readonly cilium: CiliumVersion;
  readonly features: ReadonlySet<AgentFeature>;
  readonly clusterName: string;
  /** Whether ztc.yaml names this cluster (rules naming other clusters need it before Cilium 1.19). */
  readonly clusterNamed: boolean;
  /** The other clusters of the mesh. */
  readonly mesh: readonly string[];
  readonly dns: DnsConfig;
}

export interface LoadedProject {
  readonly config?: ProjectConfig | undefined;
  readonly source?: YamlSource | undefined;
  readonly diagnostics: readonly Diagnostic[];
}

interface RawProject {
  registries: { tenants: string; approvals: string };
  sources?: string[];
  output?: string;
  stdlib?: string;
  cilium?: { version?: string; features?: AgentFeature[] };
  cluster?: { name?: string; mesh?: string[] };
  dns?: { namespace?: string; labels?: Record<string, string>; port?: number; protocol?: string; "cluster-domain"?: string; lookups?: "any" | "strict" };
}

/** Reads a YAML file through the host, turning every failure into a located diagnostic. */
export function readYamlFile(host: CompilerHost, path: string, what: string, at?: { file: string; span: Span }): LoadedYaml | Diagnostic[] {
  const r = host.readFile(path, MAX_YAML_BYTES);
  const loc = at ?? { file: path, span: { start: 0, end: 0 } };
  switch (r.kind) {
    case "ok":
      return loadYaml(r.text, path, host.cache);
    case "missing":
      return [diag("fileNotFound", loc, { path, what })];
    case "outside":
      return [diag("pathOutsideProject", loc, { path, what })];
    case "too-large":
      return [diag("notText", { file: path, span: { start: 0, end: 0 } }, { reason: `${r.size} bytes, above the 16 MiB limit` })];
    case "not-text":
      return [diag("notText", { file: path, span: { start: 0, end: 0 } }, { reason: r.reason })];
    case "error":
      return [diag("fileNotFound", loc, { path, what: `${what} (${r.message})` })];
  }
}

export function loadProject(host: CompilerHost): LoadedProject {
  const loaded = readYamlFile(host, PROJECT_FILE, "project file");
  if (Array.isArray(loaded)) return { diagnostics: loaded };
  const src = loaded.source;
  if (!src.ok) return { source: src, diagnostics: src.diagnostics };
  const raw = loaded.value as Record<string, unknown> | null;
  const diagnostics: Diagnostic[] = [];
  // YAML reads 1.20 as the number 1.2: catch it before the schema's generic "must be a string".
  const cv = (raw as { cilium?: { version?: unknown } } | null)?.cilium?.version;
  if (typeof cv === "number") {
    diagnostics.push(
      diag(
        "schemaViolation",
        { file: PROJECT_FILE, span: src.locate(["cilium", "version"]) },
        { message: `cilium.version must be a quoted string such as "1.20": YAML reads ${cv} as a number` },
      ),
    );
    return { source: src, diagnostics };
  }
  if (!validateProject(raw)) return { source: src, diagnostics: schemaDiagnostics(validateProject.errors, src) };
  const p = raw as unknown as RawProject;

  const path = (value: string, at: (string | number)[], what: string): string | undefined => {
    const n = normalizeProjectPath(value);
    if (n === undefined || n === "") {
      diagnostics.push(
        diag("pathOutsideProject", { file: PROJECT_FILE, span: src.locate(at) }, { path: value, what: n === "" ? `${what} (the project folder itself)` : what }),
      );
      return undefined;
    }
    return n;
  };
  const tenantsPath = path(p.registries.tenants, ["registries", "tenants"], "tenant registry");
  const approvalsPath = path(p.registries.approvals, ["registries", "approvals"], "approval registry");
  const output = path(p.output ?? "out", ["output"], "output folder");
  const stdlib = p.stdlib !== undefined ? path(p.stdlib, ["stdlib"], "stdlib folder") : undefined;
  const sources = (p.sources ?? ["**/*.zt"]).map((g, i) => {
    if (g.startsWith("/") || g.split("/").includes("..")) {
      diagnostics.push(diag("pathOutsideProject", { file: PROJECT_FILE, span: src.locate(["sources", i]) }, { path: g, what: "source glob" }));
    }
    return g.replace(/^\.\//, "");
  });
  const versionText = p.cilium?.version ?? DEFAULT_CILIUM_VERSION;
  const cilium = parseCiliumVersion(versionText);
  if (!cilium) diagnostics.push(diag("unsupportedCiliumVersion", { file: PROJECT_FILE, span: src.locate(["cilium", "version"]) }, { version: versionText }));
  if (diagnostics.length > 0 || !tenantsPath || !approvalsPath || !output || !cilium) return { source: src, diagnostics };

  const protocol = (p.dns?.protocol ?? "any").toUpperCase() as DnsConfig["protocol"];
  return {
    source: src,
    diagnostics,
    config: {
      file: PROJECT_FILE,
      tenantsPath,
      approvalsPath,
      sources,
      output,
      stdlib,
      cilium,
      features: new Set(p.cilium?.features ?? []),
      clusterName: p.cluster?.name ?? "default",
      clusterNamed: p.cluster?.name !== undefined,
      mesh: [...(p.cluster?.mesh ?? [])].sort(),
      dns: {
        namespace: p.dns?.namespace ?? "kube-system",
        labels: p.dns?.labels ?? { "k8s-app": "kube-dns" },
        port: p.dns?.port ?? 53,
        protocol,
        clusterDomain: p.dns?.["cluster-domain"] ?? "cluster.local",
        lookups: p.dns?.lookups ?? "any",
      },
    },
  };
}
