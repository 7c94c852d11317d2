/**
 * The language server's DerivedCache (compiler/host.ts) in the user's cache folder, next to the
 * code cache: what a start would otherwise derive again from files that rarely change between two
 * starts of an editor (the parse of a large .zt file, a large registry's YAML value: together
 * ~150 ms of a start with 1,000 tenants and a 2,000-line file).
 *
 * One file per project, source file and kind of work, replaced when the text changes: a 20-byte
 * key (the text, its file, the kind, and the build of the code that derived the value: a rebuilt
 * parser never finds the trees of the previous one), then the value as V8 serializes it. A value
 * is only ever found again for the very text it was derived from. Everything is best effort, as
 * for the code cache: a missing, foreign, truncated or unreadable file is a miss, and a value that
 * cannot be written is not written.
 *
 * Not used by `ztc compile` or `ztc check`: what CI deploys is derived from the files alone.
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as nodePath from "node:path";
import { deserialize, serialize } from "node:v8";
import type { DerivedCache } from "../host.js";
import { VERSION } from "../version.js";
import { pruneStale, touch } from "./code-cache.js";

const KEY_BYTES = 20;
const SUFFIX = ".derived";

/** `build` identifies the code that derives the values (CachedModule.build). */
export function createDerivedCache(folder: string, root: string, build: string): DerivedCache {
  const fileOf = (kind: string, file: string) =>
    nodePath.join(folder, `${createHash("sha1").update(`${root}\0${file}\0${kind}`).digest("hex").slice(0, 16)}${SUFFIX}`);
  let found = 0;
  let missed = 0;
  let kept = 0;
  // The file is part of the key as well as of the name: a value may name its file (a parse's diagnostics do).
  const keyOf = (kind: string, file: string, text: string) =>
    createHash("sha1").update(`${VERSION} ${build} ${process.version} ${kind}\0${root}\0${file}\0`).update(text).digest();
  return {
    lookup(kind, file, text) {
      const path = fileOf(kind, file);
      try {
        const data = fs.readFileSync(path);
        if (data.length > KEY_BYTES && keyOf(kind, file, text).equals(data.subarray(0, KEY_BYTES))) {
          const value: unknown = deserialize(data.subarray(KEY_BYTES));
          touch(path);
          found++;
          return value;
        }
      } catch {
        // Missing, unreadable, or not what V8 wrote: a miss.
      }
      missed++;
      return undefined;
    },
    store(kind, file, text, value) {
      const path = fileOf(kind, file);
      // Once the caller's turn is over: a start publishes its first diagnostics before.
      setImmediate(() => {
        // Renamed into place: another server reads the old value or the new one, whole.
        const tmp = `${path}.${process.pid}.tmp`;
        try {
          const data = Buffer.concat([keyOf(kind, file, text), serialize(value)]);
          fs.mkdirSync(folder, { recursive: true });
          fs.writeFileSync(tmp, data);
          fs.renameSync(tmp, path);
          kept++;
          pruneStale(folder, path, SUFFIX);
        } catch {
          try {
            fs.rmSync(tmp, { force: true });
          } catch {
            /* nothing was written */
          }
        }
      }).unref();
    },
    describe: () => `${found} found, ${missed} missed, ${kept} kept`,
  };
}
