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
