/**
 * The stdlib: versioned modules (`stdlib/dns@1`) shipped inside ztc, optionally overridden or
 * extended by the project's own folder (`stdlib:` in ztc.yaml), so a platform team can pin, patch
 * or add modules and review those changes like any other policy.
 */
import { STDLIB } from "./generated/stdlib.js";
import type { CompilerHost } from "./host.js";

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

/** A stdlib module as an import reaches it: the project's own version if it has one, else the bundled one. */
export interface StdlibModule {
  /** `dns@1` */
  readonly name: string;
  /** `stdlib/dns@1`, as an import writes it. */
  readonly importPath: string;
  /** The unit path: `stdlib:dns@1.zt` (bundled) or the project file that overrides it. */
  readonly unitPath: string;
  readonly overridden: boolean;
  text(): string | undefined;
}

/** The project's stdlib modules (`stdlib:` folder of ztc.yaml) by name, `dns@1` -> its path. */
export function stdlibOverrides(host: CompilerHost, stdlibDir: string | undefined): Map<string, string> {
  if (!stdlibDir) return new Map();
  const prefix = `${stdlibDir}/`;
  return new Map(host.listFiles().filter((f) => f.startsWith(prefix) && f.endsWith(".zt")).map((f) => [f.slice(prefix.length, -3), f]));
}

/** Every stdlib module a file of the project can import, sorted by name. */
export function stdlibModules(host: CompilerHost, stdlibDir: string | undefined): StdlibModule[] {
  const overrides = stdlibOverrides(host, stdlibDir);
  const names = [...new Set([...Object.keys(STDLIB), ...overrides.keys()])].sort();
  return names.map((name) => {
    const file = overrides.get(name);
    return {
      name,
      importPath: `stdlib/${name}`,
      unitPath: file ?? `${STDLIB_PREFIX}${name}.zt`,
      overridden: file !== undefined,
      text: () => {
        if (!file) return STDLIB[name];
        const r = host.readFile(file, 1 << 20);
        return r.kind === "ok" ? r.text : undefined;
      },
    };
  });
}

/** The stdlib module that exports a rule set of this name (someone used it without importing it). */
export function stdlibModuleExporting(host: CompilerHost, stdlibDir: string | undefined, ruleset: string): StdlibModule | undefined {
  const declares = new RegExp(`\\bexport\\s+ruleset\\s+${ruleset.replace(/[^a-z0-9-]/g, "")}\\s*[({]`);
  const modules = stdlibModules(host, stdlibDir);
  // The project's own modules first: they are what the platform team wants used.
  return [...modules.filter((m) => m.overridden), ...modules.filter((m) => !m.overridden)].find((m) => declares.test(m.text() ?? ""));
}

/**
 * Where a bundled stdlib unit (`stdlib:dns@1.zt`) is as a file: `folder/dns@1.zt` in the stdlib
 * folder installed with ztc, provided that file holds exactly the text ztc bundles (otherwise the
 * positions an editor is sent to would be wrong). Every consumer that shows a stdlib module as a
 * file (go to definition, diagnostics' related locations) asks here.
 */
export function stdlibUnitFile(unitPath: string, folder: string | undefined, readText: (file: string) => string | undefined): string | undefined {
  if (!folder || !unitPath.startsWith(STDLIB_PREFIX) || !unitPath.endsWith(".zt")) return undefined;
  const name = unitPath.slice(STDLIB_PREFIX.length, -3);
  const bundled = STDLIB[name];
  if (bundled === undefined || name.includes("/")) return undefined;
  const file = `${folder.replace(/[\\/]+$/, "")}/${name}.zt`;
  return readText(file) === bundled ? file : undefined;
}
