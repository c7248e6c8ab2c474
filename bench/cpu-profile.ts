/**
 * Summarises V8 .cpuprofile files (from `npm run bench -- --cpu-prof DIR`, which starts our
 * server with --cpu-prof): self time by function and by file, heaviest first.
 *   node --import tsx bench/cpu-profile.ts DIR|FILE... [--top N] [--window REGEX]
 * --window keeps only the samples between the first and the last one whose stack holds a
 * function matching REGEX (e.g. `^stow$`): the request being measured, without start-up.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  children?: number[];
}

export interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface SelfTime {
  name: string;
  ms: number;
  share: number;
}

export interface ProfileSummary {
  totalMs: number;
  /** Sampled time minus (idle), (program) and (garbage collector). */
  busyMs: number;
  byFunction: SelfTime[];
  byFile: SelfTime[];
}

function shortUrl(url: string): string {
  if (!url) return '';
  const path = url.startsWith('file://') ? fileURLToPath(url) : url;
  const nm = path.lastIndexOf('node_modules/');
  if (nm >= 0) return path.slice(nm + 'node_modules/'.length);
  return path.startsWith('/') ? relative(process.cwd(), path) : path;
}

/** [from, to) sample indexes between the first and last sample whose stack matches `window`. */
function windowOf(p: CpuProfile, nodes: Map<number, ProfileNode>, window: RegExp | undefined): [number, number] {
  if (!window) return [0, p.samples.length];
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const matches = new Map<number, boolean>();
  const inStack = (id: number): boolean => {
    const known = matches.get(id);
    if (known !== undefined) return known;
    const n = nodes.get(id);
    const up = parent.get(id);
    const m = (n !== undefined && window.test(n.callFrame.functionName)) || (up !== undefined && inStack(up));
    matches.set(id, m);
    return m;
  };
  let first = -1;
  let last = -1;
  p.samples.forEach((id, i) => {
    if (inStack(id)) {
      if (first < 0) first = i;
      last = i;
    }
  });
  return first < 0 ? [0, 0] : [first, last + 1];
}

/** Self time per sampled node, attributed with timeDeltas (the time until the next sample). */
export function summarise(profiles: CpuProfile[], window?: RegExp): ProfileSummary {
  const byFunction = new Map<string, number>();
  const byFile = new Map<string, number>();
  let totalMs = 0;
  for (const p of profiles) {
    const nodes = new Map(p.nodes.map((n) => [n.id, n]));
    const [from, to] = windowOf(p, nodes, window);
    for (let i = from; i < to; i++) {
      const node = nodes.get(p.samples[i]!);
      if (!node) continue;
      const ms = (p.timeDeltas[i + 1] ?? 0) / 1000;
      totalMs += ms;
      const f = node.callFrame;
      const file = shortUrl(f.url);
      const fn = `${f.functionName || '(anonymous)'}${file ? ` ${file}:${f.lineNumber + 1}` : ''}`;
      byFunction.set(fn, (byFunction.get(fn) ?? 0) + ms);
      const key = file || f.functionName || '(native)';
      byFile.set(key, (byFile.get(key) ?? 0) + ms);
    }
  }
  const sorted = (m: Map<string, number>): SelfTime[] =>
    [...m.entries()].map(([name, ms]) => ({ name, ms, share: totalMs ? ms / totalMs : 0 })).sort((a, b) => b.ms - a.ms);
  const idle = ['(idle)', '(program)', '(garbage collector)'].reduce((s, k) => s + (byFunction.get(k) ?? 0), 0);
  return { totalMs, busyMs: totalMs - idle, byFunction: sorted(byFunction), byFile: sorted(byFile) };
}

export function profileFiles(paths: string[]): string[] {
  return paths.flatMap((p) => {
    const abs = resolve(p);
    return statSync(abs).isDirectory()
      ? readdirSync(abs)
          .filter((f) => f.endsWith('.cpuprofile'))
          .map((f) => join(abs, f))
      : [abs];
  });
}

export function formatSummary(s: ProfileSummary, top = 25): string {
  const line = (t: SelfTime): string =>
    `${t.ms.toFixed(0).padStart(8)} ms ${(t.share * 100).toFixed(1).padStart(5)}%  ${t.name}`;
  return [
    `sampled ${s.totalMs.toFixed(0)} ms, busy (not idle/program/GC) ${s.busyMs.toFixed(0)} ms (${((s.busyMs / (s.totalMs || 1)) * 100).toFixed(0)}%)`,
    '',
    `self time by function (top ${top}):`,
    ...s.byFunction.slice(0, top).map(line),
    '',
    `self time by file (top ${top}):`,
    ...s.byFile.slice(0, top).map(line),
  ].join('\n');
}

function main(): void {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { top: { type: 'string' }, window: { type: 'string' } },
  });
  if (positionals.length === 0) throw new Error('usage: node --import tsx bench/cpu-profile.ts DIR|FILE... [--top N]');
  const files = profileFiles(positionals);
  const profiles = files.map((f) => JSON.parse(readFileSync(f, 'utf8')) as CpuProfile);
  console.log(`${files.length} profile(s)`);
  const window = values.window === undefined ? undefined : new RegExp(values.window);
  console.log(formatSummary(summarise(profiles, window), values.top ? Number(values.top) : 25));
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
