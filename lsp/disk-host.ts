/**
 * The project's files as the language server sees them: files on disk, read once and then served
 * from memory until a watched-file event says they changed, with the open documents laid on top.
 * Re-reading a thousand files per keystroke would cost more than checking them.
 */
import { createNodeHost, type CompilerHost, type DerivedCache, type ReadResult } from "../compiler/host.js";

export interface DiskHost extends CompilerHost {
  /** Forget a file's contents; `structural` (created or deleted) also forgets the file listing. */
  invalidate(path: string, structural: boolean): void;
  invalidateAll(): void;
  /** A host for one snapshot: these documents (project-relative path -> text) over the disk. */
  withDocuments(documents: ReadonlyMap<string, string>): CompilerHost;
}

const VANISHED: CompilerHost = { root: "", readFile: () => ({ kind: "missing" }), listFiles: () => [] };

export function createDiskHost(root: string, cache?: DerivedCache): DiskHost {
  const open = (): CompilerHost => {
    try {
      return createNodeHost(root);
    } catch {
      // The folder is gone (deleted, unmounted): an empty project until it comes back.
      return { ...VANISHED, root };
    }
  };
  let base = open();
  // Per file, the first read's limit and answer; another limit for the same file (an existence
  // check reads with 0) is rare, so those are kept apart: a map per file takes half a kilobyte.
  const reads = new Map<string, { readonly maxBytes: number; readonly result: ReadResult }>();
  const otherLimits = new Map<string, Map<number, ReadResult>>();
  let merged: { listing: readonly string[]; keys: string; files: readonly string[] } | undefined;
  const host: DiskHost = {
    get root() {
      return base.root || root;
    },
    cache,
    readFile(path, maxBytes) {
      const first = reads.get(path);
      if (!first) {
        const result = base.readFile(path, maxBytes);
        reads.set(path, { maxBytes, result });
        return result;
      }
      if (first.maxBytes === maxBytes) return first.result;
      let byLimit = otherLimits.get(path);
      if (!byLimit) otherLimits.set(path, (byLimit = new Map()));
      let r = byLimit.get(maxBytes);
      if (!r) byLimit.set(maxBytes, (r = base.readFile(path, maxBytes)));
      return r;
    },
    listFiles() {
      return base.listFiles();
    },
    invalidate(path, structural) {
      reads.delete(path);
      otherLimits.delete(path);
      if (structural) {
        base = open();
        merged = undefined;
      }
    },
    invalidateAll() {
      reads.clear();
      otherLimits.clear();
      base = open();
      merged = undefined;
    },
    withDocuments(documents) {
      const docs = new Map(documents);
      return {
        root: host.root,
        cache,
        // Paths come from the compiler, already project-relative and normalised.
        readFile: (path, maxBytes) => {
          const text = docs.get(path);
          if (text === undefined) return host.readFile(path, maxBytes);
          return text.length > maxBytes ? { kind: "too-large", size: text.length } : { kind: "ok", text };
        },
        listFiles: () => {
          // Open documents not yet saved are part of the project too; the merged listing is kept
          // while neither the disk listing nor the set of open documents changes.
          const listing = base.listFiles();
          const keys = [...docs.keys()].sort().join("\u0000");
          if (!merged || merged.listing !== listing || merged.keys !== keys) {
            const extra = [...docs.keys()].filter((k) => !listing.includes(k));
            merged = { listing, keys, files: extra.length === 0 ? listing : [...listing, ...extra].sort() };
          }
          return merged.files;
        },
      };
    },
  };
  return host;
}
