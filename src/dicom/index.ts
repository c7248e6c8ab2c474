/** Public API of the DICOM core: everything outside src/dicom imports from here only. */
export * from './types.js';
export { TransferSyntax, isEncapsulatedTransferSyntax } from './transfer-syntax.js';
export { BULK_MARKER, locateBulkData, type LocatedBulkData } from './bulkdata.js';
export { bufferSource, fileSource, readAll } from './byte-source.js';
export { datasetOffset } from './file-meta.js';
export { servedHeader, type ServedHeader, type ServedIdentity } from './served-file-meta.js';
export { parseInstance, openDataset, type ParseInstanceOptions } from './parse-instance.js';
export { readFrames, type FrameResult } from './frames.js';
export { transcodeToExplicitLittle } from './transcode.js';
export {
  encodePart10,
  encodeDatasetBytes,
  wrapDataset,
  IMPLEMENTATION_CLASS_UID,
  IMPLEMENTATION_VERSION_NAME,
  type EncodeOptions,
} from './part10-writer.js';
export { encapsulatePixelData, type EncapsulateOptions } from './encapsulate.js';
export { DicomEncodeError } from './value-encode.js';
export { readDicomdirReferences } from './dicomdir.js';
export { decodeText } from './charset-decode.js';
export { tagOfKeyword, keywordOfTag, vrOfTag, tagToHex } from './dictionary.js';
export { jsonString, jsonStrings } from './json-values.js';
