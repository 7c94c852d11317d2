/** ztc's version: inlined by the bundler, read from package.json when running from source. */
import { readFileSync } from "node:fs";

declare const __ZTC_VERSION__: string | undefined;

function fromPackageJson(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version?: string };
    return pkg.version ?? "0.0.0";
  } catch {
    return "0.0.0";
  }
}

export const VERSION: string = typeof __ZTC_VERSION__ === "string" ? __ZTC_VERSION__ : fromPackageJson();
