import { describe, expect, it } from 'vitest';
import { BULK_MARKER } from '../bulk-path.js';
import { bufferSource } from '../byte-source.js';
import { encodePart10 } from '../part10-writer.js';
import type { DicomJson } from '../types.js';
import { readRenderInput } from './pixel-input.js';

const us = (...v: number[]) => ({ vr: 'US', Value: v });

function file(extra: DicomJson, pixels: Buffer, ts?: string): Buffer {
  const json: DicomJson = {
    '00080016': { vr: 'UI', Value: ['1.2.840.10008.5.1.4.1.1.7'] },
    '00080018': { vr: 'UI', Value: ['1.2.3.4'] },
    '00280002': us(1),
    '00280004': { vr: 'CS', Value: ['MONOCHROME2'] },
    '00280010': us(2),
    '00280011': us(2),
    '00280100': us(16),
    '00280101': us(12),
    '00280102': us(11),
    '00280103': us(0),
    ...extra,
    '7FE00010': { vr: 'OW', BulkDataURI: `${BULK_MARKER}7FE00010` },
  };
  return encodePart10(json, { bulk: { '7FE00010': pixels }, ...(ts ? { transferSyntaxUid: ts } : {}) });
}

describe('render input', () => {
  it('carries the pixel attributes as numbers, multi-valued ones as arrays', () => {
    const f = file(
      {
        '00281050': { vr: 'DS', Value: [40, 400] },
        '00281051': { vr: 'DS', Value: [400, 2000] },
        '00281052': { vr: 'DS', Value: [-1024] },
        '00281053': { vr: 'DS', Value: [1] },
        '00281056': { vr: 'CS', Value: ['sigmoid'] },
      },
      Buffer.alloc(8, 1),
    );
    const input = readRenderInput(bufferSource(f), [1]);
    expect(input.elements).toMatchObject({
      Rows: 2,
      Columns: 2,
      BitsStored: 12,
      WindowCenter: [40, 400],
      WindowWidth: [400, 2000],
      RescaleIntercept: -1024,
      VOILUTFunction: 'SIGMOID',
    });
    expect(input.transferSyntaxUid).toBe('1.2.840.10008.1.2.1');
    expect([...input.frames[0]!]).toEqual([1, 1, 1, 1, 1, 1, 1, 1]);
  });

  it('gives the frames of a big-endian file little endian, as the renderer reads them', () => {
    // The writer takes bulk values little endian and stores them big endian.
    const pixels = Buffer.from([1, 0, 2, 0, 3, 0, 4, 0]);
    const lut = Buffer.from([0x12, 0x34, 0x56, 0x78]);
    const f = file(
      { '00281201': { vr: 'OW', InlineBinary: lut.toString('base64') }, '00281101': us(2, 0, 16) },
      pixels,
      '1.2.840.10008.1.2.2',
    );
    const input = readRenderInput(bufferSource(f), [1]);
    expect([...input.frames[0]!]).toEqual([1, 0, 2, 0, 3, 0, 4, 0]);
    expect(input.elements.RedPaletteColorLookupTableDescriptor).toEqual([2, 0, 16]);
    expect(new Uint8Array(input.elements.RedPaletteColorLookupTableData as ArrayBuffer)).toEqual(
      new Uint8Array([0x12, 0x34, 0x56, 0x78]),
    );
  });

  it('sizes native YBR_FULL_422 frames at two bytes per pixel', () => {
    const ybr = { '00280002': us(3), '00280004': { vr: 'CS', Value: ['YBR_FULL_422'] }, '00280006': us(0) };
    const bits = { '00280100': us(8), '00280101': us(8), '00280102': us(7), '00280008': { vr: 'IS', Value: [2] } };
    const pixels = Buffer.from([...Array(8).fill(1), ...Array(8).fill(2)]);
    const input = readRenderInput(bufferSource(file({ ...ybr, ...bits }, pixels)), [2]);
    expect([...input.frames[0]!]).toEqual(Array(8).fill(2));
  });

  it('refuses an instance without pixel data', () => {
    const json: DicomJson = {
      '00080016': { vr: 'UI', Value: ['1.2.840.10008.5.1.4.1.1.88.11'] },
      '00080018': { vr: 'UI', Value: ['1.2.3.5'] },
    };
    expect(() => readRenderInput(bufferSource(encodePart10(json)), [1])).toThrow(/no image pixel data/);
  });
});
