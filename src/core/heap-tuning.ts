/**
 * The server's V8 heap, kept close to what it holds. Left to itself V8 lets the old space grow
 * to 1.1–4× the live heap before the next full collection, and picks the high end when a
 * collection is cheap next to the work around it — as under C-STORE load, where a server with
 * ≈ 70 MB live held 300+ MB of garbage (P3 peak RSS 520–777 MB vs Orthanc's 122 MB). And once the
 * work stops, nothing gives the memory back: an idle server kept the young generation it had
 * grown (32 MB) and the old-space pages of its start-up garbage resident for as long as it ran.
 */
import { performance } from 'node:perf_hooks';
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';

/** Old space may grow to 1.5× the live heap before a full collection (costs more, shorter GCs). */
const HEAP_GROWING_PERCENT = 50;

/** For the server process only (the CLI's other commands and in-process tests keep V8's defaults). */
export function boundHeapGrowth(): void {
  v8.setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
}

/** Full collections in one idle round: at least this many (V8 shrinks the young generation only after a few)… */
const ROUND = 4;
/** …and more, up to this many, while the young generation is still larger than YOUNG_IDLE_BYTES. */
const ROUND_MAX = 12;
const IDLE_BEFORE_ROUND = 3;
const YOUNG_IDLE_BYTES = 4 * 1024 * 1024;

function youngGenerationBytes(): number {
  return v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')?.space_size ?? 0;
}

let gcFunction: (() => void) | undefined;

/** V8's `gc`, fetched once without leaving it exposed to later contexts. */
function fullGc(): () => void {
  if (gcFunction) return gcFunction;
  v8.setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as unknown;
  v8.setFlagsFromString('--no-expose-gc');
  if (typeof gc !== 'function') throw new Error('V8 did not expose gc');
  gcFunction = gc as () => void;
  return gcFunction;
}

/**
 * One full collection that moves every old-space object it can onto fewer pages. A plain full
 * collection evacuates only pages that are mostly empty, so the old space of an idle server
 * kept 46–49 MB of pages for 42 MB of live objects; this one left 43 MB (−4 to −6 MB of RSS,
 * issue 21). Its cost is one collection more per idle round, never one while the server works.
 */
function compactingGc(gc: () => void): void {
  v8.setFlagsFromString('--compact-on-every-full-gc');
  try {
    gc();
  } finally {
    v8.setFlagsFromString('--no-compact-on-every-full-gc');
  }
}

/**
 * One compacting full collection once the server has started. Start-up (the R4 definitions
 * parsed, ≈ 150 MB of garbage: 62 MB of it the bundles' JSON text) leaves the old space at
 * 130–145 MB committed for ≈ 45 MB live; the first full collection under load came seconds into
 * it, and a plain one keeps the scattered pages, so P3's peak RSS was reached in its first
 * seconds (≈ 360 MB over 4 associations). Costs one collection (≈ 0.1–0.3 s of CPU) per start.
 */
export function collectStartUpGarbage(): void {
  compactingGc(fullGc());
}

export interface IdleHeapOptions {
  /** How often the event loop's utilisation is sampled. */
  intervalMs?: number;
  /** Below this share of busy time over one interval, the server is idle. */
  idleUtilisation?: number;
  /** A round starts only when the heap holds this much more than the last round left. */
  minGrowthBytes?: number;
  /** Told after each completed round (the server logs it at debug level). */
  onRound?: (heapTotalBytes: number) => void;
}

export interface IdleHeapReducer {
  /** Full collections run so far (for tests and logs). */
  readonly collections: number;
  stop(): void;
}

/**
 * Gives the heap back once the server goes idle. V8 shrinks the young generation and releases
 * swept old-space pages only at a full collection that finds the allocation rate low, which an
 * idle Node process never runs: measured on an idle `serve --demo`, four collections a second
 * apart took RSS from 235 to 179 MB (the young generation's 31 MB only at the fourth); one
 * collection right after start-up released nothing (the background start-up work was still
 * allocating), and V8 shrinks the young generation only when the allocation rate between two
 * collections was low. So: once the heap has grown by `minGrowthBytes` over what the last round
 * left and three intervals in a row were idle, a round of full collections, one per idle
 * interval (busy intervals pause it): four, or
 * up to twelve while the young generation has not shrunk, then one that compacts the old space.
 * A busy server is never collected by this, and an idle one at most thirteen times per growth.
 */
export function reduceHeapWhenIdle(opts: IdleHeapOptions = {}): IdleHeapReducer {
  const intervalMs = opts.intervalMs ?? 1000;
  const idleUtilisation = opts.idleUtilisation ?? 0.02;
  const minGrowth = opts.minGrowthBytes ?? 8 * 1024 * 1024;
  const gc = fullGc();
  let floor = 0;
  let inRound = 0;
  let idleIntervals = 0;
  let collections = 0;
  let elu = performance.eventLoopUtilization();
  const timer = setInterval(() => {
    const now = performance.eventLoopUtilization();
    const busy = performance.eventLoopUtilization(now, elu).utilization;
    elu = now;
    if (busy > idleUtilisation) {
      idleIntervals = 0;
      return;
    }
    idleIntervals += 1;
    // A round starts only after IDLE_BEFORE_ROUND idle intervals in a row: work that pauses
    // (between the C-STOREs of a slow sender, between requests) is not collected.
    if (inRound === 0 && (idleIntervals < IDLE_BEFORE_ROUND || process.memoryUsage().heapTotal < floor + minGrowth))
      return;
    gc();
    collections += 1;
    inRound += 1;
    if (inRound >= ROUND_MAX || (inRound >= ROUND && youngGenerationBytes() <= YOUNG_IDLE_BYTES)) {
      compactingGc(gc);
      collections += 1;
      inRound = 0;
      floor = process.memoryUsage().heapTotal;
      opts.onRound?.(floor);
    }
    // The next interval must not count this collection as the server's own work.
    elu = performance.eventLoopUtilization();
  }, intervalMs);
  timer.unref();
  return {
    get collections() {
      return collections;
    },
    stop: () => clearInterval(timer),
  };
}
