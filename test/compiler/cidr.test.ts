import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { AddressSet, allAddresses, formatAddress, formatPrefix, parseCidr, prefixContains, type Prefix } from "../../compiler/net/cidr.js";

const ok = (s: string) => {
  const r = parseCidr(s);
  if (!r.ok) throw new Error(`${s}: ${r.reason}`);
  return r.prefix;
};

describe("parseCidr", () => {
  it.each(["10.0.0.0/8", "0.0.0.0/0", "169.254.169.254/32", "::/0", "fd00::/8", "2001:db8::/32", "::ffff:10.0.0.0/104"])("accepts %s", (s) => {
    expect(parseCidr(s).ok).toBe(true);
  });

  it("rejects host bits and suggests the network", () => {
    const r = parseCidr("10.40.1.0/16");
    expect(r).toMatchObject({ ok: false, suggestion: "10.40.0.0/16" });
  });

  it("rejects a bare address and suggests a /32 or /128", () => {
    expect(parseCidr("169.254.169.254")).toMatchObject({ ok: false, suggestion: "169.254.169.254/32" });
    expect(parseCidr("fd00::1")).toMatchObject({ ok: false, suggestion: "fd00::1/128" });
  });

  it.each([
    ["010.0.0.0/8", "leading zero"],
    ["10.0.0.256/32", "larger than 255"],
    ["10.0.0.0/33", "prefix length"],
    ["10.0.0/8", "four numbers"],
    ["fe80::1%eth0/128", "zone"],
    ["1:2:3:4:5:6:7:8:9/128", "eight groups"],
    ["1::2::3/64", "'::' may appear only once"],
    ["10.0.0.0/08", "leading zero"],
  ])("rejects %s (%s)", (s, why) => {
    const r = parseCidr(s);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toContain(why);
  });

  it("formats IPv6 per RFC 5952", () => {
    expect(formatPrefix(ok("2001:0db8:0000:0000:0000:0000:0000:0000/32"))).toBe("2001:db8::/32");
    expect(formatPrefix(ok("fd00:0:0:1::/64"))).toBe("fd00:0:0:1::/64");
    expect(formatAddress(6, 0n)).toBe("::");
    expect(formatPrefix(ok("2001:db8:0:0:1:0:0:0/128"))).toBe("2001:db8:0:0:1::/128");
    expect(formatPrefix(ok("2001:db8:0:0:1:0:0:1/128"))).toBe("2001:db8::1:0:0:1/128");
  });

  it("round-trips every formatted prefix", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: (1n << 128n) - 1n }), fc.integer({ min: 0, max: 128 }), (addr, len) => {
        const mask = (1n << BigInt(128 - len)) - 1n;
        const p: Prefix = { family: 6, addr: addr & ~mask & ((1n << 128n) - 1n), len };
        expect(parseCidr(formatPrefix(p))).toEqual({ ok: true, prefix: p });
      }),
    );
  });
});

describe("AddressSet", () => {
  it("sees through split forms of 0.0.0.0/0", () => {
    const s = AddressSet.of([ok("0.0.0.0/1"), ok("128.0.0.0/1")]);
    expect(s.coversFamily(4)).toBe(true);
    expect(s.coversFamily(6)).toBe(false);
    expect(AddressSet.of([ok("0.0.0.0/1"), ok("128.0.0.0/2")]).coversFamily(4)).toBe(false);
  });

  it("subtracts except prefixes", () => {
    const s = AddressSet.cidrExcept(ok("10.40.0.0/16"), [ok("10.40.9.0/24")]);
    expect(s.has(4, ok("10.40.9.7/32").addr)).toBe(false);
    expect(s.has(4, ok("10.40.8.255/32").addr)).toBe(true);
    expect(AddressSet.prefix(ok("10.40.0.0/16")).containsSet(s)).toBe(true);
    expect(s.containsSet(AddressSet.prefix(ok("10.40.0.0/16")))).toBe(false);
  });

  // Model: explicit sets of addresses inside 10.0.0.0/24.
  const base = ok("10.0.0.0/24").addr;
  const prefixIn24 = fc
    .record({ len: fc.integer({ min: 24, max: 32 }), offset: fc.integer({ min: 0, max: 255 }) })
    .map(({ len, offset }): Prefix => {
      const size = 2 ** (32 - len);
      return { family: 4, addr: base + BigInt(Math.floor(offset / size) * size), len };
    });
  const members = (ps: Prefix[], minus: Prefix[] = []) => {
    const m = new Set<number>();
    for (const p of ps) for (let i = 0; i < 2 ** (32 - p.len); i++) m.add(Number(p.addr - base) + i);
    for (const p of minus) for (let i = 0; i < 2 ** (32 - p.len); i++) m.delete(Number(p.addr - base) + i);
    return m;
  };

  it("agrees with an explicit model on union, minus, containment and overlap", () => {
    fc.assert(
      fc.property(fc.array(prefixIn24, { maxLength: 5 }), fc.array(prefixIn24, { maxLength: 3 }), fc.array(prefixIn24, { maxLength: 4 }), (a, b, c) => {
        const s = AddressSet.of(a).minus(AddressSet.of(b));
        const t = AddressSet.of(c);
        const ms = members(a, b);
        const mt = members(c);
        for (let i = 0; i < 256; i++) expect(s.has(4, base + BigInt(i))).toBe(ms.has(i));
        expect(s.isEmpty()).toBe(ms.size === 0);
        expect(s.containsSet(t)).toBe([...mt].every((x) => ms.has(x)));
        expect(s.intersects(t)).toBe([...mt].some((x) => ms.has(x)));
      }),
      { numRuns: 300 },
    );
  });

  it("knows when a set covers a whole address family", () => {
    const wide = fc
      .record({ family: fc.constantFrom<4 | 6>(4, 6), len: fc.integer({ min: 0, max: 3 }), high: fc.integer({ min: 0, max: 7 }) })
      .map(({ family, len, high }): Prefix => {
        const bits = family === 4 ? 32 : 128;
        return { family, len, addr: len === 0 ? 0n : (BigInt(high) >> BigInt(3 - len)) << BigInt(bits - len) };
      });
    fc.assert(
      fc.property(fc.array(wide, { maxLength: 6 }), fc.array(wide, { maxLength: 2 }), (a, b) => {
        const s = AddressSet.of(a).minus(AddressSet.of(b));
        for (const f of [4, 6] as const) expect(s.coversFamily(f)).toBe(AddressSet.prefix(allAddresses(f)).minus(s).isEmpty());
      }),
    );
  });

  it("prefixContains agrees with address sets", () => {
    fc.assert(
      fc.property(prefixIn24, prefixIn24, (a, b) => {
        expect(prefixContains(a, b)).toBe(AddressSet.prefix(a).containsSet(AddressSet.prefix(b)));
      }),
    );
  });
});
