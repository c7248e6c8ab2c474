/**
 * parseInstance / openDataset: File Meta + dataset → ParsedInstance. Deflated datasets are
 * inflated once per source (cached) so later bulk reads and frame reads see the same stream.
 */
import { inflateRawSync } from 'node:zlib';
import { bufferSource } from './byte-source.js';
import { parseDataset, type BulkEntry } from './dataset-parser.js';
import { EXPLICIT_LE, looksExplicit, type StreamSyntax } from './element-header.js';
import { locateFileMeta } from './file-meta.js';
import { jsonString } from './json-values.js';
import { TransferSyntax, encodingOf } from './transfer-syntax.js';
import { DicomParseError, type ByteSource, type DicomJson, type ParsedInstance } from './types.js';

export interface ParseInstanceOptions {
  bulkDataThreshold?: number;
}

export interface OpenedDataset {
  data: ByteSource;
  parsed: ParsedInstance;
  bulk: Map<string, BulkEntry>;
  /** How the dataset part of `data` is actually encoded (after inflating and sniffing). */
  syntax: StreamSyntax;
}

const DEFAULT_THRESHOLD = 1024;
/** A deflated dataset may not inflate beyond this: a few KB must not be able to claim gigabytes. */
const MAX_INFLATED_BYTES = 512 * 1024 * 1024;
const inflatedBySource = new WeakMap<ByteSource, ByteSource>();

/** The source with its dataset inflated: File Meta bytes kept in front so offsets stay comparable. */
function inflated(source: ByteSource, datasetOffset: number): ByteSource {
  let data = inflatedBySource.get(source);
  if (!data) {
    let body: Buffer;
    try {
      body = inflateRawSync(source.read(datasetOffset, source.size - datasetOffset), {
        maxOutputLength: MAX_INFLATED_BYTES,
      });
    } catch (e) {
      throw new DicomParseError(
        `deflated dataset at offset ${datasetOffset} cannot be inflated: ${(e as Error).message}`,
        datasetOffset,
      );
    }
    data = bufferSource(Buffer.concat([source.read(0, datasetOffset), body]));
    inflatedBySource.set(source, data);
  }
  return data;
}

/** The transfer syntax of a meta-less data set; implicit VR big endian was never a DICOM transfer syntax. */
function syntaxUidOf(detected: StreamSyntax): string {
  if (!detected.littleEndian) {
    if (detected.explicit) return TransferSyntax.ExplicitVRBigEndian;
    throw new DicomParseError('the data set looks implicit VR big endian, which is not a DICOM transfer syntax', 0);
  }
  return detected.explicit ? TransferSyntax.ExplicitVRLittleEndian : TransferSyntax.ImplicitVRLittleEndian;
}

/** Parse without insisting on the four identifying UIDs (DICOMDIR has none). */
export function openAnyDataset(source: ByteSource, opts: ParseInstanceOptions = {}): OpenedDataset {
  const bulkDataThreshold = opts.bulkDataThreshold ?? DEFAULT_THRESHOLD;
  const meta = locateFileMeta(source, false)!;
  let fileMeta: DicomJson = {};
  let transferSyntaxUid: string;
  if (meta.hasFileMeta) {
    // File Meta values are always inline: the group is small and bulk paths there would clash with the dataset's.
    const metaOpts = { bulkDataThreshold: Infinity, keepFileMetaGroup: true };
    fileMeta = parseDataset(source, meta.metaStart, meta.datasetOffset, EXPLICIT_LE, metaOpts).json;
    const ts = jsonString(fileMeta, '00020010');
    if (!ts) throw new DicomParseError('File Meta has no TransferSyntaxUID (0002,0010)', meta.metaStart);
    transferSyntaxUid = ts;
  } else {
    transferSyntaxUid = syntaxUidOf(meta.detected!);
  }
  const encoding = encodingOf(transferSyntaxUid);
  const data = encoding.deflated ? inflated(source, meta.datasetOffset) : source;
  let explicit = encoding.explicit;
  // Files labelled explicit VR whose dataset is plainly implicit exist in the wild; follow the bytes.
  if (
    explicit &&
    encoding.littleEndian &&
    data.size - meta.datasetOffset >= 8 &&
    !looksExplicit(data, meta.datasetOffset)
  ) {
    explicit = false;
  }
  const syntax = { explicit, littleEndian: encoding.littleEndian };
  const ds = parseDataset(data, meta.datasetOffset, data.size, syntax, { bulkDataThreshold });
  const parsed: ParsedInstance = {
    hasFileMeta: meta.hasFileMeta,
    transferSyntaxUid,
    datasetOffset: meta.datasetOffset,
    sopClassUid: jsonString(ds.json, '00080016') || jsonString(fileMeta, '00020002') || '',
    sopInstanceUid: jsonString(ds.json, '00080018') || jsonString(fileMeta, '00020003') || '',
    studyInstanceUid: jsonString(ds.json, '0020000D') ?? '',
    seriesInstanceUid: jsonString(ds.json, '0020000E') ?? '',
    fileMeta,
    json: ds.json,
  };
  if (ds.pixelData) parsed.pixelData = ds.pixelData;
  return { data, parsed, bulk: ds.bulk, syntax };
}

const REQUIRED: [keyof ParsedInstance, string][] = [
  ['sopClassUid', 'SOPClassUID (0008,0016)'],
  ['sopInstanceUid', 'SOPInstanceUID (0008,0018)'],
  ['studyInstanceUid', 'StudyInstanceUID (0020,000D)'],
  ['seriesInstanceUid', 'SeriesInstanceUID (0020,000E)'],
];

export function openDatasetWithBulk(source: ByteSource, opts: ParseInstanceOptions = {}): OpenedDataset {
  const opened = openAnyDataset(source, opts);
  for (const [field, name] of REQUIRED) {
    if (!opened.parsed[field]) throw new DicomParseError(`missing ${name}`);
  }
  return opened;
}

export function openDataset(
  source: ByteSource,
  opts?: ParseInstanceOptions,
): { data: ByteSource; parsed: ParsedInstance } {
  const { data, parsed } = openDatasetWithBulk(source, opts);
  return { data, parsed };
}

export function parseInstance(source: ByteSource, opts?: ParseInstanceOptions): ParsedInstance {
  return openDatasetWithBulk(source, opts).parsed;
}
