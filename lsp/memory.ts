/**
 * Keeping the server's memory near what it holds. V8 lets the heap grow to several times the live
 * data before it collects, which for a 1,000-tenant workspace means hundreds of megabytes of
 * garbage between collections. After work, when the heap has grown well past what the last full
 * collection kept, the server asks V8 for a full collection while the user pauses.
 *
 * That collection is atomic (V8's gc() cannot start its incremental marking): about 60 ms on the
 * 1,000-tenant workspace (~70 MB live), and a keystroke that arrives meanwhile waits for it. So
 * the margin trades memory for how often that happens: 32 MB is about once per 35 edits with code
 * lenses visible (0.6-0.9 MB of each edit's garbage outlives it), which stays out of the p95 of
 * edit latency; 24 MB put it there (bench/lsp.ts: edit p95 19 -> 24 ms, no lower peak).
 * (In Node 20, gc({ type: "major", execution: "sync" }) only scavenges; "async" collects fully.)
 */
import * as v8 from "node:v8";
import * as vm from "node:vm";
import { constants, PerformanceObserver } from "node:perf_hooks";

export interface IdleCollector {
  /** A message arrived: postpone a pending collection. */
  activity(): void;
  /** Work finished: collect soon if the heap grew enough. */
  afterWork(): void;
  dispose(): void;
}

type Gc = (options?: { type: "major" | "minor"; execution: "async" | "sync" }) => unknown;

function exposeGc(): Gc | undefined {
  try {
    v8.setFlagsFromString("--expose-gc");
    const gc = vm.runInNewContext("gc") as unknown;
    return typeof gc === "function" ? (gc as Gc) : undefined;
  } catch {
    return undefined;
  }
}

export function createIdleCollector(idleMs = 20, growthBytes = 32 * 1024 * 1024, trace?: (message: string) => void): IdleCollector {
  const gc = exposeGc();
  let live = v8.getHeapStatistics().used_heap_size;
  // What the last full collection kept, whoever started it: V8's own collections count too, and a
  // requested one may find V8 already collecting and return before anything is freed.
  const observer = new PerformanceObserver((list) => {
    if (!list.getEntries().some((e) => (e as { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR)) return;
    const before = live;
    live = v8.getHeapStatistics().used_heap_size;
    trace?.(`full collection: ${(before / 1048576).toFixed(0)} -> ${(live / 1048576).toFixed(0)} MB live`);
  });
  observer.observe({ entryTypes: ["gc"] });
  let timer: NodeJS.Timeout | undefined;
  let wanted = false;
  let minor = false;
  const run = () => {
    timer = undefined;
    if (wanted) void gc?.({ type: "major", execution: "async" });
    else if (minor) void gc?.({ type: "minor", execution: "sync" });
    wanted = false;
    minor = false;
  };
  const arm = () => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(run, idleMs);
    timer.unref();
  };
  return {
    activity() {
      if (wanted || minor) arm();
    },
    afterWork() {
      if (!gc) return;
      // The young generation holds mostly the work's garbage now: emptying it while the user
      // pauses keeps the next keystroke from paying for a scavenge of it.
      minor = true;
      // A fixed margin rather than a factor of the live size: garbage that outlives an edit is
      // promoted, and with a factor a large workspace would carry a hundred megabytes of it.
      if (v8.getHeapStatistics().used_heap_size - live > growthBytes) wanted = true;
      arm();
    },
    dispose() {
      if (timer) clearTimeout(timer);
      observer.disconnect();
    },
  };
}

/**
 * How far V8 lets the old generation grow past what its last full collection kept, in percent.
 * By default it picks a factor of up to 4 while a program allocates fast, which the first check
 * of a large workspace does: the heap reached 200 MB over 70 MB of live data, and that memory
 * stays committed. With 20 % it collects more often during that check (about half a second more
 * CPU) and peaks 50 MB lower. Set once the first diagnostics are out (the focused check keeps
 * V8's default) and only for that check (lsp/server.ts): later, with edits and code lenses, it
 * made full collections frequent enough to show in their latency.
 */
const HEAP_GROWING_PERCENT = 20;

export function limitHeapGrowth(): void {
  v8.setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
}

/** V8's own heap growth again (0 is its default): V8 refuses a code cache made under other flags than it is loaded under. */
export function defaultHeapGrowth(): void {
  v8.setFlagsFromString("--heap-growing-percent=0");
}

/**
 * For the edits, once the workspace is checked (and the code cache saved: V8 refuses a cache
 * made under other flags). The first check keeps nearly everything it allocates, so V8 marks its
 * allocation sites to allocate straight into the old generation; edits then allocate their
 * short-lived objects from the same sites, and there they are garbage only a full collection
 * frees. Without pretenuring, an edit with code lenses leaves 0.6 MB in the old generation
 * instead of 0.9 (and needs a full collection a third less often); a plain edit is unchanged.
 */
export function editingHeapFlags(): void {
  v8.setFlagsFromString("--no-allocation-site-pretenuring");
}
