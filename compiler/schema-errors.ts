/**
 * Turns ajv's errors into diagnostics that name the field in YAML terms and point at the node
 * (or, for unknown and misnamed keys, at the key itself).
 */
import type { ErrorObject } from "ajv";
import { diag, type Diagnostic } from "../language/index.js";
import { closest } from "../language/suggest.js";
import type { YamlSource } from "./yaml-source.js";

function pathSegments(instancePath: string): string[] {
  if (!instancePath) return [];
  return instancePath
    .slice(1)
    .split("/")
    .map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"));
}

function describePath(segs: readonly string[]): string {
  let out = "";
  for (const s of segs) out += /^\d+$/.test(s) ? `[${s}]` : out ? `.${s}` : s;
  return out || "the document";
}

const TYPE_WORDS: Record<string, string> = {
  string: "a string",
  array: "a list",
  object: "a mapping (key: value)",
  integer: "a whole number",
  number: "a number",
  boolean: "true or false",
  null: "empty",
};

function typeWords(t: unknown): string {
  const list = Array.isArray(t) ? t : String(t).split(",");
  return list.map((x) => TYPE_WORDS[String(x)] ?? String(x)).join(" or ");
}

function hintOf(e: ErrorObject): string | undefined {
  const parent = e.parentSchema as { errorHint?: string } | undefined;
  return parent?.errorHint;
}

export function schemaDiagnostics(errors: readonly ErrorObject[] | null | undefined, src: YamlSource): Diagnostic[] {
  if (!errors) return [];
  // Structural wrappers repeat what their branches already said.
  const useful = errors.filter((e) => !["if", "oneOf", "anyOf", "not", "propertyNames"].includes(e.keyword) || errors.length === 1);
  // A misspelled key explains the "missing" field it was meant to be: say it once.
  const suggested = new Set<string>();
  for (const e of useful) {
    if (e.keyword !== "additionalProperties") continue;
    const known = Object.keys((e.parentSchema as { properties?: object } | undefined)?.properties ?? {});
    const s = closest((e.params as { additionalProperty: string }).additionalProperty, known);
    if (s) suggested.add(`${e.instancePath}|${s}`);
  }
  const out: Diagnostic[] = [];
  const seen = new Set<string>();
  for (const e of useful) {
    const segs = pathSegments(e.instancePath);
    const where = describePath(segs);
    let message: string;
    let span = src.locate(segs);
    const propertyName = (e as ErrorObject & { propertyName?: string }).propertyName;
    if (propertyName !== undefined) {
      span = src.locate([...segs, propertyName], true);
      const hint = hintOf(e);
      message = `${where}: '${propertyName}' is not a valid name${hint ? `: ${hint}` : ""}`;
    } else
      switch (e.keyword) {
        case "required": {
          const missing = (e.params as { missingProperty: string }).missingProperty;
          if (suggested.has(`${e.instancePath}|${missing}`)) continue;
          message = `${where}: missing required field '${missing}'`;
          break;
        }
        case "additionalProperties": {
          const extra = (e.params as { additionalProperty: string }).additionalProperty;
          const known = Object.keys((e.parentSchema as { properties?: object } | undefined)?.properties ?? {});
          const suggestion = closest(extra, known);
          span = src.locate([...segs, extra], true);
          message =
            `${where}: unknown field '${extra}'` +
            (suggestion ? `. Did you mean '${suggestion}'?` : known.length > 0 ? ` (expected one of: ${known.join(", ")})` : "");
          break;
        }
        case "type":
          message = `${where} must be ${typeWords((e.params as { type: unknown }).type)}`;
          break;
        case "pattern": {
          const hint = hintOf(e);
          message = `${where}: ${JSON.stringify(e.data)} is not valid${hint ? `: ${hint}` : ` (it must match ${(e.params as { pattern: string }).pattern})`}`;
          break;
        }
        case "enum":
          message = `${where} must be one of: ${((e.params as { allowedValues: unknown[] }).allowedValues ?? []).map((v) => JSON.stringify(v)).join(", ")}`;
          break;
        case "const":
          message = `${where} must be ${JSON.stringify((e.params as { allowedValue: unknown }).allowedValue)}`;
          break;
        case "minItems":
          message = `${where} must have at least ${(e.params as { limit: number }).limit} item${(e.params as { limit: number }).limit === 1 ? "" : "s"}`;
          break;
        case "uniqueItems": {
          const p = e.params as { i: number; j: number };
          message = `${where} lists the same value twice (items ${p.j} and ${p.i})`;
          break;
        }
        case "minimum":
        case "maximum":
          message = `${where} must be ${e.keyword === "minimum" ? "at least" : "at most"} ${(e.params as { limit: number }).limit}`;
          break;
        case "minLength":
          message = `${where} must not be empty`;
          break;
        default:
          message = `${where} ${e.message ?? "is not valid"}`;
      }
    const id = `${span.start}:${message}`;
    if (seen.has(id)) continue;
    seen.add(id);
    out.push(diag("schemaViolation", { file: src.file, span }, { message }));
  }
  return out;
}
