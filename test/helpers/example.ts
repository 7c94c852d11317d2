/** The bundled example repository, copied for tests that need real files on disk. */
import { cpSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** The repository's root. */
export const ROOT = join(import.meta.dirname, "../..");

/** A fresh copy of examples/acme (without its compiled output) in a new temporary folder; the caller removes it. */
export function copyExample(prefix: string): string {
  const work = mkdtempSync(join(tmpdir(), prefix));
  cpSync(join(ROOT, "examples/acme"), work, { recursive: true, filter: (s) => !s.includes("/out") });
  return work;
}
