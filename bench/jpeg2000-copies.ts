/**
 * JPEG 2000 (lossless) copies of CT400 instances, for the rendered-frame timing of P13: the same
 * 512×512 16-bit pixels, new UIDs (suffix .9), the codestream from OpenJPEG (dcmjs-codecs).
 */
import { createRequire } from 'node:module';
import type * as Codecs from 'dcmjs-codecs';
import { BULK_MARKER } from '../src/dicom/bulkdata.js';
import { encapsulatePixelData } from '../src/dicom/encapsulate.js';
import { encodePart10 } from '../src/dicom/part10-writer.js';
import { initCodecs } from '../src/dicom/render/decode-frame.js';
import type { DicomJson } from '../src/dicom/types.js';
import { ct400Instances } from './datasets.js';

export const JPEG_2000_LOSSLESS = '1.2.840.10008.1.2.4.90';
const UIDS = ['0020000D', '0020000E', '00080018'];

export interface Jpeg2000Copy {
  file: Buffer;
  studyUid: string;
  seriesUid: string;
  sopUid: string;
}

const num = (json: DicomJson, tag: string): number => Number((json[tag]?.Value as unknown[] | undefined)?.[0] ?? 0);

/** `count` instances from the middle of CT400 (`from` = index of the first), JPEG 2000 lossless. */
export async function jpeg2000Copies(count: number, from: number, seed?: number): Promise<Jpeg2000Copy[]> {
  const codecs = createRequire(import.meta.url)('dcmjs-codecs') as typeof Codecs;
  await initCodecs();
  const copies: Jpeg2000Copy[] = [];
  let index = 0;
  for (const inst of ct400Instances(seed)) {
    if (index++ < from) continue;
    if (copies.length === count) break;
    const json: DicomJson = { ...inst.json };
    for (const tag of UIDS) {
      const v = json[tag]?.Value as string[] | undefined;
      if (v) json[tag] = { ...json[tag]!, Value: [`${v[0]}.9`] };
    }
    const context = new codecs.Context({
      width: num(json, '00280011'),
      height: num(json, '00280010'),
      bitsAllocated: num(json, '00280100'),
      bitsStored: num(json, '00280101'),
      samplesPerPixel: 1,
      pixelRepresentation: num(json, '00280103'),
      planarConfiguration: 0,
      photometricInterpretation: String((json['00280004']?.Value as string[] | undefined)?.[0] ?? 'MONOCHROME2'),
      decodedBuffer: new Uint8Array(inst.pixels()),
    });
    const encoded = codecs.NativeCodecs.encodeJpeg2000(context, { lossy: false }).getEncodedBuffer()!;
    json['7FE00010'] = { vr: 'OB', BulkDataURI: `${BULK_MARKER}7FE00010` };
    const file = encodePart10(json, {
      transferSyntaxUid: JPEG_2000_LOSSLESS,
      bulk: { '7FE00010': encapsulatePixelData([Buffer.from(encoded)]) },
    });
    const uid = (tag: string) => (json[tag]!.Value as string[])[0]!;
    copies.push({ file, studyUid: uid('0020000D'), seriesUid: uid('0020000E'), sopUid: uid('00080018') });
  }
  return copies;
}
