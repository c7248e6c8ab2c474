/** WADO-RS URLs of a study, series or instance under the public base URL. */
export function retrieveUrl(publicUrl: string, studyUid: string, seriesUid?: string, sopUid?: string): string {
  let url = `${publicUrl}/dicomweb/studies/${studyUid}`;
  if (seriesUid) url += `/series/${seriesUid}`;
  if (seriesUid && sopUid) url += `/instances/${sopUid}`;
  return url;
}

/** Prefix of the BulkDataURIs of one instance; the stored path (e.g. "7FE00010") follows it. */
export function bulkDataBase(publicUrl: string, studyUid: string, seriesUid: string, sopUid: string): string {
  return `${retrieveUrl(publicUrl, studyUid, seriesUid, sopUid)}/bulk/`;
}
