import type { Archive } from '../archive/archive.js';
import type { InstanceScope, StoredInstance } from '../archive/types.js';
import { badGateway, notAcceptable, notFound } from '../core/errors.js';
import { isRemoteKey, RemoteFetchError } from '../archive/remote.js';
import { wholeSource } from '../archive/blob/blob-source.js';
import { TransferSyntax, servedHeader, transcodeToExplicitLittle, type ServedHeader } from '../dicom/index.js';
import { matchesType, parseAccept } from './accept.js';
import { MultipartWriter } from './multipart.js';
import { type BodyProgress, RetrieveBuffers } from './retrieve-buffers.js';
import { ReadAhead } from './retrieve-read-ahead.js';
import type { SlabPool } from './slab-pool.js';

export interface BinaryResponse {
  contentType: string;
  body: AsyncIterable<Buffer>;
  headers?: Record<string, string>;
  /**
   * Present when the body can refill its buffers once they are sent: give it the consumer's
   * progress before reading the body (without, every buffer it yields is a new one). A consumer
   * that gives it must not keep yielded buffers beyond what `held()` counts.
   */
  trackedBy?(progress: BodyProgress): void;
  /**
   * Call once the whole body has been taken by the operating system (the response finished;
   * never after an abort): the buffers it was read into go to other responses.
   */
  sent?(): void;
}

const TRANSCODABLE_TO_EXPLICIT_LE = new Set<string>([
  TransferSyntax.ImplicitVRLittleEndian,
  TransferSyntax.ExplicitVRLittleEndian,
  TransferSyntax.ExplicitVRBigEndian,
  TransferSyntax.DeflatedExplicitVRLittleEndian,
]);

interface Choice {
  multipart: boolean;
  /** '*' = as stored. */
  transferSyntax: string;
}

/**
 * WADO-RS study / series / instance retrieve (PS3.18 10.4). With transfer-syntax=* the
 * stored bytes go out unchanged; otherwise each instance is sent in the requested syntax
 * (Explicit VR Little Endian by default), transcoded where we can, 406 where we cannot.
 */
export async function retrieveInstances(
  scope: InstanceScope,
  accept: string | undefined,
  ports: { archive: Archive; slabs?: SlabPool },
): Promise<BinaryResponse> {
  let instances = await ports.archive.instances(scope);
  if (instances.length === 0)
    throw notFound(`no ${scope.sopUid ? 'instance' : scope.seriesUid ? 'series' : 'study'} with these UIDs`);
  // Only instances indexed from a metadata-only source need fetching (and the index read again).
  if (instances.some((i) => isRemoteKey(i.blobKey))) {
    await ensureLocal(scope, ports.archive);
    instances = await ports.archive.instances(scope);
  }
  const choice = negotiate(accept, Boolean(scope.sopUid), instances);
  if (!choice.multipart) {
    const only = instances[0]!;
    return {
      contentType: `application/dicom; transfer-syntax=${syntaxOut(choice, only)}`,
      body: instanceBytes(only, choice, ports.archive),
    };
  }
  const writer = new MultipartWriter();
  const tsParam = choice.transferSyntax === '*' ? '; transfer-syntax=*' : `; transfer-syntax=${choice.transferSyntax}`;
  const buffers = new RetrieveBuffers(ports.slabs?.slabBytes, undefined, ports.slabs);
  return {
    contentType: writer.contentType('application/dicom', tsParam),
    body: multipartBody(instances, choice, writer, ports.archive, buffers),
    trackedBy: (progress) => buffers.trackedBy(progress),
    sent: () => buffers.sent(),
  };
}

/** Instances indexed from a metadata-only source are fetched from it first (502 when it fails). */
export async function ensureLocal(scope: InstanceScope, archive: Archive): Promise<void> {
  try {
    await archive.materialize(scope);
  } catch (e) {
    if (e instanceof RemoteFetchError) throw badGateway(e.message);
    throw e;
  }
}

function negotiate(accept: string | undefined, single: boolean, instances: StoredInstance[]): Choice {
  const reasons: string[] = [];
  for (const entry of parseAccept(accept)) {
    const multipart = entry.type === 'multipart/related';
    if (multipart) {
      const type = (entry.params.type ?? 'application/dicom').toLowerCase();
      if (type !== 'application/dicom') {
        reasons.push(`type="${type}" is not available for instances`);
        continue;
      }
    } else if (!(entry.type === 'application/dicom' && single) && !matchesType(entry.type, 'multipart/related')) {
      reasons.push(`${entry.type} is not available here`);
      continue;
    }
    const ts = entry.params['transfer-syntax'] ?? TransferSyntax.ExplicitVRLittleEndian;
    const unable = instances.find((i) => !canProduce(i, ts));
    if (unable) {
      reasons.push(`transfer syntax ${ts} cannot be produced from the stored ${unable.transferSyntaxUid}`);
      continue;
    }
    return { multipart: multipart || entry.type !== 'application/dicom', transferSyntax: ts };
  }
  throw notAcceptable(`none of the accepted media types can be served: ${reasons.join('; ')}`);
}

function canProduce(i: StoredInstance, ts: string): boolean {
  if (ts === '*' || ts === i.transferSyntaxUid) return true;
  return ts === TransferSyntax.ExplicitVRLittleEndian && TRANSCODABLE_TO_EXPLICIT_LE.has(i.transferSyntaxUid);
}

const syntaxOut = (c: Choice, i: StoredInstance) => (c.transferSyntax === '*' ? i.transferSyntaxUid : c.transferSyntax);

async function* instanceBytes(i: StoredInstance, choice: Choice, archive: Archive): AsyncGenerator<Buffer> {
  const ts = syntaxOut(choice, i);
  if (ts === i.transferSyntaxUid) {
    yield* withServedFileMeta(i, archive.blobs.stream(i.blobKey) as AsyncIterable<Buffer>);
    return;
  }
  const blob = await archive.blobs.open(i.blobKey);
  try {
    yield* transcodeToExplicitLittle(await wholeSource(blob));
  } finally {
    await blob.close();
  }
}

const identityOf = (i: StoredInstance) => ({
  sopClassUid: i.sopClassUid,
  sopInstanceUid: i.sopUid,
  transferSyntaxUid: i.transferSyntaxUid,
});

/**
 * The stored bytes as a PS3.10 file: as stored when their File Meta names the data set, else
 * the data set behind a File Meta made from it (received without one, or with one that
 * disagreed). Only the first chunks are looked at; nothing is copied.
 */
async function* withServedFileMeta(i: StoredInstance, chunks: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  const held: Buffer[] = [];
  let decided = false;
  for await (const chunk of chunks) {
    if (decided) {
      yield chunk;
      continue;
    }
    held.push(chunk);
    const prefix = held.length === 1 ? chunk : Buffer.concat(held);
    const header = servedHeader(prefix, identityOf(i), false);
    if (!header) continue;
    decided = true;
    yield* served(prefix, header);
  }
  if (!decided && held.length > 0) {
    const whole = Buffer.concat(held);
    yield* served(whole, servedHeader(whole, identityOf(i), true)!);
  }
}

function* served(bytes: Buffer, header: ServedHeader): Generator<Buffer> {
  if (!header.replacement) {
    yield bytes;
    return;
  }
  yield header.replacement;
  if (bytes.length > header.datasetOffset) yield bytes.subarray(header.datasetOffset);
}

/**
 * The part header and an instance going out as stored in one buffer (one write, one HTTP chunk,
 * instead of two): the header copied into the free room in front of the instance's bytes (in the
 * read slab), the instance's bytes not copied. Undefined when there is no room (the caller also
 * sends them apart when the File Meta is replaced).
 */
function headInFront(head: Buffer, whole: Buffer, room: number): Buffer | undefined {
  if (room < head.length) return undefined;
  const both = Buffer.from(whole.buffer, whole.byteOffset - head.length, head.length + whole.length);
  head.copy(both, 0);
  return both;
}

/** Instances sent as stored and up to this size are read whole, ahead of the one going out (ReadAhead). */
const READ_AHEAD_MAX_BYTES = 8 * 1024 * 1024;

async function* multipartBody(
  instances: StoredInstance[],
  choice: Choice,
  writer: MultipartWriter,
  archive: Archive,
  buffers: RetrieveBuffers,
): AsyncGenerator<Buffer> {
  const ahead = new ReadAhead(
    archive.blobs,
    instances.map((i) =>
      syntaxOut(choice, i) === i.transferSyntaxUid && i.size <= READ_AHEAD_MAX_BYTES
        ? { key: i.blobKey, size: i.size }
        : undefined,
    ),
    undefined,
    buffers,
  );
  let offset = 0;
  const counted = (b: Buffer): Buffer => {
    offset = buffers.yieldedBytes(b.length);
    return b;
  };
  for (const [k, i] of instances.entries()) {
    const current = ahead.take(k);
    let whole: Buffer | undefined;
    try {
      whole = current && (await current);
    } catch (e) {
      // Deleted since the index was read: leave it out rather than send an empty part.
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
        ahead.sent(k, offset);
        continue;
      }
      throw e;
    }
    const head = writer.partHeader({ 'Content-Type': `application/dicom; transfer-syntax=${syntaxOut(choice, i)}` });
    const header = whole && servedHeader(whole, identityOf(i), true)!;
    const withHead = whole && header && !header.replacement && headInFront(head, whole, ahead.roomBefore(whole));
    if (withHead) yield counted(withHead);
    else {
      yield counted(head);
      if (whole && header) for (const b of served(whole, header)) yield counted(b);
      else for await (const b of instanceBytes(i, choice, archive)) yield counted(b);
    }
    ahead.sent(k, offset);
  }
  yield writer.end();
}
