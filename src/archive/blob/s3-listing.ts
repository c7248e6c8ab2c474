import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import type { StudyObjects } from '../orphan-sweep.js';

/** Where the archive's objects are: a bucket and a key prefix. */
export interface S3Place {
  bucket: string;
  /** '' or segments ending in '/'. */
  prefix: string;
}

/** The archive's object keys: `<2 hex>/<StudyInstanceUID>/<name>.dcm` (archive.ts, studyFolder). */
const STUDY_OBJECT = /^[0-9a-f]{2}\/([^/]+)\/[^/]+\.dcm$/;
/** Our clock and the bucket's may differ: objects this much older than `since` are listed too. */
const CLOCK_SKEW_MS = 5 * 60_000;

/**
 * Every archive object under the prefix written since `sinceMs`, grouped by study, paging
 * through ListObjectsV2 (`pageSize` keys a request; S3 answers at most 1,000). S3 lists keys
 * in order, so a study's objects come together (across a page boundary too). Keys that are not
 * archive objects (the start-up probe, anything an operator put there) are never yielded.
 * Costs one LIST request per page of the whole prefix: there is no listing by time.
 */
export async function* studyObjectsSince(
  client: S3Client,
  place: S3Place,
  sinceMs: number,
  pageSize = 1000,
): AsyncGenerator<StudyObjects> {
  let group: StudyObjects | undefined;
  let token: string | undefined;
  do {
    const page = await client.send(
      new ListObjectsV2Command({
        Bucket: place.bucket,
        Prefix: place.prefix,
        MaxKeys: pageSize,
        ...(token ? { ContinuationToken: token } : {}),
      }),
    );
    for (const o of page.Contents ?? []) {
      const key = o.Key?.slice(place.prefix.length) ?? '';
      const studyUid = STUDY_OBJECT.exec(key)?.[1];
      const mtimeMs = o.LastModified?.getTime();
      if (studyUid === undefined || mtimeMs === undefined || mtimeMs < sinceMs - CLOCK_SKEW_MS) continue;
      if (group?.studyUid !== studyUid) {
        if (group) yield group;
        group = { studyUid, files: [] };
      }
      group.files.push({ key, mtimeMs });
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  if (group) yield group;
}
