import type { Archive } from '../archive/archive.js';
import { renderMetadata } from '../archive/metadata-text.js';
import type { InstanceScope } from '../archive/types.js';
import { notFound } from '../core/errors.js';
import { bulkDataBase } from './urls.js';

export interface MetadataResponse {
  etag: string;
  /** DICOM JSON array, as text: assembled from the stored text without parsing it. */
  body?: string;
  notModified?: boolean;
}

/** WADO-RS metadata at study, series or instance level, served from the index. */
export async function retrieveMetadata(
  scope: InstanceScope,
  ifNoneMatch: string | undefined,
  ports: { archive: Archive; publicUrl: string },
): Promise<MetadataResponse> {
  const version = await ports.archive.scopeVersion(scope);
  if (version.count === 0)
    throw notFound(`no ${scope.sopUid ? 'instance' : scope.seriesUid ? 'series' : 'study'} with these UIDs`);
  const etag = `"${version.count.toString(36)}-${version.lastPk.toString(36)}-${version.lastCreated.toString(36)}"`;
  if (ifNoneMatch?.split(',').some((t) => t.trim().replace(/^W\//, '') === etag || t.trim() === '*')) {
    return { etag, notModified: true };
  }
  const rows = await ports.archive.metadata(scope);
  const parts = rows.map((r) =>
    renderMetadata(r.metadata, bulkDataBase(ports.publicUrl, scope.studyUid, r.seriesUid, r.sopUid)),
  );
  return { etag, body: `[${parts.join(',')}]` };
}
