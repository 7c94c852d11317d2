/**
 * Code actions. Most are the fixes the compiler attached to its diagnostics (did-you-mean, a CIDR's
 * network address, "request approval" drafting an entry in the approval registry); the CLI prints
 * the same fixes. Three more are computed here from the check's atoms and the registries: add the
 * missing port of a rule, narrow an overly broad rule to the destinations approved for the tenant,
 * and split a rule with several peers into one rule per peer. A failing `expect` (as `ztc test`
 * evaluates it) can be changed to what the policies do.
 */
import type { Diagnostic, Location, RuleStmt, Span, Target, TextEdit } from "../../language/index.js";
import { peerList } from "../../language/index.js";
import type { Atom } from "../ir.js";
import { fqdnContains } from "../net/fqdn.js";
import type { Program } from "../program.js";
import type { Approval } from "../registry.js";
import { portText, usableApprovals } from "./completion.js";
import { STDLIB_PREFIX } from "../stdlib.js";
import { atomsByRule, inProgram, type ServiceDocument } from "./document.js";
import { expectStatus } from "./explain.js";
import { walkFile } from "./navigation.js";

export type ActionKind = "quickfix" | "refactor.rewrite";

export interface CodeActionEntry {
  readonly title: string;
  readonly kind: ActionKind;
  readonly edits: readonly TextEdit[];
  /** The diagnostics it fixes. */
  readonly diagnostics: readonly Diagnostic[];
  readonly preferred?: boolean | undefined;
  /** Show this place after applying (the drafted approval entry). */
  readonly reveal?: Location | undefined;
  /** Marks the "request approval" action, which editors also offer as a command. */
  readonly requestApproval?: boolean | undefined;
}

const overlaps = (a: Span, b: Span) => a.start <= b.end && b.start <= a.end;

function diagnosticsOf(doc: ServiceDocument): readonly Diagnostic[] {
  return inProgram(doc) ? doc.program.getDiagnostics().filter((d) => d.file === doc.unit.path) : doc.unit.parseDiagnostics;
}

function rulesOf(doc: ServiceDocument): RuleStmt[] {
  const out: RuleStmt[] = [];
  walkFile(doc.unit.ast, (n) => {
    if (n.kind === "Rule") out.push(n);
  });
  return out;
}

/** Where the rule's own pods or its peer listen, from the approvals or the server's ingress rules. */
function portCandidates(program: Program, atom: Atom): { port: string; why: string }[] {
  const out = new Map<string, string>();
  const peer = atom.peer;
  if (atom.direction === "egress" && (peer.kind === "fqdn" || peer.kind === "cidr")) {
    for (const a of usableApprovals(program, atom.tenant)) {
      const covers =
        peer.kind === "fqdn"
          ? a.destination.kind === "fqdn" && fqdnContains(a.destination.pattern, peer.pattern)
          : a.destination.kind === "cidr" && a.destination.set.containsSet(peer.set);
      if (covers) for (const r of a.ports.ranges()) if (!out.has(portText(r))) out.set(portText(r), `approved by ${a.id}`);
    }
    return [...out].map(([port, why]) => ({ port, why }));
  }
  // Pods: the ports the server side admits in its ingress rules.
  let server: { tenant: string; workload?: string | undefined } | undefined;
  if (atom.direction === "egress" && peer.kind === "pods" && peer.pods.tenant) server = { tenant: peer.pods.tenant, workload: peer.pods.workload };
  if (atom.direction === "ingress") server = { tenant: atom.tenant, workload: atom.subject.kind === "workload" ? atom.subject.workload.name : undefined };
  if (!server) return [];
  for (const b of program.getCheck()?.atoms ?? []) {
    if (b.tenant !== server.tenant || b.direction !== "ingress" || b.action !== "allow" || !b.ports || b === atom) continue;
    if (server.workload && (b.subject.kind !== "workload" || b.subject.workload.name !== server.workload)) continue;
    for (const p of b.ports) {
      const text = `${p.port}${p.end !== undefined ? `-${p.end}` : ""}${p.protocol === "TCP" ? "" : `/${p.protocol.toLowerCase()}`}`;
      if (!out.has(text)) out.set(text, `where tenant ${server.tenant}${server.workload ? `'s ${server.workload}` : ""} admits traffic (line ${b.origin.line})`);
    }
  }
  return [...out].map(([port, why]) => ({ port, why }));
}

function addPortActions(doc: ServiceDocument & { program: Program }, d: Diagnostic, rule: RuleStmt): CodeActionEntry[] {
  if (rule.ports) return [];
  const atoms = (atomsByRule(doc.program.getCheck()!).get(rule) ?? []).filter((a) => !a.ports && overlaps(a.peerSpan, d.span));
  const atom = atoms[0];
  if (!atom) return [];
  const peers = peerList(rule);
  const single = peers?.targets.length === 1 ? peers.targets[0] : undefined;
  return portCandidates(doc.program, atom)
    .slice(0, 5)
    .map(({ port, why }) => {
      const onHost = single?.kind === "Host" && !single.port && !port.includes("-");
      const at = onHost ? single.name.span.end : rule.span.end;
      return {
        title: `Add port ${port} (${why})`,
        kind: "quickfix" as const,
        edits: [{ file: doc.unit.path, span: { start: at, end: at }, newText: onHost ? `:${port}` : ` port ${port}` }],
        diagnostics: [d],
      };
    });
}

/** The rule rewritten once per peer text: same subject, clauses and comments around the peer list. */
function rewriteWithPeers(doc: ServiceDocument, rule: RuleStmt, peersText: readonly string[]): string {
  const text = doc.unit.text;
  const list = peerList(rule)!;
  const first = list.targets[0]!.span.start;
  const last = list.targets[list.targets.length - 1]!.span.end;
  const head = text.slice(rule.span.start, first);
  const tail = text.slice(last, rule.span.end);
  const lineStart = text.lastIndexOf("\n", rule.span.start - 1) + 1;
  const indent = /^[ \t]*/.exec(text.slice(lineStart, rule.span.start))![0];
  return peersText.map((p) => `${head}${p}${tail}`).join(`\n${indent}`);
}

function splitPerPeer(doc: ServiceDocument, rule: RuleStmt): CodeActionEntry | undefined {
  const list = peerList(rule);
  if (!list || list.targets.length < 2) return undefined;
  const text = doc.unit.text;
  const peers = list.targets.map((t) => text.slice(t.span.start, t.span.end));
  return {
    title: `Split into ${peers.length} rules, one per peer`,
    kind: "refactor.rewrite",
    edits: [{ file: doc.unit.path, span: rule.span, newText: rewriteWithPeers(doc, rule, peers) }],
    diagnostics: [],
  };
}

/** The destinations approved for the tenant that lie inside a broad peer, written as peers. */
function approvedInside(program: Program, atom: Atom): { peer: string; ports: string; approval: Approval }[] {
  const peer = atom.peer;
  const out: { peer: string; ports: string; approval: Approval }[] = [];
  for (const a of usableApprovals(program, atom.tenant)) {
    const inside =
      peer.kind === "entity"
        ? peer.entity === "world" || peer.entity === "all"
        : peer.kind === "fqdn"
          ? a.destination.kind === "fqdn" && fqdnContains(peer.pattern, a.destination.pattern)
          : peer.kind === "cidr"
            ? a.destination.kind === "cidr" && peer.set.containsSet(a.destination.set)
            : false;
    if (!inside) continue;
    if (atom.ports && !a.ports.containsSet(atom.portSet)) continue;
    const dest = a.destination.kind === "cidr" ? `cidr ${a.destinationText}` : a.destinationText;
    if (atom.ports) {
      out.push({ peer: dest, ports: "", approval: a });
      continue;
    }
    // The rule had no port: each destination gets the ports it is approved for.
    const ranges = a.ports.ranges();
    if (a.destination.kind === "fqdn" && ranges.length === 1 && ranges[0]!.start === ranges[0]!.end)
      out.push({ peer: `${dest}:${portText(ranges[0]!)}`, ports: "", approval: a });
    else out.push({ peer: dest, ports: ` port ${ranges.map(portText).join(", ")}`, approval: a });
  }
  return out;
}

function narrowBroad(doc: ServiceDocument & { program: Program }, d: Diagnostic, rule: RuleStmt): CodeActionEntry | undefined {
  const atom = (atomsByRule(doc.program.getCheck()!).get(rule) ?? []).find((a) => a.peerSpan.start === d.span.start);
  const list = peerList(rule);
  if (!atom || !list || atom.direction !== "egress" || atom.action !== "allow") return undefined;
  const inside = approvedInside(doc.program, atom);
  if (inside.length === 0) return undefined;
  const text = doc.unit.text;
  // The rule's other peers stay in a rule of their own; the broad one becomes one rule per destination.
  const others = list.targets.filter((t: Target) => t.span.start !== d.span.start).map((t) => text.slice(t.span.start, t.span.end));
  const rules = [...(others.length > 0 ? [rewriteWithPeers(doc, rule, [others.join(", ")])] : []), ...inside.map((x) => rewriteWithPeers(doc, rule, [x.peer]) + x.ports)];
  const lineStart = text.lastIndexOf("\n", rule.span.start - 1) + 1;
  const indent = /^[ \t]*/.exec(text.slice(lineStart, rule.span.start))![0];
  return {
    title: `Narrow to the ${inside.length} destination${inside.length === 1 ? "" : "s"} approved for tenant ${atom.tenant} (${inside.map((x) => x.approval.id).join(", ")})`,
    kind: "quickfix",
    edits: [{ file: doc.unit.path, span: rule.span, newText: rules.join(`\n${indent}`) }],
    diagnostics: [d],
  };
}

/** Code actions for a range of a document (the cursor, or a selection). */
export function getCodeActions(doc: ServiceDocument, range: Span): CodeActionEntry[] {
  const out: CodeActionEntry[] = [];
  const diags = diagnosticsOf(doc).filter((d) => overlaps(d.span, range));
  const approvals = doc.program?.config?.approvalsPath;
  for (const d of diags)
    for (const f of d.fixes ?? []) {
      // The bundled stdlib is ztc's, not a file of the project: nothing edits it.
      if (f.edits.some((e) => e.file.startsWith(STDLIB_PREFIX))) continue;
      const request = d.code === "ZT3001" && approvals !== undefined && f.edits.some((e) => e.file === approvals);
      const edit = f.edits[0];
      out.push({
        title: f.title,
        kind: "quickfix",
        edits: f.edits,
        diagnostics: [d],
        preferred: !request && (d.fixes?.length ?? 0) === 1,
        requestApproval: request || undefined,
        reveal: request && edit ? { file: edit.file, span: { start: edit.span.start, end: edit.span.start + edit.newText.length } } : undefined,
      });
    }
  const rules = rulesOf(doc).filter((r) => overlaps(r.span, range));
  if (inProgram(doc) && doc.program.getCheck()) {
    for (const d of diags) {
      const rule = rules.find((r) => overlaps(r.span, d.span));
      if (!rule) continue;
      if (d.code === "ZT3014" || d.code === "ZT3021" || (d.code === "ZT3001" && d.message.includes("on all ports"))) out.push(...addPortActions(doc, d, rule));
      if (d.code === "ZT3012") {
        const a = narrowBroad(doc, d, rule);
        if (a) out.push(a);
      }
    }
  }
  for (const r of rules) {
    const a = splitPerPeer(doc, r);
    if (a) out.push(a);
  }
  out.push(...failingExpectations(doc, range));
  return out;
}

/**
 * An `expect` that `ztc test` finds failing: offer to state what the policies do instead. Never
 * preferred: the policy may be what is wrong, and the code lens explains the flow either way.
 */
function failingExpectations(doc: ServiceDocument, range: Span): CodeActionEntry[] {
  const out: CodeActionEntry[] = [];
  walkFile(doc.unit.ast, (n) => {
    if (n.kind !== "Expect" || !n.verdict || !overlaps(n.span, range)) return;
    const s = expectStatus(doc, n);
    if (s.status !== "fails" || !s.actual || s.actual === n.verdict.value) return;
    out.push({
      title: `Change the expectation to '${s.actual}' (what the compiled policies do)`,
      kind: "quickfix",
      edits: [{ file: doc.unit.path, span: n.verdict.span, newText: s.actual }],
      diagnostics: s.failures,
    });
  });
  return out;
}
