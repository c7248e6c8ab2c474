/**
 * Writes the file-based data sets (CT400, SMALL10K) as Part 10 files into a cache folder
 * and reuses them on later runs. Run directly to pre-generate:
 *   node --import tsx bench/generate.ts [CT400|SMALL10K ...] [--cache DIR] [--seed N]
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { encodePart10 } from '../src/dicom/index.js';
import { ct400Instances, DEFAULT_SEED, smallInstances, type GeneratedInstance } from './datasets.js';
import { PIXEL_BULK_KEY } from './headers.js';
import { EXPLICIT_VR_LITTLE_ENDIAN } from './vocabulary.js';

/** Bump when generated content changes, so stale caches are not reused. */
export const GENERATOR_VERSION = 1;
export const DEFAULT_CACHE_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '.cache');

export type FileDatasetName = 'CT400' | 'SMALL10K';

export interface ManifestEntry {
  /** Relative to the manifest's folder. */
  file: string;
  size: number;
  studyUid: string;
  sopInstanceUid: string;
}

export interface Manifest {
  name: FileDatasetName;
  seed: number;
  version: number;
  totalBytes: number;
  studies: number;
  /** Absolute folder of the files (filled in on load, not stored). */
  dir: string;
  entries: ManifestEntry[];
}

export interface GenerateOptions {
  cacheDir?: string;
  seed?: number;
  log?: (line: string) => void;
}

/** Encodes one generated instance as a Part 10 file (Explicit VR Little Endian). */
export function encodeInstance(instance: GeneratedInstance): Buffer {
  return encodePart10(instance.json, {
    transferSyntaxUid: EXPLICIT_VR_LITTLE_ENDIAN,
    bulk: { [PIXEL_BULK_KEY]: instance.pixels() },
  });
}

function instancesOf(name: FileDatasetName, seed: number): Generator<GeneratedInstance> {
  return name === 'CT400' ? ct400Instances(seed) : smallInstances(seed);
}

function fileNameFor(name: FileDatasetName, index: number): string {
  const bucket = String(Math.floor(index / 1000)).padStart(3, '0');
  return name === 'CT400'
    ? `ct${String(index + 1).padStart(4, '0')}.dcm`
    : `${bucket}/i${String(index).padStart(6, '0')}.dcm`;
}

function loadManifest(dir: string): Manifest | undefined {
  const path = join(dir, 'manifest.json');
  if (!existsSync(path)) return undefined;
  const manifest = JSON.parse(readFileSync(path, 'utf8')) as Omit<Manifest, 'dir'>;
  return manifest.version === GENERATOR_VERSION ? { ...manifest, dir } : undefined;
}

/** Returns the cached data set, generating it first if missing (written to a temp folder, then renamed). */
export function ensureDataset(name: FileDatasetName, opts: GenerateOptions = {}): Manifest {
  const seed = opts.seed ?? DEFAULT_SEED;
  const dir = join(opts.cacheDir ?? DEFAULT_CACHE_DIR, `${name}-seed${seed}-v${GENERATOR_VERSION}`);
  const cached = loadManifest(dir);
  if (cached) return cached;

  const log = opts.log ?? (() => {});
  const partial = `${dir}.partial-${process.pid}`;
  rmSync(partial, { recursive: true, force: true });
  mkdirSync(partial, { recursive: true });
  const started = performance.now();
  log(`generating ${name} (seed ${seed}) into ${dir} …`);
  const entries: ManifestEntry[] = [];
  const studies = new Set<string>();
  let totalBytes = 0;
  let index = 0;
  for (const instance of instancesOf(name, seed)) {
    const bytes = encodeInstance(instance);
    const file = fileNameFor(name, index++);
    mkdirSync(dirname(join(partial, file)), { recursive: true });
    writeFileSync(join(partial, file), bytes);
    entries.push({ file, size: bytes.length, studyUid: instance.studyUid, sopInstanceUid: instance.sopInstanceUid });
    studies.add(instance.studyUid);
    totalBytes += bytes.length;
    if (index % 1000 === 0) log(`  ${index} instances …`);
  }
  const manifest = { name, seed, version: GENERATOR_VERSION, totalBytes, studies: studies.size, entries };
  writeFileSync(join(partial, 'manifest.json'), JSON.stringify(manifest));
  rmSync(dir, { recursive: true, force: true });
  renameSync(partial, dir);
  log(
    `  ${name}: ${entries.length} instances, ${(totalBytes / 1e6).toFixed(1)} MB in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
  return { ...manifest, dir };
}

export function entryPath(manifest: Manifest, entry: ManifestEntry): string {
  return join(manifest.dir, entry.file);
}

function main(): void {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { cache: { type: 'string' }, seed: { type: 'string' } },
  });
  const names = (positionals.length ? positionals : ['CT400', 'SMALL10K']) as FileDatasetName[];
  for (const name of names) {
    if (name !== 'CT400' && name !== 'SMALL10K') throw new Error(`unknown data set ${name} (CT400 | SMALL10K)`);
    const m = ensureDataset(name, {
      cacheDir: values.cache,
      seed: values.seed === undefined ? undefined : Number(values.seed),
      log: (line) => console.log(line),
    });
    console.log(`${name}: ${m.entries.length} files, ${(m.totalBytes / 1e6).toFixed(1)} MB at ${m.dir}`);
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
