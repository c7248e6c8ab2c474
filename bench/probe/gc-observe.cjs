// Preload for a server under measurement: appends one line per GC event
// ("<epoch ms> <major|minor|incremental|weakcb> <duration ms>") to $GC_OBSERVE_OUT.<pid>.
//   node --import tsx bench/cstore-cpu.ts … --env GC_OBSERVE_OUT=/tmp/gc --node-arg=--require=$PWD/bench/probe/gc-observe.cjs
// then count the lines inside the run's "window" (epoch ms) that cstore-cpu.ts prints.
const { PerformanceObserver, constants } = require('node:perf_hooks');
const fs = require('node:fs');

const names = {
  [constants.NODE_PERFORMANCE_GC_MAJOR]: 'major',
  [constants.NODE_PERFORMANCE_GC_MINOR]: 'minor',
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weakcb',
};
const out = process.env.GC_OBSERVE_OUT && `${process.env.GC_OBSERVE_OUT}.${process.pid}`;
new PerformanceObserver((list) => {
  const lines = list
    .getEntries()
    .map((e) => `${Math.round(performance.timeOrigin + e.startTime)} ${names[e.detail.kind] ?? e.detail.kind} ${e.duration.toFixed(2)}\n`);
  if (out) fs.appendFileSync(out, lines.join(''));
}).observe({ entryTypes: ['gc'] });
