/**
 * DCMTK's storescu as the DIMSE client of P1/P3 (the same binary for both servers), and a
 * QIDO-RS instance count to check afterwards what each server really stored.
 */
import { execFileSync, spawn } from 'node:child_process';
import type { Agent } from 'node:http';
import { qido } from './dicomweb.js';

export const STORESCU = 'storescu';
/** Calling AE title of the benchmark's client (our server with --auth none accepts any on loopback). */
export const BENCH_CALLING_AE = 'IBBENCH';

export function storescuAvailable(): boolean {
  try {
    execFileSync(STORESCU, ['--version'], { stdio: 'ignore', timeout: 5_000 });
    return true;
  } catch {
    return false;
  }
}

/** `storescu --version` first line, or 'unknown'. */
export function storescuVersion(): string {
  try {
    return (
      execFileSync(STORESCU, ['--version'], { encoding: 'utf8', timeout: 5_000 })
        .split('\n')
        .find((l) => l.includes('storescu'))
        ?.replace(/\$/g, '')
        .replace(/^\s*dcmtk:\s*/, 'DCMTK ')
        .trim() ?? 'unknown'
    );
  } catch {
    return 'unknown';
  }
}

export interface StoreTarget {
  port: number;
  aet: string;
}

export interface StorescuRun {
  ms: number;
  code: number | null;
  /** Last part of storescu's stderr+stdout (it is silent when all goes well). */
  output: string;
}

/**
 * The arguments of one storescu process: one association, the files in the given order, default
 * presentation contexts (all supported storage SOP classes × uncompressed TS), default PDU sizes,
 * carry on after a failed store (-nh: the QIDO count afterwards tells what was stored).
 */
export function storescuArgs(target: StoreTarget, files: readonly string[]): string[] {
  return ['-nh', '-aet', BENCH_CALLING_AE, '-aec', target.aet, '127.0.0.1', String(target.port), ...files];
}

/**
 * One storescu process sending `files` (paths relative to `cwd`, which keeps the command line
 * short for SMALL10K) over ONE association; TCP_NODELAY=1 as the protocol requires.
 */
export function storescu(
  target: StoreTarget,
  files: readonly string[],
  cwd: string,
  timeoutMs = 900_000,
): Promise<StorescuRun> {
  return new Promise((resolvePromise, reject) => {
    const started = performance.now();
    const child = spawn(STORESCU, storescuArgs(target, files), {
      cwd,
      env: { ...process.env, TCP_NODELAY: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const keep = (chunk: Buffer): void => {
      output += chunk.toString('utf8');
      if (output.length > 8_192) output = output.slice(-8_192);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolvePromise({ ms: performance.now() - started, code, output: output.trim() });
    });
  });
}

/** `files` in `n` contiguous slices of (almost) equal size (a study's instances stay on one association). */
export function splitContiguous<T>(files: readonly T[], n: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < n; i++)
    out.push(files.slice(Math.floor((i * files.length) / n), Math.floor(((i + 1) * files.length) / n)));
  return out.filter((slice) => slice.length > 0);
}

/** Instances a server answers to QIDO-RS `instances`, paged (limit/offset) until an empty page. */
export async function qidoInstanceCount(dicomWebUrl: string, agent?: Agent, page = 1000): Promise<number> {
  let total = 0;
  for (;;) {
    const r = await qido(dicomWebUrl, `instances?limit=${page}&offset=${total}&includefield=00080018`, agent);
    total += r.count;
    if (r.count === 0) return total;
    if (total > 10_000_000) throw new Error('QIDO count does not end');
  }
}
