/**
 * The object key of a stored instance: `<2 hex of sha1(StudyInstanceUID)>/<StudyInstanceUID>/
 * <SOPInstanceUID>-<8 random hex>.dcm` (the random part keeps versions of one SOP Instance
 * apart). Made once per C-STORE, so its two costs are kept small: the study's folder is
 * remembered for the studies seen lately (an ingest stores a study's instances one after the
 * other), and the random part is cut from a pool filled 1,024 suffixes at a time instead of one
 * `randomBytes` call per key. Same randomness per key either way (crypto.randomBytes).
 */
import { createHash, randomBytes } from 'node:crypto';
import type { BlobPlacement } from './types.js';

const FOLDERS_KEPT = 256;
const folders = new Map<string, string>();

/** `<2 hex>/<StudyInstanceUID>`: the folder of a study's objects. */
export function studyFolder(studyUid: string): string {
  let folder = folders.get(studyUid);
  if (folder === undefined) {
    folder = `${createHash('sha1').update(studyUid).digest('hex').slice(0, 2)}/${studyUid}`;
    if (folders.size >= FOLDERS_KEPT) folders.delete(folders.keys().next().value!);
    folders.set(studyUid, folder);
  }
  return folder;
}

const SUFFIX_BYTES = 4;
const POOL_SUFFIXES = 1024;
let pool = Buffer.alloc(0);
let taken = 0;

/** 8 random hex digits, never handed out twice from the pool. */
export function randomSuffix(): string {
  if (taken + SUFFIX_BYTES > pool.length) {
    pool = randomBytes(SUFFIX_BYTES * POOL_SUFFIXES);
    taken = 0;
  }
  const hex = pool.toString('hex', taken, taken + SUFFIX_BYTES);
  taken += SUFFIX_BYTES;
  return hex;
}

/** The key of a new object of a stored instance. */
export const instanceBlobKey = (studyUid: string, sopUid: string): string =>
  `${studyFolder(studyUid)}/${sopUid}-${randomSuffix()}.dcm`;

/**
 * Where a new object of a stored instance goes, with its file key made only when a store reads
 * it: a small object appended to a pack is named by the pack (segment, offset, length) and
 * never reads it, so most C-STOREs make no folder hash and draw no random suffix. Read twice,
 * the key is the same.
 */
export function instancePlacement(studyUid: string, sopUid: string, source: string): BlobPlacement {
  let key: string | undefined;
  return {
    sopUid,
    source,
    get key() {
      key ??= instanceBlobKey(studyUid, sopUid);
      return key;
    },
  };
}
