/**
 * Runs a CommonJS bundle with V8's code cache, kept in the user's cache folder: the language
 * server's start compiles about a megabyte of JavaScript (and, lazily, every function the first
 * check calls), which a cache made after that check saves on the next start. Node 20 has no
 * module.enableCompileCache, so this is what it does, for one file.
 *
 * Everything about the cache is best effort: a missing, stale, foreign or unreadable cache, or one
 * V8 refuses, means an ordinary compile, and a cache that cannot be written is not written.
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import { createRequire } from "node:module";
import * as os from "node:os";
import * as nodePath from "node:path";
import { Script } from "node:vm";

/** The user's cache folder for ztc; ZTC_CACHE_DIR overrides it, ZTC_CACHE_DIR="" turns caching off. */
export function cacheFolder(env: Readonly<Record<string, string | undefined>> = process.env): string | undefined {
  const own = env["ZTC_CACHE_DIR"];
  if (own !== undefined) return own === "" ? undefined : own;
  const home = os.homedir();
  const base =
    env["XDG_CACHE_HOME"] ||
    (process.platform === "win32" ? env["LOCALAPPDATA"] : process.platform === "darwin" ? home && nodePath.join(home, "Library", "Caches") : home && nodePath.join(home, ".cache"));
  return base ? nodePath.join(base, "ztc") : undefined;
}

/**
 * V8 checks a cache against the source's length only: the cache starts with a key of the source
 * text and the runtime, so an edited bundle of the same length never runs another's code.
 */
const KEY_BYTES = 20;

export type CacheState = "accepted" | "rejected" | "missing" | "off";

export interface CachedModule {
  readonly exports: Record<string, unknown>;
  readonly cache: CacheState;
  /** The module's source and the runtime, as a key: what values derived by this code are kept under. */
  readonly build: string;
  /**
   * Writes the cache unless the one read was accepted. Call it once the code that matters has run
   * (V8 caches the functions compiled by then), with the V8 flags as they were at the start:
   * a cache made under other flags is refused.
   */
  save(): void;
}

/** Loads a CommonJS file (`require`, `module`, `exports`, `__filename`, `__dirname`) through the cache in `folder`. */
export function requireCached(file: string, folder: string | undefined): CachedModule {
  const source = fs.readFileSync(file, "utf8");
  const key = createHash("sha1").update(`${process.version} ${process.arch}\0`).update(source).digest();
  // One cache per installed bundle: a new build replaces the old one's cache instead of piling up.
  const cacheFile = folder ? nodePath.join(folder, `${createHash("sha1").update(file).digest("hex").slice(0, 16)}.v8cache`) : undefined;
  let cachedData: Buffer | undefined;
  if (cacheFile) {
    try {
      const data = fs.readFileSync(cacheFile);
      if (data.length > KEY_BYTES && key.equals(data.subarray(0, KEY_BYTES))) cachedData = data.subarray(KEY_BYTES);
    } catch {
      cachedData = undefined;
    }
  }
  const script = new Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, { filename: file, cachedData });
  const cache: CacheState = !cacheFile ? "off" : !cachedData ? "missing" : script.cachedDataRejected ? "rejected" : "accepted";
  if (cache === "accepted") touch(cacheFile!);
  const module = { exports: {} as Record<string, unknown> };
  (script.runInThisContext() as (...args: unknown[]) => void)(module.exports, createRequire(file), module, file, nodePath.dirname(file));
  let saved = cache === "accepted" || cache === "off";
  return {
    exports: module.exports,
    cache,
    build: key.toString("hex"),
    save() {
      if (saved || !cacheFile) return;
      saved = true;
      // Renamed into place: a server starting meanwhile reads the old cache or the new one, whole.
      const tmp = `${cacheFile}.${process.pid}.tmp`;
      try {
        fs.mkdirSync(nodePath.dirname(cacheFile), { recursive: true });
        fs.writeFileSync(tmp, Buffer.concat([key, script.createCachedData()]));
        fs.renameSync(tmp, cacheFile);
        pruneStale(nodePath.dirname(cacheFile), cacheFile);
      } catch {
        // A read-only or full disk: start without a cache next time too.
        try {
          fs.rmSync(tmp, { force: true });
        } catch {
          /* nothing was written */
        }
      }
    },
  };
}

/** Caches not used for this long belong to bundles no longer started (an older install). */
const STALE_MS = 30 * 24 * 60 * 60 * 1000;

/** A used cache is marked as used (its modification time), so pruning leaves it alone. */
export function touch(file: string): void {
  try {
    const now = new Date();
    fs.utimesSync(file, now, now);
  } catch {
    // A read-only cache folder: nothing is pruned from it either.
  }
}

/**
 * Each installed bundle has its cache (about 1.6 MB), named after its path: every upgrade to a new
 * path left the previous one behind. Saving a cache removes the folder's caches that have not
 * been used for a month.
 */
export function pruneStale(folder: string, keep: string, suffix = ".v8cache", now = Date.now()): void {
  let names: string[];
  try {
    names = fs.readdirSync(folder);
  } catch {
    return;
  }
  for (const name of names) {
    const file = nodePath.join(folder, name);
    if (!name.endsWith(suffix) || file === keep) continue;
    try {
      if (now - fs.statSync(file).mtimeMs > STALE_MS) fs.rmSync(file, { force: true });
    } catch {
      // Gone already, or not ours to remove.
    }
  }
}

