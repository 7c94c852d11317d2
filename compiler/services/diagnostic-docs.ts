/** Where each diagnostic code is documented: docs/diagnostics.md, one heading per code. */
import { entryForCode } from "../../language/index.js";

/**
 * The heading anchor of a code in docs/diagnostics.md (`### ZT3001 unapproved-destination` ->
 * `zt3001-unapproved-destination`), computed the way GitHub and scripts/gen-docs.ts do.
 */
export function diagnosticAnchor(code: string): string | undefined {
  const e = entryForCode(code);
  if (!e) return undefined;
  return `${e.code} ${e.title}`.toLowerCase().replace(/[^a-z0-9 -]/g, "").replace(/ /g, "-");
}

/** The documentation link of a code, given where docs/diagnostics.md is published. */
export function diagnosticHref(code: string, diagnosticsDocUrl: string): string | undefined {
  const anchor = diagnosticAnchor(code);
  return anchor ? `${diagnosticsDocUrl}#${anchor}` : undefined;
}
