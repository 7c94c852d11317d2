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
 * It starts 5 ms after the last message: when keystrokes come faster than the collection, the
 * sooner it starts the less of it the next one waits for (20 ms: p99 of edits with lenses visible
 * 44-49 ms; 5 ms: 20-25 ms). Editors usually debounce their lens and token requests after an edit.
 * Leaving it to V8 instead (no requested collection) peaked at 327 MB, 225-247 MB with V8's
 * growth held at 50 %.
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
  /** A full collection now, before large work (see limitHeapGrowth). */
  collectNow(): void;
  /** A full collection now if the heap grew past the margin: for work the server does when idle. */
  collectIfGrown(): void;
  /** Sizes the young generation for editing now, and again when idle whenever V8 has shrunk it (sizeYoungGeneration). */
  keepYoungGeneration(bytes: number): void;
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

export function createIdleCollector(idleMs = 5, growthBytes = 32 * 1024 * 1024, trace?: (message: string) => void): IdleCollector {
  const gc = exposeGc();
  let live = v8.getHeapStatistics().used_heap_size;
  const kept = (reading: number, by: string) => {
    const before = live;
    live = reading;
    trace?.(`full collection (${by}): ${(before / 1048576).toFixed(0)} -> ${(live / 1048576).toFixed(0)} MB live @${performance.now().toFixed(1)}`);
  };
  // V8's own full collections count too, but their entries arrive after the work that was under
  // way, whose allocations the reading then includes (one read 82 MB where 63 were live, and the
  // heap grew 32 MB past that before the next collection): a lower reading is taken, a higher one
  // waits for a requested collection, read as it completes.
  const observer = new PerformanceObserver((list) => {
    if (!list.getEntries().some((e) => (e as { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR)) return;
    const reading = v8.getHeapStatistics().used_heap_size;
    if (reading < live) kept(reading, "V8");
  });
  observer.observe({ entryTypes: ["gc"] });
  let timer: NodeJS.Timeout | undefined;
  let wanted = false;
  let minor = false;
  let young = 0;
  const run = () => {
    timer = undefined;
    if (wanted) void Promise.resolve(gc?.({ type: "major", execution: "async" })).then(() => kept(v8.getHeapStatistics().used_heap_size, "idle"));
    else if (minor) void gc?.({ type: "minor", execution: "sync" });
    // V8 shrinks the young generation when little is allocated for a while (a pause in typing),
    // and with its growth off it would stay that small: edits would then scavenge several times each.
    if (young > 0 && youngGenerationSize() < young) {
      young = Math.min(young, sizeYoungGeneration(young));
      trace?.(`young generation sized again: ${(youngGenerationSize() / 1048576).toFixed(0)} MB`);
    }
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
    collectIfGrown() {
      if (!gc || v8.getHeapStatistics().used_heap_size - live <= growthBytes) return;
      this.collectNow();
      kept(v8.getHeapStatistics().used_heap_size, "idle work");
    },
    keepYoungGeneration(bytes) {
      // (A smaller size than asked for is as large as it gets: --max-semi-space-size.)
      young = Math.min(bytes, sizeYoungGeneration(bytes));
    },
    collectNow() {
      // gc() without options is a full collection, synchronous (with options, Node 20 only
      // scavenges for "sync" and defers the full collection to a task for "async").
      gc?.();
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
 *
 * V8 applies the percentage when a full collection computes the next limit, and the last one
 * (during the focused check) computed it under the default: the server collects once (~25 ms on
 * the bench workspace) before the check, or the old generation grew to ~105 MB over ~30 MB live.
 * Pretenuring is off for the same check: the focused check's objects survive, so V8 allocates
 * from their sites straight into the old generation, where the whole check's short-lived
 * objects then wait for a full collection (in-process, peak resident memory of the start
 * 170-204 -> 156-159 MB with both).
 */
const HEAP_GROWING_PERCENT = 20;

export function limitHeapGrowth(): void {
  v8.setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
  v8.setFlagsFromString("--no-allocation-site-pretenuring");
}

/** V8's own heap growth and pretenuring again (0 is its default): V8 refuses a code cache made under other flags than it is loaded under. */
export function defaultHeapGrowth(): void {
  v8.setFlagsFromString("--heap-growing-percent=0");
  v8.setFlagsFromString("--allocation-site-pretenuring");
}

/**
 * The young generation (both semi-spaces) while editing. V8 doubles it, from 1 MB per semi-space,
 * whenever more than it holds survived scavenges since it last grew, up to 16 MB per semi-space,
 * and a large workspace's first check takes it there: 32 MB of the server's resident memory for
 * good. An edit allocates a few megabytes, and the server empties the young generation after each
 * (createIdleCollector), so edits scavenge as rarely in 16 MB as in 32 (bench/lsp.ts, with
 * ZTC_LSP_TRACE: no scavenge during an edit's rebuild either way; peak resident memory ~195 ->
 * ~181 MB). So the server starts with its growth off (compiler/cli/start-flags.ts) and sizes it
 * before the first check, while the heap is nearly empty. The first check is no slower
 * in 16 MB than in 32 (start to first diagnostics of the bench: median 591 against 630 ms in one
 * comparison, to the whole workspace 1.8 against 2.1 s; a 2 MB young generation had it spend
 * twice as long collecting).
 */
export const EDITING_YOUNG_GENERATION = 16 * 1024 * 1024;

export function youngGenerationSize(): number {
  return v8.getHeapSpaceStatistics().find((s) => s.space_name === "new_space")?.space_size ?? 0;
}

/**
 * Grows the young generation towards `bytes` (as V8 sizes it: a power of two), by keeping more
 * than a semi-space holds alive across a scavenge, once per doubling; then turns V8's own growth
 * off again. Returns the size it has. From 2 to 16 MB takes ~20 ms, most of it the first touch of
 * the memory, which the first check would otherwise pay for.
 */
export function sizeYoungGeneration(bytes: number): number {
  const gc = exposeGc();
  if (!gc) return youngGenerationSize();
  v8.setFlagsFromString("--semi-space-growth-factor=2");
  try {
    for (let size = youngGenerationSize(); size * 2 <= bytes; ) {
      // A semi-space's worth (half the size) and some more, in arrays of 64 KB: few objects to
      // make and copy, each small enough for the young generation (not the large-object space).
      const count = Math.ceil((size / 2 + 256 * 1024) / 65536);
      const held: number[][] = [];
      for (let i = 0; i < count; i++) held.push(new Array<number>(8192).fill(i));
      gc({ type: "minor", execution: "sync" });
      held.length = 0;
      const grown = youngGenerationSize();
      if (grown <= size) break;
      size = grown;
    }
  } finally {
    v8.setFlagsFromString(`--semi-space-growth-factor=${NO_YOUNG_GROWTH}`);
  }
  return youngGenerationSize();
}

/** V8's growth factor of the young generation that keeps it as it is (a server starts with it: SERVER_START_FLAGS). */
export const NO_YOUNG_GROWTH = 1;

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
