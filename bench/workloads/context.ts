/** What every workload gets: options, server factories, data sets and scratch folders. */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import type { Agent } from 'node:http';
import { join } from 'node:path';
import { entryPath, ensureDataset, type Manifest } from '../generate.js';
import { stow } from '../dicomweb.js';
import { fileParts } from '../multipart.js';
import type { RunningServer, ServerFactory, StartOptions } from '../servers.js';

export interface BenchOptions {
  runs: number;
  seed: number;
  cacheDir: string;
  /** QIDO iterations per query kind per run. */
  queryIterations: number;
  /** Instances per STOW request when loading SMALL10K. */
  batchSize: number;
  /** FHIR resources in P9 (default 100,000). */
  p9Resources?: number;
}

export interface BenchContext {
  options: BenchOptions;
  /** Waits for other processes to leave the CPUs alone before a measurement (see quiet.ts). */
  quiet(label: string): Promise<void>;
  factories: ServerFactory[];
  agent: Agent;
  log: (line: string) => void;
  data: DataSets;
  scratch: Scratch;
  /** Entry script of our server under test (its dist/ also serves workloads that fill data folders directly: SCALE, P9). */
  bridgeEntry?: string;
}

/** Scratch folders for server data, removed at the end of the run. */
export class Scratch {
  private readonly root: string;
  constructor(parent: string) {
    mkdirSync(parent, { recursive: true });
    this.root = mkdtempSync(join(parent, 'ib-bench-'));
  }
  dir(label: string): string {
    return mkdtempSync(join(this.root, `${label}-`));
  }
  remove(dir: string): void {
    rmSync(dir, { recursive: true, force: true });
  }
  cleanup(): void {
    rmSync(this.root, { recursive: true, force: true });
  }
}

/** Lazily generated/cached data sets, and per-side folders already holding CT400. */
export class DataSets {
  private ct?: Manifest;
  private small?: Manifest;
  /** By factory label: the plain and the encrypted server (--encrypted) each have their own. */
  private readonly ct400Dirs = new Map<string, string>();

  constructor(
    private readonly options: BenchOptions,
    private readonly log: (line: string) => void,
  ) {}

  ct400(): Manifest {
    this.ct ??= ensureDataset('CT400', { cacheDir: this.options.cacheDir, seed: this.options.seed, log: this.log });
    return this.ct;
  }

  small10k(): Manifest {
    this.small ??= ensureDataset('SMALL10K', {
      cacheDir: this.options.cacheDir,
      seed: this.options.seed,
      log: this.log,
    });
    return this.small;
  }

  /** A data folder of `factory`'s server holding CT400 (stored once via STOW, then reused). */
  async ct400Dir(ctx: BenchContext, factory: ServerFactory): Promise<string> {
    const existing = this.ct400Dirs.get(factory.label);
    if (existing) return existing;
    const manifest = this.ct400();
    const dir = ctx.scratch.dir(`${factory.side}-ct400`);
    await withServer(factory, dir, async (server) => {
      const result = await stow(server.dicomWebUrl, fileParts(manifestFiles(manifest)), { agent: ctx.agent });
      if (result.stored !== manifest.entries.length) {
        throw new Error(
          `${factory.label}: loading CT400 stored ${result.stored}/${manifest.entries.length} (failed ${result.failed})`,
        );
      }
    });
    this.ct400Dirs.set(factory.label, dir);
    return dir;
  }
}

export function manifestFiles(
  manifest: Manifest,
  from = 0,
  to = manifest.entries.length,
): { path: string; size: number }[] {
  return manifest.entries.slice(from, to).map((e) => ({ path: entryPath(manifest, e), size: e.size }));
}

/** Starts the server on `dir`, runs fn, always stops it; failures carry the server's output. */
/**
 * Our server turns every stored study into FHIR in the background. A DICOMweb figure is taken
 * once that work is done, so it measures DICOMweb and not DICOMweb next to a busy bridge.
 */
export async function bridgeIdle(server: RunningServer, timeoutMs = 180_000): Promise<void> {
  if (server.side !== 'ours') return;
  const url = `${server.dicomWebUrl.replace(/\/dicomweb$/, '')}/api/sync/status`;
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    const status = (await (await fetch(url)).json()) as {
      outbox?: { pending?: number; retrying?: number };
      inFlight?: number;
    };
    if (!status.outbox?.pending && !status.outbox?.retrying && !status.inFlight) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`the bridge was still busy after ${timeoutMs / 1000} s`);
}

export async function withServer<T>(
  factory: ServerFactory,
  dir: string,
  fn: (server: RunningServer) => Promise<T>,
  opts?: StartOptions,
): Promise<T> {
  const server = await factory.start(dir, opts);
  try {
    await bridgeIdle(server);
    return await fn(server);
  } catch (err) {
    const output = server.output().split('\n').slice(-15).join('\n');
    throw new Error(`${(err as Error).message}\n--- last ${factory.label} output ---\n${output}`);
  } finally {
    await server.stop();
  }
}

export const kbToMb = (kb: number): number => kb / 1024;
