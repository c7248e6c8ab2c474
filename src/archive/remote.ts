/**
 * Instances indexed from a watched PACS whose bytes stay there (sources in metadata-only
 * mode). Their index row is an ordinary one with the blob key `remote:<source>` and size 0;
 * the bytes are brought in on demand through the source's fetcher, which stores them with
 * archive.store like any other instance (the local copy then replaces the remote row).
 */
import type { DicomJson, DicomJsonAttribute } from '../dicom/types.js';
import { BULK_MARKER } from '../dicom/bulk-path.js';
import type { StoredInstance } from './types.js';

export const REMOTE_PREFIX = 'remote:';

export const isRemoteKey = (blobKey: string): boolean => blobKey.startsWith(REMOTE_PREFIX);
export const remoteKey = (source: string): string => REMOTE_PREFIX + source;
export const sourceOfRemoteKey = (blobKey: string): string => blobKey.slice(REMOTE_PREFIX.length);

/** Brings the bytes of remote instances of one source into the archive (through archive.store). */
export type RemoteFetcher = (instances: StoredInstance[]) => Promise<void>;

/** Bytes of an instance are not here and could not be fetched. */
export class RemoteFetchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RemoteFetchError';
  }
}

/**
 * Metadata from a remote server → the stored form: BulkDataURIs pointing at the remote
 * server become our relative bulk paths, so our metadata names our
 * own bulk data URLs (served once the instance is fetched).
 */
export function localBulkReferences(json: DicomJson, prefix = ''): DicomJson {
  const out: DicomJson = {};
  for (const [tag, attr] of Object.entries(json)) {
    const path = prefix + tag.toUpperCase();
    if (attr.BulkDataURI !== undefined) {
      out[tag.toUpperCase()] = { vr: attr.vr, BulkDataURI: BULK_MARKER + path } as DicomJsonAttribute;
    } else if (attr.vr === 'SQ' && Array.isArray(attr.Value)) {
      out[tag.toUpperCase()] = {
        vr: 'SQ',
        Value: (attr.Value as DicomJson[]).map((item, i) => localBulkReferences(item, `${path}/${i}/`)),
      };
    } else {
      out[tag.toUpperCase()] = attr;
    }
  }
  return out;
}
