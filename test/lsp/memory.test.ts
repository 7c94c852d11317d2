import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { createIdleCollector } from "../../lsp/memory.js";

const idle = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("the idle collector", () => {
  it("collects fully once work left the heap past the margin, and reads what the collection kept", async () => {
    const traced: string[] = [];
    const collector = createIdleCollector(5, 4 * 1024 * 1024, (m) => traced.push(m));
    try {
      let garbage: number[][] | undefined = Array.from({ length: 200 }, () => Array.from({ length: 10_000 }, (_, i) => i));
      expect(garbage.length).toBe(200);
      garbage = undefined;
      collector.afterWork();
      await idle(400);
      const idleReadings = traced.filter((m) => m.startsWith("full collection (idle)"));
      expect(idleReadings).toHaveLength(1);
    } finally {
      collector.dispose();
    }
  });

  it("does not collect fully when the heap stayed within the margin", async () => {
    const traced: string[] = [];
    const collector = createIdleCollector(5, 1024 * 1024 * 1024, (m) => traced.push(m));
    try {
      collector.afterWork();
      await idle(100);
      expect(traced.filter((m) => m.includes("(idle)"))).toEqual([]);
    } finally {
      collector.dispose();
    }
  });

  it("postpones the collection while messages arrive", async () => {
    const traced: string[] = [];
    const collector = createIdleCollector(400, 0, (m) => traced.push(m));
    try {
      collector.afterWork();
      for (let i = 0; i < 5; i++) {
        await idle(20);
        collector.activity();
      }
      expect(traced.filter((m) => m.includes("(idle)"))).toEqual([]);
      await idle(800);
      expect(traced.filter((m) => m.includes("(idle)"))).toHaveLength(1);
    } finally {
      collector.dispose();
    }
  });

  it("collects between pieces of idle work only once the heap grew past the margin", () => {
    const traced: string[] = [];
    const collector = createIdleCollector(5, 4 * 1024 * 1024, (m) => traced.push(m));
    try {
      collector.collectIfGrown();
      expect(traced).toEqual([]);
      let garbage: number[][] | undefined = Array.from({ length: 200 }, () => Array.from({ length: 10_000 }, (_, i) => i));
      expect(garbage.length).toBe(200);
      garbage = undefined;
      collector.collectIfGrown();
      expect(traced.filter((m) => m.startsWith("full collection (idle work)"))).toHaveLength(1);
    } finally {
      collector.dispose();
    }
  });

  it("collects now, synchronously", () => {
    const collector = createIdleCollector();
    try {
      let garbage: number[][] | undefined = Array.from({ length: 100 }, () => Array.from({ length: 10_000 }, (_, i) => i));
      expect(garbage.length).toBe(100);
      garbage = undefined;
      const before = process.memoryUsage().heapUsed;
      collector.collectNow();
      expect(process.memoryUsage().heapUsed).toBeLessThan(before);
    } finally {
      collector.dispose();
    }
  });
});

describe("the young generation", () => {
  it("is sized for editing, and stays so with V8's growth off (in a process of its own)", () => {
    const memory = pathToFileURL(join(import.meta.dirname, "../../lsp/memory.ts")).href;
    const code = `
      import v8 from "node:v8";
      v8.setFlagsFromString("--semi-space-growth-factor=1");
      const m = await import(${JSON.stringify(memory)});
      const mb = (bytes) => bytes / 1048576;
      const before = mb(m.youngGenerationSize());
      const sized = mb(m.sizeYoungGeneration(m.EDITING_YOUNG_GENERATION));
      let junk = [];
      for (let i = 0; i < 4e6; i++) { junk.push({ a: i, b: [i] }); if (junk.length > 300000) junk = []; }
      console.log(JSON.stringify({ before, sized, after: mb(m.youngGenerationSize()) }));`;
    const out = execFileSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", code], { encoding: "utf8" });
    const r = JSON.parse(out) as { before: number; sized: number; after: number };
    expect(r.before).toBeLessThan(16);
    expect(r).toMatchObject({ sized: 16, after: 16 });
  });
});
