/**
 * How bulk values are named. Parsed JSON carries BulkDataURI = BULK_MARKER + path, where
 * the path walks from the dataset root: "7FE00010", "00540016/0/00181072" (tag / item
 * index / tag). The HTTP layer swaps the marker for the instance's retrieve URL.
 */
export const BULK_MARKER = '\u0001';

export function bulkUri(path: string): string {
  return BULK_MARKER + path;
}

/** The path a BulkDataURI names, if it is one of ours. */
export function pathOfBulkUri(uri: string): string | undefined {
  return uri.startsWith(BULK_MARKER) ? uri.slice(BULK_MARKER.length) : undefined;
}
