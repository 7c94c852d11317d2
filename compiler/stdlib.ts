/**
 * The stdlib: versioned modules (`stdlib/dns@1`) shipped inside ztc, optionally overridden or
 * extended by the project's own folder (`stdlib:` in ztc.yaml), so a platform team can pin, patch
 * or add modules and review those changes like any other policy.
 */
import { STDLIB } from "./generated/stdlib.js";

/** Path prefix of bundled stdlib units (they have no file in the project). */
export const STDLIB_PREFIX = "stdlib:";

export function bundledStdlib(): Readonly<Record<string, string>> {
  return STDLIB;
}

/** `stdlib/dns@1` -> `dns@1`; `stdlib/dns` -> `dns` (unversioned); otherwise undefined. */
export function stdlibName(importPath: string): string | undefined {
  const m = /^stdlib\/([a-z0-9-]+(?:@\d+)?)$/.exec(importPath);
  return m ? m[1] : undefined;
}

/** The newest bundled major version of a module, for messages (`dns` -> `stdlib/dns@1`). */
export function latestStdlib(name: string): string | undefined {
  const versions = Object.keys(STDLIB)
    .filter((k) => k.startsWith(`${name}@`))
    .map((k) => Number(k.slice(name.length + 1)))
    .sort((a, b) => b - a);
  return versions.length > 0 ? `stdlib/${name}@${versions[0]}` : undefined;
}

export function isStdlibPath(path: string, stdlibDir: string | undefined): boolean {
  return path.startsWith(STDLIB_PREFIX) || (stdlibDir !== undefined && path.startsWith(`${stdlibDir}/`));
}
