import type { Archive } from '../archive/archive.js';
import { withBlobSource } from '../archive/blob/blob-source.js';
import type { InstanceScope, StoredInstance } from '../archive/types.js';
import { badRequest, notAcceptable, notFound } from '../core/errors.js';
import { FrameRangeError, TransferSyntax, locateBulkData, readFrames } from '../dicom/index.js';
import type { ByteSource } from '../dicom/types.js';
import { matchesType, parseAccept } from './accept.js';
import { frameMediaType } from './media-types.js';
import { MultipartWriter } from './multipart.js';
import { ensureLocal, type BinaryResponse } from './retrieve-instances.js';

/** "1,3,5" → [1,3,5]; PS3.18 frame numbers are 1-based. */
export function parseFrameList(list: string): number[] {
  const numbers = list
    .split(/,|%2C/i)
    .filter(Boolean)
    .map((s) => Number(s));
  if (numbers.length === 0 || numbers.some((n) => !Number.isInteger(n) || n < 1)) {
    throw badRequest(`frame list "${list}" must be comma-separated frame numbers starting at 1`);
  }
  return numbers;
}

async function withInstance<T>(
  scope: InstanceScope,
  archive: Archive,
  fn: (i: StoredInstance, bytes: () => ByteSource) => T,
): Promise<T> {
  if (!(await archive.instances(scope))[0]) throw notFound('no instance with these UIDs');
  await ensureLocal(scope, archive);
  const instance = (await archive.instances(scope))[0];
  if (!instance) throw notFound('no instance with these UIDs');
  const blob = await archive.blobs.open(instance.blobKey);
  try {
    // Reads only the bytes the parser asks for (ranged GETs when the object is in S3).
    return await withBlobSource(blob, (source) => fn(instance, () => source));
  } finally {
    await blob.close();
  }
}

/**
 * The media type each frame goes out as. Native frames are application/octet-stream
 * (little endian); compressed frames keep their encoding and its image media type.
 */
function negotiateFrames(accept: string | undefined, encapsulated: boolean, storedTs: string): string {
  const native = 'application/octet-stream';
  const compressed = frameMediaType(storedTs);
  for (const entry of parseAccept(accept)) {
    const type = entry.type === 'multipart/related' ? (entry.params.type ?? native).toLowerCase() : entry.type;
    const ts = entry.params['transfer-syntax'];
    if (!encapsulated) {
      if (matchesType(type, native) && (!ts || ts === '*' || ts === TransferSyntax.ExplicitVRLittleEndian))
        return native;
    } else if (matchesType(type, compressed) || (type === native && ts === '*')) {
      if (!ts || ts === '*' || ts === storedTs) return compressed;
    }
  }
  const have = encapsulated ? `${compressed} (transfer syntax ${storedTs}; no decoder is available)` : native;
  throw notAcceptable(`frames of this instance can be sent as ${have} only`);
}

function framesResponse(frames: Buffer[], mediaType: string, ts: string, encapsulated: boolean): BinaryResponse {
  const writer = new MultipartWriter();
  const tsParam = encapsulated ? `; transfer-syntax=${ts}` : '';
  const body = (async function* () {
    for (const f of frames) {
      yield writer.partHeader({ 'Content-Type': mediaType + tsParam, 'Content-Length': String(f.length) });
      yield f;
    }
    yield writer.end();
  })();
  return { contentType: writer.contentType(mediaType, tsParam), body };
}

/** WADO-RS frames: …/instances/{i}/frames/{list}. */
export async function retrieveFrames(
  scope: InstanceScope,
  list: string,
  accept: string | undefined,
  ports: { archive: Archive },
): Promise<BinaryResponse> {
  const numbers = parseFrameList(list);
  return withInstance(scope, ports.archive, (instance, source) => {
    let result: ReturnType<typeof readFrames>;
    try {
      result = readFrames(source(), numbers);
    } catch (e) {
      if (e instanceof FrameRangeError) throw notFound(e.message);
      throw e;
    }
    const mediaType = negotiateFrames(accept, result.encapsulated, instance.transferSyntaxUid);
    return framesResponse(result.frames, mediaType, instance.transferSyntaxUid, result.encapsulated);
  });
}

/** WADO-RS bulk data: the BulkDataURI given in metadata (…/instances/{i}/bulk/{path}). */
export async function retrieveBulkData(
  scope: InstanceScope,
  path: string,
  accept: string | undefined,
  ports: { archive: Archive },
): Promise<BinaryResponse> {
  if (!/^[0-9A-Fa-f]{8}(\/\d+\/[0-9A-Fa-f]{8})*$/.test(path)) throw badRequest(`"${path}" is not a bulk data path`);
  return withInstance(scope, ports.archive, (instance, source) => {
    const found = locateBulkData(source(), path.toUpperCase());
    if (!found) throw notFound(`instance has no bulk data at ${path}`);
    if (found.pixelData?.encapsulated) {
      const all = Array.from({ length: instance.numberOfFrames }, (_, i) => i + 1);
      const frames = readFrames(source(), all);
      const mediaType = negotiateFrames(accept, true, instance.transferSyntaxUid);
      return framesResponse(frames.frames, mediaType, instance.transferSyntaxUid, true);
    }
    negotiateFrames(accept, false, instance.transferSyntaxUid);
    let bytes: Buffer = Buffer.from(found.data.read(found.location.offset, found.location.length));
    if (found.byteOrder === 'BE') bytes = toLittleEndian(bytes, found.vr);
    return framesResponse([bytes], 'application/octet-stream', '', false);
  });
}

function toLittleEndian(bytes: Buffer, vr: string): Buffer {
  const width = vr === 'OW' ? 2 : vr === 'OL' || vr === 'OF' ? 4 : vr === 'OD' || vr === 'OV' ? 8 : 1;
  if (width === 2) bytes.swap16();
  else if (width === 4) bytes.swap32();
  else if (width === 8) bytes.swap64();
  return bytes;
}
