/**
 * The project's files on disk as the language server sees them: read once, then served from memory
 * until a watched-file event says they changed. Re-reading a thousand files per keystroke would
 * cost more than checking them.
 */
import { createNodeHost, type CompilerHost, type ReadResult } from "../compiler/host.js";

export interface DiskHost extends CompilerHost {
  /** Forget a file's contents; `structural` (created or deleted) also forgets the file listing. */
  invalidate(path: string, structural: boolean): void;
  invalidateAll(): void;
}

const VANISHED: CompilerHost = { root: "", readFile: () => ({ kind: "missing" }), listFiles: () => [] };

export function createDiskHost(root: string): DiskHost {
  const open = (): CompilerHost => {
    try {
      return createNodeHost(root);
    } catch {
      // The folder is gone (deleted, unmounted): an empty project until it comes back.
      return { ...VANISHED, root };
    }
  };
  let base = open();
  const reads = new Map<string, ReadResult>();
  return {
    get root() {
      return base.root || root;
    },
    readFile(path, maxBytes) {
      const key = `${maxBytes}\u0000${path}`;
      let r = reads.get(key);
      if (!r) {
        r = base.readFile(path, maxBytes);
        reads.set(key, r);
      }
      return r;
    },
    listFiles() {
      return base.listFiles();
    },
    invalidate(path, structural) {
      for (const k of [...reads.keys()]) if (k.endsWith(`\u0000${path}`)) reads.delete(k);
      if (structural) base = open();
    },
    invalidateAll() {
      reads.clear();
      base = open();
    },
  };
}
