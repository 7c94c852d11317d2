import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { checkCoverage, covering, findBlocked, type RequestedDestination } from "../../compiler/approvals.js";
import { AddressSet, parseCidr, type Prefix } from "../../compiler/net/cidr.js";
import { fqdnContains, parseFqdn } from "../../compiler/net/fqdn.js";
import { PortSet } from "../../compiler/net/ports.js";
import { parseDestination, type Approval, type ApprovalRegistry } from "../../compiler/registry.js";

const TODAY = "2026-11-21";

function approval(id: string, destination: string, ports: PortSet, extra: Partial<Approval> = {}): Approval {
  const d = parseDestination(destination);
  if (typeof d === "string") throw new Error(d);
  return {
    id,
    destination: d,
    destinationText: destination,
    ports,
    icmp: false,
    tenants: ["payments"],
    approvedBy: "secops",
    ticket: "SEC-1",
    expires: "2030-01-01",
    file: "registry/approvals.yaml",
    span: { start: 0, end: 0 },
    ...extra,
  };
}

function registry(approvals: Approval[], blocked: string[] = []): ApprovalRegistry {
  return {
    file: "registry/approvals.yaml",
    approvals,
    forTenant: (t) => approvals.filter((a) => a.tenants === "*" || a.tenants.includes(t)),
    byId: new Map(approvals.map((a) => [a.id, a])),
    blocked: blocked.map((b) => {
      const d = parseDestination(b);
      if (typeof d === "string") throw new Error(d);
      return { destination: d, destinationText: b, reason: "no", file: "registry/approvals.yaml", span: { start: 0, end: 0 } };
    }),
  };
}

const fqdn = (s: string): RequestedDestination => {
  const r = parseFqdn(s);
  if (!r.ok) throw new Error(r.reason);
  return { kind: "fqdn", pattern: r.pattern };
};
const prefix = (s: string): Prefix => {
  const r = parseCidr(s);
  if (!r.ok) throw new Error(r.reason);
  return r.prefix;
};
const cidr = (s: string): RequestedDestination => ({ kind: "addresses", set: AddressSet.prefix(prefix(s)) });
const tcp443 = PortSet.spec("TCP", 443);

describe("covering", () => {
  it("finds the host approvals a request's top-level domain can match, as a scan of the list does, in its order", () => {
    // Lists long enough to be indexed by the last label, with patterns of every shape: exact, globs
    // in any label (the last one too), a leading **., and * alone; and requests of the same shapes.
    const label = fc.constantFrom("api", "a*", "*i", "*", "com", "co*", "net", "io", "stripe", "x-1");
    const host = fc.tuple(fc.constantFrom("", "**."), fc.array(label, { minLength: 1, maxLength: 3 })).map(([m, ls]) => m + ls.join("."));
    const pattern = fc.oneof({ weight: 9, arbitrary: host }, { weight: 1, arbitrary: fc.constant("*") });
    fc.assert(
      fc.property(fc.array(pattern, { minLength: 16, maxLength: 60 }), pattern, (patterns, request) => {
        const list = patterns.map((p, i) => approval(`A${i}`, p, tcp443));
        const dest = fqdn(request);
        const scan = list.filter((a) => a.destination.kind === "fqdn" && dest.kind === "fqdn" && fqdnContains(a.destination.pattern, dest.pattern));
        expect(covering(list, dest).map((a) => a.id)).toEqual(scan.map((a) => a.id));
      }),
      { numRuns: 400 },
    );
  });
});

describe("checkCoverage", () => {
  it("covers a host by an exact or containing pattern approval only", () => {
    const reg = registry([approval("A", "api.stripe.com", tcp443), approval("B", "*.s3.amazonaws.com", tcp443)]);
    expect(checkCoverage(reg, "payments", fqdn("api.stripe.com"), tcp443, TODAY)).toMatchObject({ ok: true });
    expect(checkCoverage(reg, "payments", fqdn("eu.s3.amazonaws.com"), tcp443, TODAY)).toMatchObject({ ok: true });
    const pattern = checkCoverage(reg, "payments", fqdn("*.stripe.com"), tcp443, TODAY);
    expect(pattern).toMatchObject({ ok: false, reason: "none" });
    expect(!pattern.ok && pattern.reason === "none" ? pattern.detail : "").toContain("A approves only api.stripe.com");
  });

  it("needs every port, possibly from several approvals of the same destination", () => {
    const reg = registry([approval("A", "*.stripe.com", tcp443), approval("B", "api.stripe.com", PortSet.spec("TCP", 8443))]);
    const both = PortSet.spec("TCP", 443).union(PortSet.spec("TCP", 8443));
    expect(checkCoverage(reg, "payments", fqdn("api.stripe.com"), both, TODAY)).toMatchObject({ ok: true });
    expect(checkCoverage(reg, "payments", fqdn("files.stripe.com"), both, TODAY)).toMatchObject({ ok: false, reason: "ports" });
    expect(checkCoverage(reg, "payments", fqdn("api.stripe.com"), PortSet.spec("UDP", 443), TODAY)).toMatchObject({ ok: false, reason: "ports" });
  });

  it("distinguishes expired, pending and other-tenant approvals", () => {
    const reg = registry([
      approval("OLD", "old.example", tcp443, { expires: "2026-11-20" }),
      approval("TODAY", "today.example", tcp443, { expires: TODAY }),
      approval("DRAFT", "draft.example", tcp443, { approvedBy: "PENDING" }),
      approval("THEIRS", "theirs.example", tcp443, { tenants: ["checkout"] }),
      approval("ALL", "all.example", tcp443, { tenants: "*" }),
    ]);
    expect(checkCoverage(reg, "payments", fqdn("old.example"), tcp443, TODAY)).toMatchObject({ ok: false, reason: "expired" });
    expect(checkCoverage(reg, "payments", fqdn("today.example"), tcp443, TODAY)).toMatchObject({ ok: true });
    expect(checkCoverage(reg, "payments", fqdn("draft.example"), tcp443, TODAY)).toMatchObject({ ok: false, reason: "pending" });
    expect(checkCoverage(reg, "payments", fqdn("theirs.example"), tcp443, TODAY)).toMatchObject({ ok: false, reason: "other-tenants" });
    expect(checkCoverage(reg, "payments", fqdn("all.example"), tcp443, TODAY)).toMatchObject({ ok: true });
  });

  it("covers a CIDR by the union of approved CIDRs, port by port", () => {
    const reg = registry([
      approval("LO", "10.0.0.0/9", PortSet.spec("TCP", 5432)),
      approval("HI", "10.128.0.0/9", PortSet.spec("TCP", 5432)),
      approval("HI2", "10.128.0.0/9", PortSet.spec("TCP", 6379)),
    ]);
    expect(checkCoverage(reg, "payments", cidr("10.0.0.0/8"), PortSet.spec("TCP", 5432), TODAY)).toMatchObject({ ok: true });
    // The low half is not approved on 6379: the union must not mix ports.
    expect(checkCoverage(reg, "payments", cidr("10.0.0.0/8"), PortSet.spec("TCP", 6379), TODAY).ok).toBe(false);
    expect(checkCoverage(reg, "payments", cidr("10.200.0.0/16"), PortSet.spec("TCP", 6379), TODAY)).toMatchObject({ ok: true });
  });

  // Model: destinations inside 10.0.0.0/28, ports 1..6 over TCP; coverage holds iff every
  // (address, port) point of the request lies in some valid approval.
  const base = prefix("10.0.0.0/28").addr;
  const smallPrefix = fc.record({ len: fc.integer({ min: 28, max: 32 }), off: fc.integer({ min: 0, max: 15 }) }).map(({ len, off }) => {
    const size = 2 ** (32 - len);
    return { family: 4 as const, addr: base + BigInt(Math.floor(off / size) * size), len };
  });
  const portRange = fc.record({ s: fc.integer({ min: 1, max: 6 }), n: fc.integer({ min: 0, max: 3 }) }).map(({ s, n }) => [s, Math.min(6, s + n)] as const);
  const points = (p: Prefix) => Array.from({ length: 2 ** (32 - p.len) }, (_, i) => p.addr + BigInt(i));

  it("CIDR coverage agrees with a point-by-point model", () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ p: smallPrefix, ports: portRange, expired: fc.boolean() }), { maxLength: 5 }),
        smallPrefix,
        portRange,
        (apps, want, wantPorts) => {
          const approvals = apps.map((a, i) =>
            approval(`A${i}`, `${[24n, 16n, 8n, 0n].map((s) => String((a.p.addr >> s) & 255n)).join(".")}/${a.p.len}`, PortSet.spec("TCP", a.ports[0], a.ports[1]), {
              expires: a.expired ? "2020-01-01" : "2030-01-01",
            }),
          );
          const reg = registry(approvals);
          const result = checkCoverage(reg, "payments", { kind: "addresses", set: AddressSet.prefix(want) }, PortSet.spec("TCP", wantPorts[0], wantPorts[1]), TODAY);
          let covered = true;
          for (const addr of points(want))
            for (let port = wantPorts[0]; port <= wantPorts[1]; port++)
              if (!apps.some((a) => !a.expired && port >= a.ports[0] && port <= a.ports[1] && points(a.p).includes(addr))) covered = false;
          expect(result.ok).toBe(covered);
          if (result.ok) for (const u of result.used) expect(u.expires >= TODAY).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe("findBlocked", () => {
  it("blocks overlapping patterns and CIDRs, and everything for the world entity", () => {
    const reg = registry([], ["*.pastebin.com", "169.254.169.254/32"]);
    expect(findBlocked(reg, fqdn("**.com"))?.destinationText).toBe("*.pastebin.com");
    expect(findBlocked(reg, fqdn("api.stripe.com"))).toBeUndefined();
    expect(findBlocked(reg, cidr("169.254.0.0/16"))?.destinationText).toBe("169.254.169.254/32");
    expect(findBlocked(reg, cidr("10.0.0.0/8"))).toBeUndefined();
    expect(findBlocked(reg, { kind: "everything" })).toBeDefined();
  });
});
