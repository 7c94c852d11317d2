/**
 * Conformance cases: one folder per upstream Cilium example under cases/, named after the
 * example's file (without `.yaml`), holding the .zt that expresses it and whatever registry it
 * needs beyond the shared project in project/ (ztc.yaml, the registries, rule-set modules).
 *
 * In the shared project and in a case folder alike, `tenants.yaml` and `approvals.yaml` are the
 * registries (`registry/...` in the project) and `policy.zt` is the demo tenant's file
 * (`tenants/demo/policy.zt`); every other file keeps its path (`ztc.yaml`, `tenants/<t>/...`,
 * `platform/...`, `lib/...`). A case's files replace the shared ones of the same path;
 * `case.json` describes the case.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { parse as parseYaml, parseAllDocuments } from "yaml";
import { createMemoryHost } from "../../compiler/host.js";
import { createProgram } from "../../compiler/program.js";
import { SHARED } from "../helpers/oracles.js";
import { TODAY } from "../helpers/project.js";
import { normalise, type Normalised, type NormaliseOptions } from "./normalise.js";

export const CASES = join(import.meta.dirname, "cases");
export const SHARED_PROJECT = join(import.meta.dirname, "project");
export const EXAMPLES = join(SHARED, "cilium/examples");

/** What an upstream example exercises, for docs/conformance.md. */
export const AREAS = ["L3", "L4", "L7", "FQDN", "DNS", "deny", "default-deny", "entities", "CIDR", "ICMP", "cluster-mesh", "host", "services", "clusterwide"] as const;

export interface CaseInfo {
  /** The example's file name under ../shared/cilium/examples/. */
  readonly upstream: string;
  readonly covers: readonly (typeof AREAS)[number][];
  /** Set while the .zt needs a language feature ztc does not have yet: `needs icmp`. */
  readonly pending?: string;
  /**
   * A difference in meaning between ztc's output and upstream that is ztc's to fix (a bug, or a
   * gap the .zt cannot avoid): the comparison is expected to fail until it is fixed.
   */
  readonly knownDifference?: string;
  /** Anything a reader of the comparison should know (deliberate spellings, approximations). */
  readonly note?: string;
}

export interface Case {
  readonly name: string;
  readonly dir: string;
  readonly info: CaseInfo;
  /** The in-memory project. */
  readonly files: Record<string, string>;
}

const RENAMED: Record<string, string> = {
  "policy.zt": "tenants/demo/policy.zt",
  "tenants.yaml": "registry/tenants.yaml",
  "approvals.yaml": "registry/approvals.yaml",
};

function walk(dir: string, visit: (path: string) => void): void {
  for (const e of readdirSync(dir).sort()) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) walk(p, visit);
    else visit(p);
  }
}

/** A folder's files by their path in the project. */
function projectFiles(dir: string, skip: (rel: string) => boolean = () => false): Record<string, string> {
  const files: Record<string, string> = {};
  walk(dir, (p) => {
    const rel = relative(dir, p).split("\\").join("/");
    if (!skip(rel)) files[RENAMED[rel] ?? rel] = readFileSync(p, "utf8");
  });
  return files;
}

export function loadCases(): Case[] {
  const shared = projectFiles(SHARED_PROJECT);
  const cases = readdirSync(CASES)
    .filter((n) => statSync(join(CASES, n)).isDirectory())
    .sort()
    .map((name) => {
      const dir = join(CASES, name);
      const infoPath = join(dir, "case.json");
      if (!existsSync(infoPath)) throw new Error(`${name}: no case.json`);
      const info = JSON.parse(readFileSync(infoPath, "utf8")) as CaseInfo;
      return { name, dir, info, files: { ...shared, ...projectFiles(dir, (rel) => rel === "case.json") } };
    });
  // A suite that finds nothing must fail, not pass vacuously.
  if (cases.length === 0) throw new Error(`no conformance cases under ${CASES}`);
  return cases;
}

/** The project's cluster name: selectors that name no cluster mean this one (B3). */
export function normaliseOptions(c: Case): NormaliseOptions {
  const project = parseYaml(c.files["ztc.yaml"] ?? "") as { cluster?: { name?: string } } | null;
  return { defaultNamespace: "default", localCluster: project?.cluster?.name ?? "default" };
}

export interface Compiled {
  readonly errors: string[];
  readonly manifests: unknown[];
}

export function compileCase(c: Case): Compiled {
  const result = createProgram(createMemoryHost(c.files), { today: TODAY }).emit();
  const errors = result.diagnostics.filter((d) => d.severity === "error").map((d) => `${d.file}: ${d.code} ${d.message}`);
  return { errors, manifests: result.policies.map((p) => JSON.parse(JSON.stringify(p.manifest)) as unknown) };
}

export function upstreamDocuments(file: string): unknown[] {
  return parseAllDocuments(readFileSync(join(EXAMPLES, file), "utf8")).map((d) => (d as { toJS(): unknown }).toJS());
}

export function normaliseUpstream(c: Case): Normalised {
  return normalise(upstreamDocuments(c.info.upstream), normaliseOptions(c));
}
