/**
 * The "request approval" fix: a draft entry appended to the approval registry, marked PENDING so
 * that merging it without the security team's sign-off approves nothing (see isPending).
 */
import type { Fix } from "../language/index.js";
import { addDays } from "./approvals.js";
import { L4_PROTOCOLS, type PortSet } from "./net/ports.js";
import type { YamlPositions, YamlSource } from "./yaml-source.js";

/** Port entries as the approval registry writes them: 443/tcp, 53/any, 8000-8999/tcp, "*". */
export function approvalPortList(ports: PortSet): string[] {
  if (ports.isAll()) return ['"*"'];
  const byRange = new Map<string, string[]>();
  for (const r of ports.ranges()) {
    const k = r.start === r.end ? String(r.start) : `${r.start}-${r.end}`;
    byRange.set(k, [...(byRange.get(k) ?? []), r.protocol]);
  }
  const out: string[] = [];
  for (const [k, protos] of byRange) {
    if (protos.length === L4_PROTOCOLS.length) out.push(`${k}/any`);
    else for (const p of protos) out.push(`${k}/${p.toLowerCase()}`);
  }
  return out;
}

function slug(s: string): string {
  return s.replace(/[^A-Za-z0-9]+/g, "-").replace(/^-|-$/g, "").slice(0, 40);
}

/** A scalar as written: plain, or quoted the simple ways an id is. */
function scalarValue(written: string): string {
  const t = written.trim();
  if (t.startsWith('"')) {
    try {
      return String(JSON.parse(t));
    } catch {
      return t.slice(1, -1);
    }
  }
  return t.startsWith("'") ? t.slice(1, -1).replace(/''/g, "'") : t;
}

/** A registry's positions belong to one text of it: its ids are read once (a typo in a host name drafts a fix per keystroke). */
const idsOf = new WeakMap<YamlPositions, Set<string>>();

/**
 * The ids the registry's text has, including those of entries the registry refused, read at their
 * positions: the parsed value of the file is not kept (see YamlSource).
 */
function writtenIds(doc: YamlPositions, text: string): ReadonlySet<string> {
  let ids = idsOf.get(doc);
  if (ids) return ids;
  ids = new Set<string>();
  idsOf.set(doc, ids);
  const pair = doc.pair(doc.root, "approvals");
  const seq = pair < 0 ? -1 : doc.value(pair);
  if (!doc.isSeq(seq)) return ids;
  for (let i = 0; i < doc.size(seq); i++) {
    const id = doc.pair(doc.value(doc.item(seq, i)), "id");
    const range = id < 0 ? undefined : doc.range(doc.value(id));
    if (range) ids.add(scalarValue(text.slice(range.start, range.end)));
  }
  return ids;
}

export function draftApprovalFix(src: YamlSource, tenant: string, destination: string, ports: PortSet, today: string): Fix | undefined {
  const doc = src.positions;
  const existingIds: ReadonlySet<string> = doc ? writtenIds(doc, src.text) : new Set<string>();
  let id = `DRAFT-${slug(tenant)}-${slug(destination)}`;
  for (let n = 2; existingIds.has(id); n++) id = `DRAFT-${slug(tenant)}-${slug(destination)}-${n}`;
  const fields = (indent: string) =>
    [
      `${indent}- id: ${id}`,
      `${indent}  destination: ${JSON.stringify(destination)}`,
      `${indent}  ports: [${approvalPortList(ports).join(", ")}]`,
      `${indent}  tenants: [${tenant}]`,
      `${indent}  approved-by: PENDING`,
      `${indent}  ticket: PENDING`,
      `${indent}  expires: ${addDays(today, 90)}`,
      `${indent}  description: requested from the ztc editor; fill in approved-by and ticket to approve`,
    ].join("\n");
  const text = src.text;
  const title = `Request approval: add a draft entry for ${destination} to ${src.file}`;
  const root = doc ? doc.root : -1;
  if (!doc || !doc.isMap(root)) {
    if (text.trim().length > 0) return undefined;
    return { title, edits: [{ file: src.file, span: { start: 0, end: text.length }, newText: `approvals:\n${fields("  ")}\n` }] };
  }
  const pair = doc.pair(root, "approvals");
  if (pair < 0) {
    const sep = text.length === 0 || text.endsWith("\n") ? "" : "\n";
    return { title, edits: [{ file: src.file, span: { start: text.length, end: text.length }, newText: `${sep}approvals:\n${fields("  ")}\n` }] };
  }
  const seq = doc.value(pair);
  const range = doc.range(seq);
  if (doc.isSeq(seq) && !doc.isFlow(seq) && doc.size(seq) > 0 && range) {
    // The list's range runs over the blank lines after it: insert right after its last line, so
    // a key that follows (`blocked:`) stays on a line of its own.
    let end = range.end;
    while (end > range.start && /\s/.test(text.charAt(end - 1))) end--;
    const lineStart = text.lastIndexOf("\n", range.start - 1) + 1;
    const indent = " ".repeat(range.start - lineStart);
    return { title, edits: [{ file: src.file, span: { start: end, end }, newText: `\n${fields(indent)}` }] };
  }
  // `approvals:` with nothing or `[]`: replace the value with a block list.
  const keyEnd = doc.keySpan(pair)?.end ?? 0;
  const start = range ? range.start : text.indexOf(":", keyEnd) + 1;
  const stop = range ? range.end : start;
  return { title, edits: [{ file: src.file, span: { start, end: stop }, newText: `\n${fields("  ")}` }] };
}
