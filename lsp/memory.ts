/**
 * Keeping the server's memory near what it holds. V8 lets the heap grow to several times the live
 * data before it collects, which for a 1,000-tenant workspace means hundreds of megabytes of
 * garbage between collections. After work, when the heap has grown well past what the last full
 * collection kept, the server asks V8 for a major collection that runs incrementally (marking in
 * small steps and on V8's helper threads), so resident memory stays bounded without a long pause.
 */
import * as v8 from "node:v8";
import * as vm from "node:vm";

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

export function createIdleCollector(idleMs = 20, growthBytes = 32 * 1024 * 1024): IdleCollector {
  const gc = exposeGc();
  let live = v8.getHeapStatistics().used_heap_size;
  let timer: NodeJS.Timeout | undefined;
  let wanted = false;
  const run = () => {
    timer = undefined;
    wanted = false;
    const done = gc?.({ type: "major", execution: "async" });
    const settle = () => (live = v8.getHeapStatistics().used_heap_size);
    if (done instanceof Promise) done.then(settle, settle);
    else settle();
  };
  const arm = () => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(run, idleMs);
    timer.unref();
  };
  return {
    activity() {
      if (wanted) arm();
    },
    afterWork() {
      if (!gc) return;
      const used = v8.getHeapStatistics().used_heap_size;
      if (used > live * 1.5 && used - live > growthBytes) {
        wanted = true;
        arm();
      }
    },
    dispose() {
      if (timer) clearTimeout(timer);
    },
  };
}
