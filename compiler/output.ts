/**
 * Writing the output folder: one file per policy plus kustomization.yaml. Everything is validated
 * and rendered before the first write; files are written to temporary names and renamed into
 * place; only files carrying ztc's generated-file header are ever replaced or deleted.
 */
import * as fs from "node:fs";
import * as nodePath from "node:path";
import { diag, type Diagnostic } from "../language/index.js";
import type { EmittedPolicy } from "./emit.js";
import { GENERATED_HEADER, toYaml } from "./yaml-out.js";

export interface OutputFile {
  /** Relative to the output folder. */
  readonly path: string;
  readonly content: string;
}

export interface WriteSummary {
  readonly written: number;
  readonly unchanged: number;
  readonly removed: number;
}

/** The file system as the output writer needs it (the real one, or memory for tests). */
export interface OutputFs {
  /** Every file below `dir`, relative to it; [] when it does not exist. */
  list(dir: string): string[];
  read(path: string): string | undefined;
  /** Writes `content` under a temporary name; returns that name. */
  writeTemp(path: string, content: string): string;
  rename(from: string, to: string): void;
  remove(path: string): void;
  /** Removes now-empty folders between `path`'s folder and `stop` (exclusive). */
  pruneEmptyDirs(path: string, stop: string): void;
  /**
   * Creates `dir` (missing or empty) with exactly these files, all at once: they are written to a
   * staging folder beside it, which then replaces it with one rename.
   */
  createTree(dir: string, files: readonly OutputFile[]): void;
}

const json = (v: unknown) => v as Parameters<typeof toYaml>[0];

export function renderPolicy(p: EmittedPolicy): string {
  return `${GENERATED_HEADER}\n${toYaml(json(p.manifest))}`;
}

/** The documents as one stream, for `-o -`. */
export function renderStream(policies: readonly EmittedPolicy[]): string {
  return GENERATED_HEADER + "\n" + policies.map((p) => `---\n${toYaml(json(p.manifest))}`).join("");
}

export function planOutput(policies: readonly EmittedPolicy[]): OutputFile[] {
  const files = policies.map((p) => ({ path: p.path, content: renderPolicy(p) }));
  const kustomization = {
    apiVersion: "kustomize.config.k8s.io/v1beta1",
    kind: "Kustomization",
    resources: files.map((f) => f.path),
  };
  return [...files, { path: "kustomization.yaml", content: `${GENERATED_HEADER}\n${toYaml(kustomization)}` }];
}

function isManaged(content: string | undefined): boolean {
  return content !== undefined && content.startsWith(GENERATED_HEADER);
}

/**
 * Replaces the ztc-managed files of `outDir` with `files`. Returns diagnostics (exit 2) and writes
 * nothing if a planned file would overwrite one ztc does not manage.
 */
export function writeOutput(
  ofs: OutputFs,
  outDir: string,
  outLabel: string,
  files: readonly OutputFile[],
): { summary?: WriteSummary; diagnostics: Diagnostic[] } {
  const join = (p: string) => (outDir ? `${outDir}/${p}` : p);
  const existing = new Set(ofs.list(outDir));
  const at = { file: "", span: { start: 0, end: 0 } };
  // Each existing file is read once: for its header, then to compare with the new content.
  const contents = new Map<string, string | undefined>();
  const read = (p: string) => {
    if (contents.has(p)) return contents.get(p);
    const c = ofs.read(join(p));
    contents.set(p, c);
    return c;
  };
  const conflicts = files.filter((f) => existing.has(f.path) && !isManaged(read(f.path)));
  if (conflicts.length > 0)
    return { diagnostics: conflicts.map((f) => diag("outputConflict", at, { path: `${outLabel}/${f.path}` })) };

  const planned = new Set(files.map((f) => f.path));
  if (existing.size === 0) {
    // A new output folder appears complete or not at all.
    try {
      ofs.createTree(outDir, files);
    } catch (e) {
      return { diagnostics: [diag("outputWriteFailed", at, { path: outLabel, reason: (e as Error).message })] };
    }
    return { summary: { written: files.length, unchanged: 0, removed: 0 }, diagnostics: [] };
  }
  const changed = files.filter((f) => !existing.has(f.path) || read(f.path) !== f.content);
  contents.clear();
  const temps: [string, string][] = [];
  try {
    for (const f of changed) temps.push([ofs.writeTemp(join(f.path), f.content), join(f.path)]);
    for (const [tmp, final] of temps) ofs.rename(tmp, final);
  } catch (e) {
    for (const [tmp] of temps) {
      try {
        ofs.remove(tmp);
      } catch {
        /* already renamed or never written */
      }
    }
    return { diagnostics: [diag("outputWriteFailed", at, { path: outLabel, reason: (e as Error).message })] };
  }
  let removed = 0;
  for (const old of [...existing].sort()) {
    if (planned.has(old) || !isManaged(ofs.read(join(old)))) continue;
    ofs.remove(join(old));
    ofs.pruneEmptyDirs(join(old), outDir);
    removed++;
  }
  return { summary: { written: changed.length, unchanged: files.length - changed.length, removed }, diagnostics: [] };
}

/** The real file system, rooted at the project folder; refuses to follow links out of it. */
export function createNodeOutputFs(root: string): OutputFs {
  const abs = (p: string) => nodePath.join(root, p);
  const realRoot = fs.realpathSync(root);
  const ready = new Set<string>();
  /** Creates a file's folder once, and refuses folders that resolve outside the root (links). */
  const prepareDir = (dirAbs: string) => {
    if (ready.has(dirAbs)) return;
    fs.mkdirSync(dirAbs, { recursive: true });
    const real = fs.realpathSync(dirAbs);
    if (real !== realRoot && !real.startsWith(realRoot + nodePath.sep)) throw new Error(`${nodePath.relative(root, dirAbs)} resolves outside the output folder`);
    ready.add(dirAbs);
  };
  return {
    list(dir) {
      const base = abs(dir);
      const out: string[] = [];
      const walk = (d: string, rel: string) => {
        let entries: fs.Dirent[];
        try {
          entries = fs.readdirSync(d, { withFileTypes: true });
        } catch {
          return;
        }
        for (const e of entries) {
          const r = rel ? `${rel}/${e.name}` : e.name;
          if (e.isDirectory()) walk(nodePath.join(d, e.name), r);
          else if (e.isFile()) out.push(r);
        }
      };
      walk(base, "");
      return out.sort();
    },
    read(p) {
      try {
        return fs.readFileSync(abs(p), "utf8");
      } catch {
        return undefined;
      }
    },
    writeTemp(p, content) {
      prepareDir(nodePath.dirname(abs(p)));
      const tmp = `${p}.ztc-tmp-${process.pid}`;
      fs.writeFileSync(abs(tmp), content);
      return tmp;
    },
    rename(from, to) {
      fs.renameSync(abs(from), abs(to));
    },
    remove(p) {
      fs.rmSync(abs(p), { force: true });
    },
    pruneEmptyDirs(p, stop) {
      let dir = nodePath.dirname(p);
      while (dir && dir !== "." && dir !== stop && dir.startsWith(stop)) {
        try {
          fs.rmdirSync(abs(dir));
        } catch {
          return;
        }
        dir = nodePath.dirname(dir);
      }
    },
    createTree(dir, files) {
      const target = abs(dir);
      const staging = `${target.replace(/[\\/]+$/, "")}.ztc-staging-${process.pid}`;
      fs.rmSync(staging, { recursive: true, force: true });
      try {
        const made = new Set<string>();
        for (const f of files) {
          const file = nodePath.join(staging, f.path);
          const d = nodePath.dirname(file);
          if (!made.has(d)) {
            fs.mkdirSync(d, { recursive: true });
            made.add(d);
          }
          fs.writeFileSync(file, f.content);
        }
        if (fs.existsSync(target)) fs.rmdirSync(target); // empty, checked by the caller
        fs.renameSync(staging, target);
      } catch (e) {
        fs.rmSync(staging, { recursive: true, force: true });
        throw e;
      }
    },
  };
}

/** An in-memory output file system for tests. */
export function createMemoryOutputFs(files: Map<string, string> = new Map()): OutputFs & { files: Map<string, string> } {
  return {
    files,
    list(dir) {
      const prefix = dir ? `${dir}/` : "";
      return [...files.keys()].filter((k) => k.startsWith(prefix)).map((k) => k.slice(prefix.length)).sort();
    },
    read: (p) => files.get(p),
    writeTemp(p, content) {
      const tmp = `${p}.ztc-tmp`;
      files.set(tmp, content);
      return tmp;
    },
    rename(from, to) {
      const v = files.get(from);
      if (v === undefined) throw new Error(`missing ${from}`);
      files.delete(from);
      files.set(to, v);
    },
    remove: (p) => void files.delete(p),
    pruneEmptyDirs: () => undefined,
    createTree(dir, list) {
      for (const f of list) files.set(dir ? `${dir}/${f.path}` : f.path, f.content);
    },
  };
}
