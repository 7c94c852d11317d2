import fc from "fast-check";
import picomatch from "picomatch";
import { describe, expect, it } from "vitest";
import { globMatcher } from "../../compiler/registry.js";
import { LineIndex, type Diagnostic } from "../../language/index.js";
import { program, type ProjectFiles } from "../helpers/project.js";

const POLICY = { "tenants/payments/policy.zt": "tenant payments allow within namespace\n" };

/** Diagnostics of one file as `line:col CODE message` (1-based), for exact assertions. */
function located(files: ProjectFiles, file: string): string[] {
  const p = program({ ...POLICY, ...files });
  const text = p.fileText(file) ?? "";
  const li = new LineIndex(text);
  return p
    .getDiagnostics()
    .filter((d: Diagnostic) => d.file === file && d.code !== "ZT5017")
    .map((d) => {
      const pos = li.positionAt(d.span.start);
      return `${pos.line + 1}:${pos.character + 1} ${d.code} ${d.message}`;
    });
}

describe("tenant registry", () => {
  it("points at unknown fields with a suggestion", () => {
    expect(located({ "registry/tenants.yaml": "tenants:\n  payments:\n    namespace: [payments]\n    paths: [x]\n" }, "registry/tenants.yaml")).toEqual([
      "3:5 ZT5002 tenants.payments: unknown field 'namespace'. Did you mean 'namespaces'?",
    ]);
  });

  it("explains missing fields, wrong types and invalid names", () => {
    expect(
      located(
        { "registry/tenants.yaml": "tenants:\n  payments:\n    namespaces: payments\n    paths: [a]\n  Bad_Name:\n    platform: true\n    paths: [b]\n  ledger:\n    namespaces: [ledger]\n" },
        "registry/tenants.yaml",
      ),
    ).toEqual([
      "3:17 ZT5002 tenants.payments.namespaces must be a list",
      "5:3 ZT5002 tenants: 'Bad_Name' is not a valid name: a lower-case DNS label: a-z, 0-9 and '-', at most 63 characters",
      "9:5 ZT5002 tenants.ledger: missing required field 'paths'",
    ]);
  });

  it("refuses a namespace claimed twice and paths that leave the project", () => {
    expect(
      located(
        {
          "registry/tenants.yaml":
            "tenants:\n  payments:\n    namespaces: [payments]\n    paths: [\"../elsewhere/**\"]\n  checkout:\n    namespaces: [payments]\n    paths: [x]\nnamespaces:\n  checkout: {}\n",
        },
        "registry/tenants.yaml",
      ),
    ).toEqual([
      "4:13 ZT5009 path '../elsewhere/**' is not usable: it climbs out of the project with '..'",
      "6:18 ZT5007 namespace 'payments' is already claimed by tenant 'payments'",
    ]);
  });

  it("reports YAML syntax errors, duplicate keys and alias bombs with positions", () => {
    expect(located({ "registry/tenants.yaml": "tenants:\n  payments: [\n" }, "registry/tenants.yaml")[0]).toMatch(/^\d+:\d+ ZT5001 YAML syntax error/);
    expect(located({ "registry/tenants.yaml": "tenants:\n  a:\n    paths: [x]\n    platform: true\n  a:\n    paths: [y]\n" }, "registry/tenants.yaml")).toEqual([
      "5:3 ZT5003 duplicate key 'a'; YAML keeps only one of them",
    ]);
    const bomb = ["a: &a [x, x, x, x, x, x, x, x, x, x]"];
    for (let i = 0; i < 9; i++) bomb.push(`${"bcdefghij"[i]}: &${"bcdefghij"[i]} [${Array(10).fill(`*${"abcdefghij"[i]}`).join(", ")}]`);
    bomb.push("tenants: *j");
    const out = located({ "registry/tenants.yaml": bomb.join("\n") + "\n" }, "registry/tenants.yaml");
    expect(out).toHaveLength(1);
    expect(out[0]).toContain("ZT5004");
  });

  it("treats binary and missing registries as clear errors", () => {
    const bin = located({ "registry/tenants.yaml": new Uint8Array([0x74, 0x00, 0xff]) }, "registry/tenants.yaml");
    expect(bin[0]).toContain("ZT5015 this file is not UTF-8 text");
    const p = program({ ...POLICY, "ztc.yaml": "registries:\n  tenants: registry/none.yaml\n  approvals: registry/approvals.yaml\n" });
    expect(p.getDiagnostics().map((d) => `${d.file} ${d.code} ${d.message}`)).toContain("ztc.yaml ZT5005 tenant registry registry/none.yaml does not exist");
  });
});

describe("approval registry", () => {
  it("validates destinations, ports, dates, ids and tenants", () => {
    const approvals = `approvals:
  - id: A
    destination: api..x.com
    ports: [443/tcp]
    tenants: [payments]
    approved-by: s
    ticket: t
    expires: 2030-02-30
  - id: B
    destination: 10.0.0.1/8
    ports: [443/icmp, 99999]
    tenants: [paymnts]
    approved-by: s
    ticket: t
    expires: 2030-01-01
  - id: B
    destination: x.com
    ports: ["*"]
    tenants: ["*"]
    approved-by: s
    ticket: t
    expires: 2030-01-01
`;
    expect(located({ "registry/approvals.yaml": approvals }, "registry/approvals.yaml")).toEqual([
      "3:18 ZT5009 'api..x.com' is not a valid host name or pattern: it has an empty label (two dots in a row, or a leading dot)",
      "8:14 ZT5009 '2030-02-30' is not a calendar date (YYYY-MM-DD)",
      "10:18 ZT5009 '10.0.0.1/8' is not a valid CIDR: host bits are set; the network is 10.0.0.0/8",
      "11:13 ZT5009 '443/icmp' is not a port (443, 443/tcp, 53/udp, 8000-8999/tcp, or \"*\" for all ports)",
      "11:23 ZT5009 '99999' is not a port range within 1-65535",
      "12:15 ZT5010 approval names unknown tenant 'paymnts'. Did you mean 'payments'?",
      "16:9 ZT5008 approval id 'B' is used twice",
    ]);
  });

  it("accepts an empty registry", () => {
    expect(located({ "registry/approvals.yaml": "" }, "registry/approvals.yaml")).toEqual([]);
    expect(located({ "registry/approvals.yaml": "# nothing approved yet\n" }, "registry/approvals.yaml")).toEqual([]);
  });
});

describe("project file", () => {
  it("keeps every path inside the project", () => {
    const out = located(
      { "ztc.yaml": "registries:\n  tenants: ../../etc/tenants.yaml\n  approvals: /etc/approvals.yaml\noutput: ../out\nsources: [\"../**/*.zt\"]\n" },
      "ztc.yaml",
    );
    expect(out).toEqual([
      "2:12 ZT5006 tenant registry '../../etc/tenants.yaml' is outside the project folder",
      "3:14 ZT5006 approval registry '/etc/approvals.yaml' is outside the project folder",
      "4:9 ZT5006 output folder '../out' is outside the project folder",
      "5:11 ZT5006 source glob '../**/*.zt' is outside the project folder",
    ]);
  });

  it("catches an unquoted Cilium version and unsupported ones", () => {
    expect(located({ "ztc.yaml": "registries: {tenants: a, approvals: b}\ncilium:\n  version: 1.20\n" }, "ztc.yaml")).toEqual([
      '3:12 ZT5002 cilium.version must be a quoted string such as "1.20": YAML reads 1.2 as a number',
    ]);
    expect(located({ "ztc.yaml": "registries: {tenants: a, approvals: b}\ncilium:\n  version: \"1.12\"\n" }, "ztc.yaml")).toEqual([
      "3:12 ZT5012 Cilium version '1.12' is not supported; ztc targets 1.16 to 1.20",
    ]);
  });

  it("warns when a file is claimed by several tenants", () => {
    const tenants = "tenants:\n  payments:\n    namespaces: [payments]\n    paths: [\"tenants/**\"]\n  checkout:\n    namespaces: [checkout]\n    paths: [\"tenants/checkout/**\"]\n";
    const p = program({ "registry/tenants.yaml": tenants, "tenants/checkout/policy.zt": "tenant checkout allow within namespace\n" });
    expect(p.getDiagnostics().filter((d) => d.code === "ZT5016").map((d) => d.message)).toEqual([
      "tenants/checkout/policy.zt matches the paths of several tenants (payments, checkout)",
    ]);
    // In registry order, also when the tenant with the longer folder comes first.
    const reversed = "tenants:\n  checkout:\n    namespaces: [checkout]\n    paths: [\"tenants/checkout/**\"]\n  payments:\n    namespaces: [payments]\n    paths: [\"tenants/**\", \"tenants/checkout/*.zt\"]\n";
    const q = program({ "registry/tenants.yaml": reversed, "tenants/checkout/policy.zt": "tenant checkout allow within namespace\n" });
    expect(q.getDiagnostics().filter((d) => d.code === "ZT5016").map((d) => d.message)).toEqual([
      "tenants/checkout/policy.zt matches the paths of several tenants (checkout, payments)",
    ]);
  });

  it("warns when no sources match", () => {
    const p = program({ "ztc.yaml": "registries: {tenants: registry/tenants.yaml, approvals: registry/approvals.yaml}\nsources: [\"policies/**/*.zt\"]\n" });
    expect(p.getDiagnostics().map((d) => d.code)).toContain("ZT5011");
  });
});

describe("owner index", () => {
  it("finds a glob's base folder as picomatch does, with or without the fast path", async () => {
    const { globBase } = await import("../../compiler/registry.js");
    const picomatch = (await import("picomatch")).default;
    for (const g of ["tenants/t0001/**", "../x/**", "a..b/**", ".hidden/**", "a-b.c_d/e/**", "tenants/*", "tenants/{a,b}/**", "tenants/a b/**", "tenants/a.zt", "**", "**/x", "tenants/(x)/**"])
      expect(globBase(g), g).toBe(picomatch.scan(g).base);
  });
});

describe("tenant globs", () => {
  it("match as picomatch does (dot: true), folder globs by their prefix included", () => {
    const segment = fc.constantFrom("a", "b", ".", "..", ".a", "a.b", "", "a\nb", "a\u2028", "x-y", "a\\b", " ");
    const path = fc.array(segment, { minLength: 0, maxLength: 5 }).map((s) => s.join("/"));
    const glob = fc.constantFrom("a/**", "a/b/**", "a.b/**", "x-y/a/**", "a/*.zt", "**", "a/**/b", "a/b");
    fc.assert(
      fc.property(glob, path, (g, p) => {
        expect(globMatcher(g)(p), `${g} ${JSON.stringify(p)}`).toBe(picomatch.makeRe(g, { dot: true }).test(p));
      }),
      { numRuns: 3000 },
    );
  });
});
