import { promises as fsp, openSync, closeSync, fstatSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { StoreError } from '../core/errors.js';
import { fileSource, readDicomdirReferences } from '../dicom/index.js';
import type { Archive } from './archive.js';

export interface ImportProgress {
  total: number;
  done: number;
  stored: number;
  duplicate: number;
  refused: number;
}

export interface ImportSummary extends ImportProgress {
  refusals: { path: string; status: number; reason: string }[];
  /** Stored with a warning (e.g. a File Meta that disagrees with the data set). */
  warnings: { path: string; status: number; reason: string }[];
}

/**
 * Bulk import of files, folders (recursive) and DICOMDIRs through the archive's ingest
 * path. Re-running is safe: identical instances count as duplicates and change nothing.
 */
export async function importPaths(
  paths: string[],
  archive: Archive,
  opts: { jobs: number; onProgress?: (p: ImportProgress) => void },
): Promise<ImportSummary> {
  const files = await discover(paths);
  const summary: ImportSummary = {
    total: files.length,
    done: 0,
    stored: 0,
    duplicate: 0,
    refused: 0,
    refusals: [],
    warnings: [],
  };
  let next = 0;
  const worker = async () => {
    while (next < files.length) {
      const path = files[next++]!;
      try {
        const outcome = await archive.storeFile(path, { source: 'import' });
        if (outcome.kind === 'duplicate') summary.duplicate++;
        else summary.stored++;
        if (outcome.warning)
          summary.warnings.push({ path, status: outcome.warning.status, reason: outcome.warning.message });
      } catch (e) {
        summary.refused++;
        const status = e instanceof StoreError ? e.status : 0x0110;
        summary.refusals.push({ path, status, reason: (e as Error).message });
      }
      summary.done++;
      opts.onProgress?.(summary);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, opts.jobs) }, worker));
  return summary;
}

/** Every file to import, once: folders walked, DICOMDIRs replaced by the files they reference. */
export async function discover(paths: string[]): Promise<string[]> {
  const found = new Set<string>();
  const visit = async (p: string): Promise<void> => {
    const full = resolve(p);
    const st = await fsp.stat(full);
    if (st.isDirectory()) {
      for (const entry of await fsp.readdir(full)) await visit(join(full, entry));
    } else if (st.isFile()) {
      if (basename(full).toUpperCase() === 'DICOMDIR') {
        for (const ref of dicomdirFiles(full)) found.add(ref);
      } else {
        found.add(full);
      }
    }
  };
  for (const p of paths) await visit(p);
  return [...found].sort();
}

function dicomdirFiles(path: string): string[] {
  const fd = openSync(path, 'r');
  try {
    const refs = readDicomdirReferences(fileSource(fd, fstatSync(fd).size));
    return refs.map((components) => join(dirname(path), ...components));
  } finally {
    closeSync(fd);
  }
}
