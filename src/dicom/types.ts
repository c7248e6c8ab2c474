/**
 * Public types of the DICOM core. Everything outside src/dicom talks to DICOM data
 * through these shapes and the functions exported from src/dicom/index.ts.
 */

/** One attribute in the DICOM JSON model (PS3.18 Annex F). */
export interface DicomJsonAttribute {
  vr: string;
  Value?: unknown[];
  BulkDataURI?: string;
  InlineBinary?: string;
}

/** A dataset in the DICOM JSON model: keys are 8-digit upper-case hex tags. */
export type DicomJson = Record<string, DicomJsonAttribute>;

// Defined in core (encryption reads sealed objects through it too); DICOM parsing is its main reader.
export type { ByteSource } from '../core/byte-source.js';

/** Where a value sits in the stored bytes (offsets relative to the decoded dataset stream). */
export interface ValueLocation {
  offset: number;
  length: number;
}

export interface PixelDataInfo {
  /** Location of the whole PixelData value (native) or of the encapsulated item sequence. */
  location: ValueLocation;
  encapsulated: boolean;
  /** For encapsulated pixel data: the fragments after the Basic Offset Table item. */
  fragments?: ValueLocation[];
  /** Basic Offset Table entries (may be empty). */
  basicOffsetTable?: number[];
  /** The dataset's byte order for the value (explicit VR big endian → 'BE'). */
  byteOrder: 'LE' | 'BE';
}

export interface ParsedInstance {
  /** True when the input started with a 128-byte preamble + DICM + group 0002. */
  hasFileMeta: boolean;
  /** Transfer syntax of the dataset (from the File Meta, or detected for raw datasets). */
  transferSyntaxUid: string;
  /** Byte offset in the source where the dataset (after the File Meta group) starts. */
  datasetOffset: number;
  sopClassUid: string;
  sopInstanceUid: string;
  studyInstanceUid: string;
  seriesInstanceUid: string;
  /** The File Meta group (0002,xxxx) as DICOM JSON (empty when absent). */
  fileMeta: DicomJson;
  /**
   * The whole dataset (without group 0002 and group lengths) as DICOM JSON. Bulk data
   * values carry `BulkDataURI = BULK_MARKER + path` (see bulkdata.ts); the HTTP layer
   * replaces the marker with the instance's retrieve URL.
   */
  json: DicomJson;
  pixelData?: PixelDataInfo;
}

/** A clear, human-readable reason why bytes are not a DICOM object we can read. */
export class DicomParseError extends Error {
  constructor(
    message: string,
    /** Byte offset where the problem was found, when known. */
    readonly offset?: number,
  ) {
    super(message);
    this.name = 'DicomParseError';
  }
}

/** A requested frame number does not exist in the instance. */
export class FrameRangeError extends Error {
  constructor(
    message: string,
    readonly frame: number,
    readonly numberOfFrames: number,
  ) {
    super(message);
    this.name = 'FrameRangeError';
  }
}

/** The instance cannot be re-encoded as asked (e.g. encapsulated pixel data to explicit VR little endian). */
export class TranscodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TranscodeError';
  }
}
