/**
 * A CompilerHost over a git revision: the project as it is at BASE, read from git's object store
 * in one `git cat-file --batch` call, without touching the working tree. Used by `ztc diff`.
 */
import { spawnSync } from "node:child_process";
import { decodeText, normalizeProjectPath, type CompilerHost, type ReadResult } from "./host.js";

export class GitError extends Error {}

function git(cwd: string, args: string[], input?: string): Buffer {
  const r = spawnSync("git", args, { cwd, input, maxBuffer: 1 << 30 });
  if (r.error) throw new GitError(`git is not available: ${r.error.message}`);
  if (r.status !== 0) throw new GitError(r.stderr.toString().trim() || `git ${args.join(" ")} failed`);
  return r.stdout;
}

/** The project folder `root` at git revision `rev`. */
export function createGitHost(root: string, rev: string): CompilerHost {
  const prefix = git(root, ["rev-parse", "--show-prefix"]).toString().trim();
  let commit: string;
  try {
    commit = git(root, ["rev-parse", "--verify", "--quiet", `${rev}^{commit}`]).toString().trim();
  } catch {
    throw new GitError(`'${rev}' is not a revision of this repository`);
  }
  const listing = git(root, ["ls-tree", "-r", "-z", "--full-tree", commit, "--", prefix || "."]).toString();
  const files = new Map<string, { mode: string; sha: string }>();
  for (const entry of listing.split("\0")) {
    if (!entry) continue;
    const tab = entry.indexOf("\t");
    const [mode, type, sha] = entry.slice(0, tab).split(" ");
    const full = entry.slice(tab + 1);
    if (type !== "blob" || !full.startsWith(prefix)) continue;
    files.set(full.slice(prefix.length), { mode: mode!, sha: sha! });
  }
  // One batch read of everything ztc may need; other blobs are never read.
  const wanted = [...files.entries()].filter(([p, f]) => f.mode !== "120000" && /\.(zt|ya?ml)$/.test(p));
  const contents = new Map<string, Uint8Array>();
  if (wanted.length > 0) {
    const out = git(root, ["cat-file", "--batch"], wanted.map(([, f]) => f.sha).join("\n") + "\n");
    let at = 0;
    for (const [path] of wanted) {
      const nl = out.indexOf(10, at);
      const header = out.subarray(at, nl).toString().split(" ");
      const size = Number(header[2]);
      contents.set(path, out.subarray(nl + 1, nl + 1 + size));
      at = nl + 1 + size + 1;
    }
  }
  const sorted = [...files.keys()].sort();
  return {
    root: `${root} @ ${rev}`,
    listFiles: () => sorted,
    readFile(path, maxBytes): ReadResult {
      const rel = normalizeProjectPath(path);
      if (rel === undefined) return { kind: "outside" };
      const f = files.get(rel);
      if (!f) return { kind: "missing" };
      if (f.mode === "120000") return { kind: "outside" };
      const bytes = contents.get(rel) ?? new Uint8Array(git(root, ["cat-file", "blob", f.sha]));
      if (bytes.length > maxBytes) return { kind: "too-large", size: bytes.length };
      const decoded = decodeText(bytes);
      return "text" in decoded ? { kind: "ok", text: decoded.text } : { kind: "not-text", ...decoded };
    },
  };
}
