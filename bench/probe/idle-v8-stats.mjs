/**
 * Preload for bench/idle-breakdown.ts (`node --import <this file>`): on SIGUSR2 the main thread
 * writes process.memoryUsage(), v8.getHeapStatistics() and v8.getHeapSpaceStatistics() as one
 * JSON line to $IDLE_V8_STATS_FILE. Nothing else is done (no thread, no timer), so the server's
 * idle RSS moves only by this module's few kB. Plain JavaScript: it loads into any dist/.
 */
import { appendFileSync } from 'node:fs';
import v8 from 'node:v8';
import { isMainThread } from 'node:worker_threads';

const out = process.env.IDLE_V8_STATS_FILE;
if (out && isMainThread) {
  process.on('SIGUSR2', () => {
    const spaces = {};
    for (const s of v8.getHeapSpaceStatistics())
      spaces[s.space_name] = { size: s.space_size, used: s.space_used_size, physical: s.physical_space_size };
    appendFileSync(
      out,
      `${JSON.stringify({ at: Date.now(), memory: process.memoryUsage(), heap: v8.getHeapStatistics(), spaces })}\n`,
    );
  });
}
