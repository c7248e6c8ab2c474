import { closeSync, openSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  DicomParseError,
  FrameRangeError,
  TransferSyntax,
  bufferSource,
  encapsulatePixelData,
  encodeDatasetBytes,
  encodePart10,
  fileSource,
  parseInstance,
  readFrames,
  transcodeToExplicitLittle,
} from './index.js';
import { countingSource, explicitElement, sampleJson, samplePixels } from './test-support.js';

const bulk = { '7FE00010': samplePixels() };

function parseError(buf: Buffer): unknown {
  try {
    parseInstance(bufferSource(buf));
    return undefined;
  } catch (e) {
    return e;
  }
}

describe('parseInstance on broken input', () => {
  for (const ts of [
    TransferSyntax.ExplicitVRLittleEndian,
    TransferSyntax.ImplicitVRLittleEndian,
    TransferSyntax.ExplicitVRBigEndian,
  ]) {
    it(`reports every truncation of a ${ts} file as DicomParseError`, () => {
      const file = encodePart10(sampleJson(), { transferSyntaxUid: ts, bulk });
      let failures = 0;
      for (let cut = 0; cut < file.length; cut++) {
        const err = parseError(file.subarray(0, cut));
        if (err !== undefined) {
          expect(err, `cut at ${cut}`).toBeInstanceOf(DicomParseError);
          failures++;
        }
      }
      // Only cuts that fall exactly between top-level elements after the required UIDs can parse.
      expect(failures).toBeGreaterThan(file.length * 0.9);
      // A cut inside the pixel data value always fails.
      expect(parseError(file.subarray(0, file.length - 3))).toBeInstanceOf(DicomParseError);
    });
  }

  it('reports a truncated deflated file as DicomParseError', () => {
    const file = encodePart10(sampleJson(), { transferSyntaxUid: TransferSyntax.DeflatedExplicitVRLittleEndian, bulk });
    for (let cut = 0; cut < file.length; cut += 7) {
      const err = parseError(file.subarray(0, cut));
      if (err !== undefined) expect(err).toBeInstanceOf(DicomParseError);
    }
    expect(parseError(file.subarray(0, file.length - 20))).toBeInstanceOf(DicomParseError);
  });

  it('names the element, offset and the missing bytes when a value length is absurd', () => {
    const dataset = encodeDatasetBytes(sampleJson({ '7FE00010': { vr: 'OW' } }));
    const lo = explicitElement(0x00100010, 'LO', Buffer.from('AB'));
    lo.writeUInt16LE(0xfff0, 6);
    const ut = explicitElement(0x00104000, 'UT', Buffer.from('AB'));
    ut.writeUInt32LE(0xfffffff0, 8);
    for (const bad of [lo, ut]) {
      const file = Buffer.concat([dataset, bad]);
      const err = parseError(file);
      expect(err).toBeInstanceOf(DicomParseError);
      expect((err as Error).message).toMatch(
        /^value of \(0010,(0010|4000)\) (LO|UT) at offset \d+ claims \d+ bytes but only 2 remain$/,
      );
    }
  });

  it('names the missing identifying attribute', () => {
    const json = sampleJson();
    delete json['0020000E'];
    const err = parseError(encodePart10(json, { bulk }));
    expect(err).toBeInstanceOf(DicomParseError);
    expect((err as Error).message).toBe('missing SeriesInstanceUID (0020,000E)');
  });

  it('falls back to the File Meta for the SOP Class and Instance UIDs', () => {
    const json = sampleJson();
    const file = encodePart10(json, { bulk });
    delete json['00080016'];
    delete json['00080018'];
    const dataset = encodeDatasetBytes(json, { bulk });
    const header = file.subarray(0, file.length - encodeDatasetBytes(sampleJson(), { bulk }).length);
    const parsed = parseInstance(bufferSource(Buffer.concat([header, dataset])));
    expect(parsed.sopClassUid).toBe('1.2.840.10008.5.1.4.1.1.2');
    expect(parsed.sopInstanceUid).toBe('1.2.826.0.1.3680043.10.1456.9.3');
  });

  it('rejects bytes that are clearly not DICOM', () => {
    const jpeg = Buffer.concat([Buffer.from('ffd8ffe000104a464946', 'hex'), Buffer.alloc(300)]);
    expect(parseError(jpeg)).toBeInstanceOf(DicomParseError);
    expect(parseError(Buffer.from('%PDF-1.7 hello world'))).toBeInstanceOf(DicomParseError);
    expect(parseError(Buffer.alloc(0))).toBeInstanceOf(DicomParseError);
  });

  it('rejects an invalid VR with its offset', () => {
    const file = encodePart10(sampleJson(), { bulk });
    const at = file.indexOf(Buffer.from('Thorax', 'latin1')) - 4;
    const broken = Buffer.from(file);
    broken.write('\u0001\u0002', at, 'latin1');
    expect((parseError(broken) as Error).message).toMatch(
      /^element \(0008,1030\) at offset \d+ has an invalid VR \(bytes 01 02\)$/,
    );
  });

  it('stops deeply nested sequences with DicomParseError instead of exhausting the stack', () => {
    let item: Record<string, unknown> = {};
    for (let i = 0; i < 200; i++) item = { '0040A730': { vr: 'SQ', Value: [item] } };
    const file = encodePart10(sampleJson(item as never), { bulk });
    expect((parseError(file) as Error).message).toMatch(/nested deeper than 64 levels/);
  });
});

describe('corrupted bytes', () => {
  it('make parseInstance, readFrames and the transcoder fail only with DicomParseError', () => {
    let seed = 42;
    const random = (): number => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
    const files = [
      ...Object.values(TransferSyntax).map((ts) => encodePart10(sampleJson(), { transferSyntaxUid: ts, bulk })),
      encodePart10(sampleJson({ '00280008': { vr: 'IS', Value: [2] } }), {
        transferSyntaxUid: '1.2.840.10008.1.2.4.50',
        bulk: { '7FE00010': encapsulatePixelData([Buffer.alloc(20, 1), Buffer.alloc(20, 2)], { fragmentSize: 8 }) },
      }),
    ];
    const unexpected: string[] = [];
    for (let n = 0; n < 3000; n++) {
      const file = Buffer.from(files[n % files.length]!);
      for (let j = 0; j < 1 + Math.floor(random() * 4); j++) {
        const at = 132 + Math.floor(random() * (file.length - 132));
        file[at] = random() < 0.5 ? Math.floor(random() * 256) : [0x00, 0xff, 0xfe, 0xe0][Math.floor(random() * 4)]!;
      }
      const attempts = [
        () => parseInstance(bufferSource(file)),
        () => readFrames(bufferSource(file), [1]),
        () => [...transcodeToExplicitLittle(bufferSource(file))],
      ];
      for (const attempt of attempts) {
        try {
          attempt();
        } catch (e) {
          // Encapsulated input legitimately refuses to transcode; everything else must be a parse error.
          const fine =
            e instanceof DicomParseError || e instanceof FrameRangeError || (e as Error).name === 'TranscodeError';
          if (!fine) unexpected.push(String(e));
        }
      }
    }
    expect(unexpected).toEqual([]);
  });
});

describe('parseInstance reads only headers', () => {
  it('reads less than 64 KB of a file whose PixelData is 50 MB', () => {
    const pixels = Buffer.alloc(50 * 1024 * 1024, 7);
    const json = sampleJson({ '00280010': { vr: 'US', Value: [5120] }, '00280011': { vr: 'US', Value: [5120] } });
    const file = encodePart10(json, { bulk: { '7FE00010': pixels } });
    const source = countingSource(file);
    const parsed = parseInstance(source);
    expect(parsed.pixelData?.location.length).toBe(pixels.length);
    expect(source.bytesRead).toBeLessThan(64 * 1024);
  });

  it('skips binary values over the threshold and inlines those under it', () => {
    const big = Buffer.alloc(2000, 1).toString('base64');
    const file = encodePart10(sampleJson({ '00420011': { vr: 'OB', InlineBinary: big } }), { bulk });
    expect(parseInstance(bufferSource(file)).json['00420011']).toEqual({ vr: 'OB', BulkDataURI: '\u000100420011' });
    expect(parseInstance(bufferSource(file), { bulkDataThreshold: 4096 }).json['00420011']).toEqual({
      vr: 'OB',
      InlineBinary: big,
    });
  });

  it('parses through a file descriptor with a prefix already in memory', () => {
    const file = encodePart10(sampleJson(), { bulk });
    const dir = mkdtempSync(join(tmpdir(), 'dicom-'));
    const path = join(dir, 'x.dcm');
    writeFileSync(path, file);
    const fd = openSync(path, 'r');
    try {
      const fromFile = parseInstance(fileSource(fd, file.length, file.subarray(0, 200)));
      expect(fromFile).toEqual(parseInstance(bufferSource(file)));
      const noPrefix = fileSource(fd, file.length);
      expect(noPrefix.read(file.length - 32, 32)).toEqual(samplePixels());
      expect(() => noPrefix.read(file.length - 2, 4)).toThrow(DicomParseError);
    } finally {
      closeSync(fd);
    }
  });
});
