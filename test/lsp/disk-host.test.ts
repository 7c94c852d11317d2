import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createDiskHost } from "../../lsp/disk-host.js";

describe("disk host", () => {
  it("answers each limit as the disk does, from memory until told the file changed", () => {
    const root = mkdtempSync(join(tmpdir(), "ztc-disk-host-"));
    writeFileSync(join(root, "a.zt"), "tenant a allow within namespace\n");
    const host = createDiskHost(root);
    expect(host.readFile("a.zt", 1000)).toEqual({ kind: "ok", text: "tenant a allow within namespace\n" });
    // An existence check reads with 0: too large, and the first answer is still there after it.
    expect(host.readFile("a.zt", 0).kind).toBe("too-large");
    writeFileSync(join(root, "a.zt"), "tenant b allow within namespace\n");
    expect(host.readFile("a.zt", 1000)).toEqual({ kind: "ok", text: "tenant a allow within namespace\n" });
    expect(host.readFile("a.zt", 0).kind).toBe("too-large");
    host.invalidate("a.zt", false);
    expect(host.readFile("a.zt", 0).kind).toBe("too-large");
    expect(host.readFile("a.zt", 1000)).toEqual({ kind: "ok", text: "tenant b allow within namespace\n" });
    writeFileSync(join(root, "a.zt"), "");
    host.invalidateAll();
    expect(host.readFile("a.zt", 1000)).toEqual({ kind: "ok", text: "" });
    expect(host.readFile("a.zt", 0)).toEqual({ kind: "ok", text: "" });
  });
});
