/**
 * The compiler's only window on the outside world. Paths are project-relative with forward
 * slashes; the host refuses anything that leaves the project folder, including through symbolic
 * links, so the core never has to think about the real file system.
 */
import * as fs from "node:fs";
import * as nodePath from "node:path";

export type ReadResult =
  | { readonly kind: "ok"; readonly text: string }
  | { readonly kind: "missing" }
  | { readonly kind: "outside" }
  | { readonly kind: "error"; readonly message: string }
  | { readonly kind: "not-text"; readonly reason: string; readonly offset: number }
  | { readonly kind: "too-large"; readonly size: number };

/**
 * Values derived from a file's text that a host may keep between runs (the language server keeps
 * them in the user's cache folder: compiler/cli/derived-cache.ts), found again only for the same text.
 * Best effort: any lookup may miss, and a miss means the work is done as if there were no cache.
 */
export interface DerivedCache {
  /** The value stored for this kind of work on this file's text, or undefined. */
  lookup(kind: string, file: string, text: string): unknown;
  /**
   * Keeps `value` (plain data: what structured clone copies) for this kind of work on this text.
   * The value may be copied later: the caller must not change it afterwards.
   */
  store(kind: string, file: string, text: string, value: unknown): void;
  /** What it has done so far, for traces ("2 found, 1 missed"). */
  describe?(): string;
}

/** What `derive` gives for this text: from the cache when it has it, else derived and kept (a value `derive` throws for is not). */
export function derivedValue<T>(cache: DerivedCache | undefined, kind: string, file: string, text: string, derive: () => T): T {
  if (!cache) return derive();
  const found = cache.lookup(kind, file, text);
  if (found !== undefined) return found as T;
  const value = derive();
  cache.store(kind, file, text, value);
  return value;
}

export interface CompilerHost {
  /** Absolute project folder, for messages only. */
  readonly root: string;
  /** Where derived values are kept between runs, if anywhere. */
  readonly cache?: DerivedCache | undefined;
  /** Reads a project-relative file as UTF-8 text (BOM removed). */
  readFile(path: string, maxBytes: number): ReadResult;
  /** Every regular file below the project folder, project-relative and sorted. */
  listFiles(): readonly string[];
}

/** Normalises a project-relative path; undefined if it is absolute or climbs out with `..`. */
export function normalizeProjectPath(p: string): string | undefined {
  if (p.length === 0 || p.includes("\0")) return undefined;
  const slashed = p.replace(/\\/g, "/");
  if (slashed.startsWith("/") || /^[A-Za-z]:/.test(slashed)) return undefined;
  const out: string[] = [];
  for (const seg of slashed.split("/")) {
    if (seg === "" || seg === ".") continue;
    if (seg === "..") {
      if (out.length === 0) return undefined;
      out.pop();
    } else out.push(seg);
  }
  return out.join("/");
}

/** Joins a path relative to a project file's folder (`a/b.yaml` + `c` -> `a/c`). */
export function joinProjectPath(dir: string, rel: string): string | undefined {
  if (rel.replace(/\\/g, "/").startsWith("/")) return undefined;
  return normalizeProjectPath(dir ? `${dir}/${rel}` : rel);
}

export function dirname(p: string): string {
  const i = p.lastIndexOf("/");
  return i < 0 ? "" : p.slice(0, i);
}

/** Decodes UTF-8 strictly; NUL bytes count as binary. Returns the offending byte offset. */
export function decodeText(bytes: Uint8Array): { text: string } | { reason: string; offset: number } {
  const nul = bytes.indexOf(0);
  if (nul >= 0) return { reason: `NUL byte at byte ${nul}`, offset: nul };
  try {
    let text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    return { text };
  } catch {
    const offset = firstInvalidUtf8(bytes);
    return { reason: `invalid UTF-8 at byte ${offset}`, offset };
  }
}

function firstInvalidUtf8(b: Uint8Array): number {
  let i = 0;
  while (i < b.length) {
    const c = b[i]!;
    const n = c < 0x80 ? 0 : c >= 0xc2 && c <= 0xdf ? 1 : c >= 0xe0 && c <= 0xef ? 2 : c >= 0xf0 && c <= 0xf4 ? 3 : -1;
    if (n < 0) return i;
    for (let k = 1; k <= n; k++) if (i + k >= b.length || (b[i + k]! & 0xc0) !== 0x80) return i;
    i += n + 1;
  }
  return i;
}

const SKIP_DIRS = new Set([".git", "node_modules", ".hg", ".svn"]);

/** The real file system below `root`. */
export function createNodeHost(root: string): CompilerHost {
  const absRoot = fs.realpathSync.native(nodePath.resolve(root));
  const inside = (abs: string) => abs === absRoot || abs.startsWith(absRoot + nodePath.sep);
  let listing: string[] | undefined;
  /** Files the walk reached through real folders only: no symlink anywhere on their path. */
  const plain = new Set<string>();
  /** Reads a file that is known to be inside the project, refusing a symlink that replaced it. */
  const readPlain = (abs: string, maxBytes: number): ReadResult => {
    let fd: number;
    try {
      fd = fs.openSync(abs, fs.constants.O_RDONLY | (fs.constants.O_NOFOLLOW ?? 0));
    } catch (e) {
      return { kind: "error", message: (e as Error).message };
    }
    try {
      const st = fs.fstatSync(fd);
      if (!st.isFile()) return { kind: "error", message: "it is not a regular file" };
      if (st.size > maxBytes) return { kind: "too-large", size: st.size };
      const decoded = decodeText(fs.readFileSync(fd));
      return "text" in decoded ? { kind: "ok", text: decoded.text } : { kind: "not-text", ...decoded };
    } catch (e) {
      return { kind: "error", message: (e as Error).message };
    } finally {
      fs.closeSync(fd);
    }
  };
  return {
    root: absRoot,
    readFile(path, maxBytes) {
      const rel = normalizeProjectPath(path);
      if (rel === undefined) return { kind: "outside" };
      const abs = nodePath.join(absRoot, rel);
      if (plain.has(rel)) return readPlain(abs, maxBytes);
      let real: string;
      try {
        real = fs.realpathSync.native(abs);
      } catch (e) {
        return (e as NodeJS.ErrnoException).code === "ENOENT" ? { kind: "missing" } : { kind: "error", message: String((e as Error).message) };
      }
      if (!inside(real)) return { kind: "outside" };
      try {
        const st = fs.statSync(real);
        if (!st.isFile()) return { kind: "error", message: "it is not a regular file" };
        if (st.size > maxBytes) return { kind: "too-large", size: st.size };
        const decoded = decodeText(fs.readFileSync(real));
        return "text" in decoded ? { kind: "ok", text: decoded.text } : { kind: "not-text", ...decoded };
      } catch (e) {
        return { kind: "error", message: (e as Error).message };
      }
    },
    listFiles() {
      if (listing) return listing;
      const out: string[] = [];
      const walk = (dirAbs: string, dirRel: string) => {
        let entries: fs.Dirent[];
        try {
          entries = fs.readdirSync(dirAbs, { withFileTypes: true });
        } catch {
          return;
        }
        for (const e of entries) {
          const rel = dirRel ? `${dirRel}/${e.name}` : e.name;
          if (e.isDirectory()) {
            if (!SKIP_DIRS.has(e.name)) walk(nodePath.join(dirAbs, e.name), rel);
          } else if (e.isFile()) {
            out.push(rel);
            plain.add(rel);
          }
          else if (e.isSymbolicLink()) {
            // Symlinked files count only when they resolve inside the project; symlinked
            // folders are never followed (no loops, no escaping through them).
            try {
              const real = fs.realpathSync(nodePath.join(dirAbs, e.name));
              if (inside(real) && fs.statSync(real).isFile()) out.push(rel);
            } catch {
              /* dangling link: ignore */
            }
          }
        }
      };
      walk(absRoot, "");
      listing = out.sort();
      return listing;
    },
  };
}

/** An in-memory project for tests and for the language server's unsaved documents. */
export function createMemoryHost(files: Record<string, string | Uint8Array>, root = "/memory"): CompilerHost {
  const map = new Map<string, string | Uint8Array>();
  for (const [k, v] of Object.entries(files)) {
    const n = normalizeProjectPath(k);
    if (n !== undefined) map.set(n, v);
  }
  const listing = [...map.keys()].sort();
  return {
    root,
    readFile(path, maxBytes) {
      const rel = normalizeProjectPath(path);
      if (rel === undefined) return { kind: "outside" };
      const v = map.get(rel);
      if (v === undefined) return { kind: "missing" };
      const bytes = typeof v === "string" ? new TextEncoder().encode(v) : v;
      if (bytes.length > maxBytes) return { kind: "too-large", size: bytes.length };
      if (typeof v === "string") {
        if (v.includes("\0")) return { kind: "not-text", reason: "NUL byte", offset: v.indexOf("\0") };
        return { kind: "ok", text: v.charCodeAt(0) === 0xfeff ? v.slice(1) : v };
      }
      const decoded = decodeText(v);
      return "text" in decoded ? { kind: "ok", text: decoded.text } : { kind: "not-text", ...decoded };
    },
    listFiles() {
      return listing;
    },
  };
}

/** A host whose files are overlaid by open editor documents (the language server's view). */
export function overlayHost(base: CompilerHost, overlay: ReadonlyMap<string, string>): CompilerHost {
  let listing: string[] | undefined;
  return {
    root: base.root,
    cache: base.cache,
    readFile(path, maxBytes) {
      const rel = normalizeProjectPath(path);
      const text = rel !== undefined ? overlay.get(rel) : undefined;
      if (text !== undefined) return text.length > maxBytes ? { kind: "too-large", size: text.length } : { kind: "ok", text };
      return base.readFile(path, maxBytes);
    },
    listFiles() {
      listing ??= [...new Set([...base.listFiles(), ...overlay.keys()])].sort();
      return listing;
    },
  };
}
