/**
 * Does the approval registry allow a tenant to reach a destination on some ports?
 *
 * Host patterns are covered by a single approval pattern that contains them (per port); CIDRs by
 * the union of approved CIDRs, computed per port segment so that two approvals for different
 * halves of a network on different ports never add up to more than they approved.
 */
import { AddressSet } from "./net/cidr.js";
import { fqdnContains, fqdnIntersects, type FqdnPattern } from "./net/fqdn.js";
import { pushTo } from "./collections.js";
import { L4_PROTOCOLS, PortSet, type PortRange } from "./net/ports.js";
import type { Approval, ApprovalRegistry, Blocked } from "./registry.js";

export type RequestedDestination =
  | { readonly kind: "fqdn"; readonly pattern: FqdnPattern }
  | { readonly kind: "addresses"; readonly set: AddressSet }
  | { readonly kind: "group"; readonly name: string };

export type Coverage =
  | { readonly ok: true; readonly used: readonly Approval[] }
  | { readonly ok: false; readonly reason: "expired"; readonly expired: readonly Approval[] }
  | { readonly ok: false; readonly reason: "pending" | "ports" | "none" | "other-tenants"; readonly detail?: string | undefined };

const pendingCache = new WeakMap<Approval, boolean>();

/** An approval drafted by the editor's "request approval" fix, not yet signed off. */
export function isPending(a: Approval): boolean {
  let p = pendingCache.get(a);
  if (p === undefined) {
    p = a.approvedBy.trim().toUpperCase() === "PENDING" || a.ticket.trim().toUpperCase() === "PENDING";
    pendingCache.set(a, p);
  }
  return p;
}

interface TenantLists {
  readonly forTenant: readonly Approval[];
  readonly signed: readonly Approval[];
  readonly valid: readonly Approval[];
  /** Unexpired approvals of the kind for other tenants only (to say so when none is the tenant's), once asked for. */
  others: readonly Approval[] | undefined;
}

/**
 * A tenant's approvals of one destination kind, signed and unexpired: every rule of the tenant asks
 * for the same lists (the checker, then the output boundary), so they are filtered once per
 * registry, tenant, kind and day. Registries are immutable once loaded.
 */
const listCache = new WeakMap<ApprovalRegistry, Map<string, TenantLists>>();

function tenantLists(reg: ApprovalRegistry, tenant: string, kind: string, today: string): TenantLists {
  let byKey = listCache.get(reg);
  if (!byKey) listCache.set(reg, (byKey = new Map()));
  const key = `${tenant}\0${kind}\0${today}`;
  let lists = byKey.get(key);
  if (!lists) {
    const forTenant = reg.forTenant(tenant).filter((a) => a.destination.kind === kind);
    const signed = forTenant.filter((a) => !isPending(a));
    // (Only a request the tenant's own approvals do not cover asks for the others: checkCoverage.)
    lists = { forTenant, signed, valid: signed.filter((a) => a.expires >= today), others: undefined };
    byKey.set(key, lists);
  }
  return lists;
}

export function appliesTo(a: Approval, tenant: string): boolean {
  return a.tenants === "*" || a.tenants.includes(tenant);
}

function destinationCovers(a: Approval, dest: RequestedDestination): boolean {
  if (dest.kind === "fqdn") return a.destination.kind === "fqdn" && fqdnContains(a.destination.pattern, dest.pattern);
  if (dest.kind === "group") return a.destination.kind === "group" && a.destination.name === dest.name;
  return a.destination.kind === "cidr" && a.destination.set.intersects(dest.set);
}

interface Attempt {
  covered: boolean;
  used: Approval[];
  /** Approvals whose destination covers the request, whatever their ports. */
  matching: Approval[];
}

/**
 * Host approvals by the last label of their pattern, when it has no `*`: a pattern contains a host
 * only if their last labels agree (fqdn.ts compares labels from the end), so a host is compared
 * with the approvals of its top-level domain and the patterns ending in a glob, not with the
 * thousands of others. Per list (the lists above are kept per tenant), positions kept for order.
 */
interface HostIndex {
  readonly byLast: ReadonlyMap<string, readonly number[]>;
  readonly rest: readonly number[];
}
const hostIndexes = new WeakMap<readonly Approval[], HostIndex>();

function hostIndex(list: readonly Approval[]): HostIndex {
  let index = hostIndexes.get(list);
  if (index) return index;
  const byLast = new Map<string, number[]>();
  const rest: number[] = [];
  list.forEach((a, i) => {
    if (a.destination.kind !== "fqdn") return;
    const p = a.destination.pattern;
    const last = p.labels[p.labels.length - 1];
    if (p.all || last === undefined || last.includes("*")) rest.push(i);
    else pushTo(byLast, last, i);
  });
  hostIndexes.set(list, (index = { byLast, rest }));
  return index;
}

/** The approvals of a list whose destination covers the request, in the list's order (exported for tests). */
export function covering(list: readonly Approval[], dest: RequestedDestination): Approval[] {
  const last = dest.kind === "fqdn" && !dest.pattern.all ? dest.pattern.labels[dest.pattern.labels.length - 1] : undefined;
  if (last === undefined || last.includes("*") || list.length < 16) return list.filter((a) => destinationCovers(a, dest));
  const index = hostIndex(list);
  const same = index.byLast.get(last) ?? [];
  const at = index.rest.length === 0 ? same : same.length === 0 ? index.rest : [...same, ...index.rest].sort((x, y) => x - y);
  const out: Approval[] = [];
  for (const i of at) if (destinationCovers(list[i]!, dest)) out.push(list[i]!);
  return out;
}

function attempt(list: readonly Approval[], dest: RequestedDestination, ports: PortSet): Attempt {
  const matching = covering(list, dest);
  if (dest.kind !== "addresses") {
    let union = PortSet.empty();
    for (const a of matching) union = union.union(a.ports);
    return { covered: union.containsSet(ports), used: matching.filter((a) => a.ports.intersects(ports)), matching };
  }
  const used = new Set<Approval>();
  for (const protocol of L4_PROTOCOLS) {
    for (const want of ports.ranges().filter((r) => r.protocol === protocol)) {
      for (const [s, e] of segments(want, matching)) {
        const covering = matching.filter((a) => a.ports.containsSet(PortSet.spec(protocol, s, e)));
        let set = AddressSet.empty();
        for (const a of covering) if (a.destination.kind === "cidr") set = set.union(a.destination.set);
        if (!set.containsSet(dest.set)) return { covered: false, used: [...used], matching };
        for (const a of covering) if (a.destination.kind === "cidr" && a.destination.set.intersects(dest.set)) used.add(a);
      }
    }
  }
  return { covered: true, used: [...used].sort(byId), matching };
}

/** Splits a requested range at every approval port boundary inside it. */
function segments(want: PortRange, approvals: readonly Approval[]): [number, number][] {
  const cuts = new Set<number>([want.start, want.end + 1]);
  for (const a of approvals)
    for (const r of a.ports.ranges()) {
      if (r.protocol !== want.protocol) continue;
      if (r.start > want.start && r.start <= want.end) cuts.add(r.start);
      if (r.end + 1 > want.start && r.end + 1 <= want.end) cuts.add(r.end + 1);
    }
  const sorted = [...cuts].sort((x, y) => x - y);
  const out: [number, number][] = [];
  for (let i = 0; i + 1 < sorted.length; i++) out.push([sorted[i]!, sorted[i + 1]! - 1]);
  return out;
}

const byId = (a: Approval, b: Approval) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

export function checkCoverage(
  reg: ApprovalRegistry,
  tenant: string,
  dest: RequestedDestination,
  ports: PortSet,
  today: string,
  icmp = false,
): Coverage {
  const kind = dest.kind === "addresses" ? "cidr" : dest.kind;
  if (icmp) return icmpCoverage(reg, tenant, dest, today);
  const lists = tenantLists(reg, tenant, kind, today);
  const { forTenant, signed, valid } = lists;
  const best = attempt(valid, dest, ports);
  if (best.covered) return { ok: true, used: best.used.sort(byId) };

  const withExpired = attempt(signed, dest, ports);
  if (withExpired.covered)
    return { ok: false, reason: "expired", expired: withExpired.used.filter((a) => a.expires < today).sort(byId) };
  const withPending = attempt(forTenant, dest, ports);
  if (withPending.covered) {
    const pending = withPending.used.filter(isPending).map((a) => a.id);
    return { ok: false, reason: "pending", detail: `approval ${pending.join(", ")} is still a draft (approved-by/ticket PENDING)` };
  }
  if (best.matching.length > 0) {
    const approved = best.matching.map((a) => `${a.id} allows ${a.ports.toString()}`).join("; ");
    return { ok: false, reason: "ports", detail: `the destination is approved, but not on these ports (${approved})` };
  }
  lists.others ??= reg.approvals.filter((a) => a.destination.kind === kind && !appliesTo(a, tenant) && a.expires >= today);
  const forOthers = attempt(lists.others, dest, ports);
  if (forOthers.covered) {
    const ids = forOthers.used.map((a) => a.id).join(", ");
    return { ok: false, reason: "other-tenants", detail: `${ids} approves it for other tenants only` };
  }
  if (dest.kind === "fqdn") {
    // The usual mistake: a pattern where only specific hosts were approved.
    const narrower = valid.filter((a) => a.destination.kind === "fqdn" && fqdnContains(dest.pattern, a.destination.pattern));
    if (narrower.length > 0)
      return {
        ok: false,
        reason: "none",
        detail: `${narrower.map((a) => `${a.id} approves only ${a.destinationText}`).join("; ")}, which does not cover ${dest.pattern.text}`,
      };
  }
  return { ok: false, reason: "none" };
}

/** ICMP has no ports: an approval covers it when its ports list `icmp`. */
function icmpCoverage(reg: ApprovalRegistry, tenant: string, dest: RequestedDestination, today: string): Coverage {
  const list = reg.forTenant(tenant).filter((a) => a.icmp && !isPending(a) && destinationCovers(a, dest));
  const covers = (l: readonly Approval[]) => {
    if (dest.kind !== "addresses") return l.length > 0;
    let set = AddressSet.empty();
    for (const a of l) if (a.destination.kind === "cidr") set = set.union(a.destination.set);
    return set.containsSet(dest.set);
  };
  const valid = list.filter((a) => a.expires >= today);
  if (covers(valid)) return { ok: true, used: [...valid].sort(byId) };
  if (covers(list)) return { ok: false, reason: "expired", expired: list.filter((a) => a.expires < today).sort(byId) };
  return { ok: false, reason: "ports", detail: "no unexpired approval lists icmp among its ports for it" };
}

/** The first blocked destination the request overlaps; `everything` for the world entity. */
export function findBlocked(reg: ApprovalRegistry, dest: RequestedDestination | { readonly kind: "everything" }): Blocked | undefined {
  for (const b of reg.blocked) {
    if (dest.kind === "everything") return b;
    if (dest.kind === "fqdn" && b.destination.kind === "fqdn" && fqdnIntersects(dest.pattern, b.destination.pattern)) return b;
    if (dest.kind === "addresses" && b.destination.kind === "cidr" && dest.set.intersects(b.destination.set)) return b;
    if (dest.kind === "group" && b.destination.kind === "group" && dest.name === b.destination.name) return b;
  }
  return undefined;
}

/** Whole days from `today` to `date` (both YYYY-MM-DD, UTC). */
export function daysBetween(today: string, date: string): number {
  return Math.round((Date.parse(`${date}T00:00:00Z`) - Date.parse(`${today}T00:00:00Z`)) / 86_400_000);
}

export function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}
