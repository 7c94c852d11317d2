import { describe, expect, it } from "vitest";
import { canonicalSelector } from "../../compiler/labels.js";

describe("canonicalSelector", () => {
  it("orders expressions by code unit, not by the machine's locale, and drops repeats", () => {
    const s = canonicalSelector({ b: "1", B: "2", a: "3" }, [
      { key: "tier", operator: "In", values: ["web", "Api"] },
      { key: "Tier", operator: "Exists" },
      { key: "app-x", operator: "DoesNotExist" },
      { key: "app_x", operator: "DoesNotExist" },
      { key: "tier", operator: "In", values: ["Api", "web"] },
    ]);
    expect(Object.keys(s.matchLabels)).toEqual(["B", "a", "b"]);
    // A locale-aware comparison puts "Tier" after "app_x" and "app_x" before "app-x".
    expect(s.matchExpressions.map((e) => e.key)).toEqual(["Tier", "app-x", "app_x", "tier"]);
    expect(s.matchExpressions[3]!.values).toEqual(["Api", "web"]);
  });
});
