import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { scalar, toYaml } from "../../compiler/yaml-out.js";

describe("YAML writer", () => {
  it("quotes strings that YAML 1.1 or 1.2 would read as something else", () => {
    for (const s of ["443", "0x1F", "1e3", "yes", "No", "ON", "off", "true", "null", "~", "2027-06-30", "10.0.0.0/8", "*", "*.stripe.com", "a: b", "- x", "#c", "", " x", "x ", "@x", "k8s:"])
      expect(scalar(s).startsWith('"'), s).toBe(true);
    for (const s of ["api.stripe.com", "k8s:io.kubernetes.pod.namespace", "app.kubernetes.io/name", "TCP", "zt-payments-api-egress"]) expect(scalar(s)).toBe(s);
  });

  it("writes kubectl-style block YAML", () => {
    expect(toYaml({ a: { b: [{ c: "x", d: ["y"] }, {}] }, e: [], f: {}, g: "line1\nline2" })).toBe(
      'a:\n  b:\n  - c: x\n    d:\n    - "y"\n  - {}\ne: []\nf: {}\ng: |-\n  line1\n  line2\n',
    );
  });

  const json: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
    value: fc.oneof(
      { depthSize: "small" },
      fc.string({ unit: "binary" }),
      fc.constantFrom("443", "yes", "*", "a: b", "x\ny", "\ttab", "ünï", "a\u2028b", "trailing \n"),
      fc.integer(),
      fc.boolean(),
      fc.constant(null),
      fc.array(tie("value"), { maxLength: 4 }),
      fc.dictionary(fc.string({ minLength: 1, maxLength: 8 }), tie("value"), { maxKeys: 4 }),
    ),
  })).value;

  it("reads back as the same value (property)", () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string({ minLength: 1, maxLength: 10 }), json, { maxKeys: 5 }), (v) => {
        expect(parseYaml(toYaml(v as never), { version: "1.2" })).toEqual(v);
      }),
      { numRuns: 500 },
    );
  });
});
