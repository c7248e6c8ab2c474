/**
 * WADO-RS rendered and thumbnail resources against a real peer: every test image is rendered
 * by our endpoint and by DCMTK's dcm2pnm with the same window, and the pixels are compared.
 * Decoding must be exact: every losslessly compressed copy renders to the same pixels as its
 * native original, and colour and palette images match dcm2pnm exactly. Where two pipelines
 * compute in floating point and round differently, the tolerance is stated below.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BULK_MARKER } from '../src/dicom/bulkdata.js';
import { encapsulatePixelData } from '../src/dicom/encapsulate.js';
import { encodePart10 } from '../src/dicom/part10-writer.js';
import { MODALITY_LUT_SEQUENCE, VOI_LUT_SEQUENCE } from '../src/dicom/render/lut-sequences.js';
import { parseInstance, bufferSource } from '../src/dicom/index.js';
import { multipartBody, splitMultipart } from './support/multipart.js';
import { startTestServer, type TestServer } from './support/server.js';
import { dcmtkAvailable } from './support/dcmtk.js';
import {
  RENDER_STUDY,
  ct12Spec,
  ctSpec,
  dcm2png,
  dcmtk,
  gradient8,
  paletteExtra,
  toPlanar,
  writeImage,
  writeJpeg2000,
} from './support/render-images.js';

const haveDcmtk =
  dcmtkAvailable(['dcmdump']) &&
  ['img2dcm', 'dcmcjpeg', 'dcmcjpls', 'dcmcrle', 'dcmj2pnm', 'dcml2pnm'].every((t) => existsSync(`/usr/bin/${t}`));
/**
 * Windowed grayscale: dcmjs-imaging truncates the windowed value, DCMTK rounds it; on exact
 * boundaries (e.g. 12-bit value 273 in window 2048/4096 is 17.0, computed as 16.99999…) they differ by one.
 */
const WINDOW_ROUNDING = 1;
/** YBR_FULL → RGB with different rounding of the conversion matrix. */
const YBR_TOLERANCE = 2;
/** Lossy JPEG: two independent decoders and YCbCr → RGB conversions (8-bit samples). */
const JPEG_TOLERANCE = 2;

interface Pixels {
  data: Buffer;
  width: number;
  height: number;
}

async function pixelsOf(image: Buffer): Promise<Pixels> {
  const { data, info } = await sharp(image).raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}

function maxDifference(a: Pixels, b: Pixels): number {
  expect([a.width, a.height, a.data.length]).toEqual([b.width, b.height, b.data.length]);
  let max = 0;
  for (let i = 0; i < a.data.length; i++) {
    const d = Math.abs(a.data[i]! - b.data[i]!);
    if (d > max && process.env.RENDER_DEBUG) console.log('at', i, 'ours', a.data[i], 'theirs', b.data[i]);
    max = Math.max(max, d);
  }
  return max;
}

describe.skipIf(!haveDcmtk)('WADO-RS rendered resources compared with DCMTK dcm2pnm', () => {
  let server: TestServer;
  let dir: string;
  const files = new Map<string, string>();
  const sop = new Map<string, { series: string; sop: string }>();

  const url = (name: string, tail: string) => {
    const s = sop.get(name)!;
    return `${server.dicomweb}/studies/${RENDER_STUDY}/series/${s.series}/instances/${s.sop}${tail}`;
  };
  const ours = async (name: string, tail = '/rendered', accept = 'image/png') => {
    const res = await fetch(url(name, tail), { headers: { accept } });
    expect(res.status, await res.clone().text()).toBe(200);
    return Buffer.from(await res.arrayBuffer());
  };
  const theirs = (name: string, options: string[] = []) =>
    dcm2png(
      files.get(name)!,
      options,
      join(dir, `${name}-${options.join('')}.png`),
      name.includes('jpeg-ls') ? 'dcml2pnm' : 'dcmj2pnm',
    );
  const compare = async (name: string, query: string, options: string[]) =>
    maxDifference(await pixelsOf(await ours(name, `/rendered${query}`)), await pixelsOf(theirs(name, options)));

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ib-render-'));
    const add = (name: string, path: string) => files.set(name, path);
    add('ct16', writeImage(dir, ctSpec()));
    const ct12 = writeImage(dir, ct12Spec());
    add('ct12', ct12);
    // Compressed copies keep the SOP Instance UID: each starts from its own native instance.
    const copy = (name: string, series: number) => writeImage(dir, ct12Spec(`${name}-native`, series));
    add('ct12-jpeg-lossless', dcmtk('dcmcjpeg', ['+e1', copy('ct12-jpll', 10)], join(dir, 'ct12-jpll.dcm')));
    add('ct12-jpeg-ls', dcmtk('dcmcjpls', [copy('ct12-jls', 11)], join(dir, 'ct12-jls.dcm')));
    add('ct12-rle', dcmtk('dcmcrle', [copy('ct12-rle', 12)], join(dir, 'ct12-rle.dcm')));
    add('ct12-j2k', await writeJpeg2000(dir, ct12Spec('ct12-j2k', 14)));
    const g = { rows: 40, columns: 56, bitsAllocated: 8 as const };
    add(
      'mono1',
      writeImage(dir, { name: 'mono1', series: 3, ...g, photometric: 'MONOCHROME1', pixels: gradient8(40, 56) }),
    );
    add(
      'palette',
      writeImage(dir, {
        name: 'palette',
        series: 4,
        ...g,
        photometric: 'PALETTE COLOR',
        pixels: gradient8(40, 56),
        extra: paletteExtra(),
      }),
    );
    const rgb = gradient8(40, 56, 1, 3);
    const rgbPlanar = writeImage(dir, {
      name: 'rgb-planar',
      series: 5,
      ...g,
      samples: 3,
      planar: 1,
      photometric: 'RGB',
      pixels: toPlanar(rgb),
    });
    add('rgb-planar', rgbPlanar);
    const rgbCopy = writeImage(dir, {
      name: 'rgb-rle-native',
      series: 13,
      ...g,
      samples: 3,
      photometric: 'RGB',
      pixels: rgb,
    });
    add('rgb-rle', dcmtk('dcmcrle', [rgbCopy], join(dir, 'rgb-rle.dcm')));
    add(
      'ybr-full',
      writeImage(dir, { name: 'ybr-full', series: 6, ...g, samples: 3, photometric: 'YBR_FULL', pixels: rgb }),
    );
    const jpegSource = join(dir, 'source.jpg');
    await sharp(rgb, { raw: { width: 56, height: 40, channels: 3 } })
      .jpeg({ quality: 90 })
      .toFile(jpegSource);
    add('jpeg-baseline', dcmtk('img2dcm', ['--series-from', rgbPlanar, jpegSource], join(dir, 'jpeg.dcm')));
    add(
      'multiframe',
      writeImage(dir, {
        name: 'multiframe',
        series: 7,
        ...g,
        frames: 3,
        photometric: 'MONOCHROME2',
        pixels: gradient8(40, 56, 3),
      }),
    );
    add('mpeg2', writeUndecodable(dir));
    add('voi-lut', writeImage(dir, lutSpec('voi-lut', 15, VOI_LUT_SEQUENCE)));
    add('modality-lut', writeImage(dir, lutSpec('modality-lut', 16, MODALITY_LUT_SEQUENCE)));
    server = await startTestServer();
    const upload = multipartBody([...files.values()].map((f) => readFileSync(f)));
    const res = await fetch(`${server.dicomweb}/studies`, {
      method: 'POST',
      body: upload.body,
      headers: { 'content-type': upload.contentType },
    });
    expect(res.status).toBe(200);
    for (const [name, path] of files) {
      const parsed = parseInstance(bufferSource(readFileSync(path)));
      sop.set(name, { series: parsed.seriesInstanceUid, sop: parsed.sopInstanceUid });
    }
  }, 120_000);
  afterAll(async () => {
    await server?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('renders 16-bit signed CT data with rescale exactly as dcm2pnm does, with a given window and with the file’s own', async () => {
    expect(await compare('ct16', '?window=40,400', ['+Ww', '40', '400'])).toBe(0);
    expect(await compare('ct16', '?window=-600,1500,linear', ['+Ww', '-600', '1500'])).toBe(0);
    expect(await compare('ct16', '', ['+Wi', '1'])).toBe(0);
  });

  it('applies a VOI LUT Sequence (no window asked for) as dcm2pnm +Wl 1 does, and a window asked for instead of it', async () => {
    expect(await compare('voi-lut', '', ['+Wl', '1'])).toBeLessThanOrEqual(WINDOW_ROUNDING);
    expect(await compare('voi-lut', '?window=2048,4096', ['+Ww', '2048', '4096'])).toBeLessThanOrEqual(WINDOW_ROUNDING);
    // Not the linear rendering: the LUT's curve is what shows.
    const curved = await pixelsOf(await ours('voi-lut', '/rendered'));
    const linear = await pixelsOf(await ours('voi-lut', '/rendered?window=2048,4096'));
    expect(maxDifference(curved, linear)).toBeGreaterThan(30);
  });

  it('applies a Modality LUT Sequence before the file’s window as dcm2pnm does', async () => {
    expect(await compare('modality-lut', '', ['+Wi', '1'])).toBeLessThanOrEqual(WINDOW_ROUNDING);
    expect(await compare('modality-lut', '?window=30000,50000', ['+Ww', '30000', '50000'])).toBeLessThanOrEqual(
      WINDOW_ROUNDING,
    );
  });

  it('applies the sigmoid VOI LUT function as dcm2pnm does', async () => {
    expect(await compare('ct16', '?window=40,400,sigmoid', ['+Ww', '40', '400', '+Wfs'])).toBeLessThanOrEqual(
      WINDOW_ROUNDING,
    );
  });

  it('decodes JPEG lossless (process 14 SV1), JPEG-LS and RLE to the same pixels as the native original and as DCMTK', async () => {
    const native = await pixelsOf(await ours('ct12', '/rendered?window=2048,4096'));
    for (const name of ['ct12-jpeg-lossless', 'ct12-jpeg-ls', 'ct12-rle']) {
      expect(await compare(name, '?window=2048,4096', ['+Ww', '2048', '4096']), name).toBeLessThanOrEqual(
        WINDOW_ROUNDING,
      );
      expect(maxDifference(await pixelsOf(await ours(name, '/rendered?window=2048,4096')), native), name).toBe(0);
    }
  });

  it('decodes JPEG 2000 (lossless) to the same pixels as the native original', async () => {
    const native = await pixelsOf(await ours('ct12', '/rendered?window=2048,4096'));
    expect(maxDifference(await pixelsOf(await ours('ct12-j2k', '/rendered?window=2048,4096')), native)).toBe(0);
  });

  it('inverts MONOCHROME1 and maps PALETTE COLOR through its lookup tables', async () => {
    expect(await compare('mono1', '?window=128,256', ['+Ww', '128', '256'])).toBeLessThanOrEqual(WINDOW_ROUNDING);
    expect(await compare('palette', '', [])).toBe(0);
  });

  it('renders RGB with planar configuration 1, RLE colour and YBR_FULL like dcm2pnm', async () => {
    expect(await compare('rgb-planar', '', [])).toBe(0);
    expect(await compare('rgb-rle', '', [])).toBe(0);
    expect(await compare('ybr-full', '', [])).toBeLessThanOrEqual(YBR_TOLERANCE);
  });

  it(`decodes JPEG baseline (YBR_FULL_422) within ${JPEG_TOLERANCE} levels of dcm2pnm`, async () => {
    expect(await compare('jpeg-baseline', '', [])).toBeLessThanOrEqual(JPEG_TOLERANCE);
  });

  it('renders one frame of a multi-frame instance like dcm2pnm +F, and every frame as multipart/related', async () => {
    const frame2 = await pixelsOf(await ours('multiframe', '/frames/2/rendered'));
    const dcmtkFrame2 = await pixelsOf(theirs('multiframe', ['+F', '2', '+Ww', '128', '256']));
    const windowed = await pixelsOf(await ours('multiframe', '/frames/2/rendered?window=128,256'));
    expect(maxDifference(windowed, dcmtkFrame2)).toBeLessThanOrEqual(WINDOW_ROUNDING);
    const res = await fetch(url('multiframe', '/rendered'), { headers: { accept: 'image/png' } });
    expect(res.headers.get('content-type')).toMatch(/^multipart\/related; type="?image\/png"?; boundary=/);
    const parts = splitMultipart(Buffer.from(await res.arrayBuffer()), res.headers.get('content-type')!);
    expect(parts).toHaveLength(3);
    expect(maxDifference(await pixelsOf(parts[1]!.data), frame2)).toBe(0);
  });

  it('answers 406 with an OperationOutcome for a transfer syntax it cannot decode, and leaves it out of the study', async () => {
    const res = await fetch(url('mpeg2', '/rendered'));
    expect(res.status).toBe(406);
    const outcome = (await res.json()) as { resourceType: string; issue: { diagnostics: string }[] };
    expect(outcome.resourceType).toBe('OperationOutcome');
    expect(outcome.issue[0]!.diagnostics).toContain('1.2.840.10008.1.2.4.100');
    const series = await fetch(
      `${server.dicomweb}/studies/${RENDER_STUDY}/series/${sop.get('mpeg2')!.series}/rendered`,
    );
    expect(series.status).toBe(406);
  });

  it('refuses media types it cannot produce, and scales and flips into the viewport', async () => {
    expect((await fetch(url('ct16', '/rendered'), { headers: { accept: 'image/webp' } })).status).toBe(406);
    expect((await fetch(url('ct16', '/rendered?window=40'))).status).toBe(400);
    const small = await pixelsOf(await ours('rgb-planar', '/rendered?viewport=28,28'));
    expect([small.width, small.height]).toEqual([28, 20]);
    const flipped = await pixelsOf(await ours('rgb-planar', '/rendered?viewport=56,40,0,0,-56,40'));
    const straight = await pixelsOf(await ours('rgb-planar', '/rendered'));
    expect(flipped.data.subarray(0, 3)).toEqual(straight.data.subarray(55 * 3, 56 * 3));
    const gif = await fetch(url('palette', '/rendered'), { headers: { accept: 'image/gif' } });
    expect(gif.headers.get('content-type')).toBe('image/gif');
  });

  it('serves a small cached thumbnail of a study, a series and a frame, with an ETag', async () => {
    const study = await fetch(`${server.dicomweb}/studies/${RENDER_STUDY}/thumbnail`);
    expect(study.status).toBe(200);
    expect(study.headers.get('content-type')).toBe('image/jpeg');
    const image = await pixelsOf(Buffer.from(await study.arrayBuffer()));
    expect(Math.max(image.width, image.height)).toBeLessThanOrEqual(128);
    expect(new Set(image.data).size).toBeGreaterThan(10); // decoded, not blank
    const again = await fetch(`${server.dicomweb}/studies/${RENDER_STUDY}/thumbnail`, {
      headers: { 'if-none-match': study.headers.get('etag')! },
    });
    expect(again.status).toBe(304);
    const palette = sop.get('palette')!.series;
    expect((await fetch(`${server.dicomweb}/studies/${RENDER_STUDY}/series/${palette}/thumbnail`)).status).toBe(200);
    const frame = await fetch(url('multiframe', '/frames/3/thumbnail?viewport=32,32'), {
      headers: { accept: 'image/png' },
    });
    const small = await pixelsOf(Buffer.from(await frame.arrayBuffer()));
    expect([small.width, small.height]).toEqual([32, 23]);
  });

  it('renders a whole study as multipart/related, one part per frame, leaving out what it cannot decode', async () => {
    const res = await fetch(`${server.dicomweb}/studies/${RENDER_STUDY}/rendered?viewport=16,16`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^multipart\/related; type="?image\/jpeg"?; boundary=/);
    expect(res.headers.get('warning')).toMatch(/1 image\(s\) left out.*1\.2\.840\.10008\.1\.2\.4\.100/);
    const parts = splitMultipart(Buffer.from(await res.arrayBuffer()), res.headers.get('content-type')!);
    // Every stored image has one frame except the 3-frame one; the MPEG-2 instance is left out.
    expect(parts).toHaveLength(files.size - 1 + 2);
  });

  it('stops serving the thumbnail of an instance once it is deleted', async () => {
    expect((await fetch(url('rgb-rle', '/thumbnail'))).status).toBe(200);
    expect((await fetch(url('rgb-rle', ''), { method: 'DELETE' })).status).toBe(200);
    expect((await fetch(url('rgb-rle', '/thumbnail'))).status).toBe(404);
  });
});

/** An encapsulated MPEG-2 "video": stored like any instance, but no decoder here reads it. */
function writeUndecodable(dir: string): string {
  const path = join(dir, 'mpeg2.dcm');
  const json = {
    '00080016': { vr: 'UI', Value: ['1.2.840.10008.5.1.4.1.1.77.1.4.1'] },
    '00080018': { vr: 'UI', Value: ['1.2.826.0.1.3680043.10.1456.88.99.1'] },
    '0020000D': { vr: 'UI', Value: [RENDER_STUDY] },
    '0020000E': { vr: 'UI', Value: ['1.2.826.0.1.3680043.10.1456.88.99'] },
    '00200011': { vr: 'IS', Value: [99] },
    '00280002': { vr: 'US', Value: [3] },
    '00280004': { vr: 'CS', Value: ['YBR_PARTIAL_420'] },
    '00280010': { vr: 'US', Value: [16] },
    '00280011': { vr: 'US', Value: [16] },
    '00280100': { vr: 'US', Value: [8] },
    '00280101': { vr: 'US', Value: [8] },
    '00280102': { vr: 'US', Value: [7] },
    '00280103': { vr: 'US', Value: [0] },
    '7FE00010': { vr: 'OB', BulkDataURI: `${BULK_MARKER}7FE00010` },
  };
  const frame = Buffer.from([0, 0, 1, 0xb3, 1, 2, 3, 4]);
  const bytes = encodePart10(json, {
    transferSyntaxUid: '1.2.840.10008.1.2.4.100',
    bulk: { '7FE00010': encapsulatePixelData([frame]) },
  });
  writeFileSync(path, bytes);
  return path;
}

/**
 * 12-bit unsigned gradient with a LUT Sequence of 4096 16-bit entries: a square-root curve as the
 * VOI LUT, or a non-linear modality LUT (with a window in the file that applies to its output).
 */
function lutSpec(name: string, series: number, sequence: string) {
  const rows = 48;
  const columns = 64;
  const pixels = Buffer.alloc(rows * columns * 2);
  for (let i = 0; i < rows * columns; i++) pixels.writeUInt16LE(Math.floor((i * 4095) / (rows * columns - 1)), i * 2);
  const voi = sequence === VOI_LUT_SEQUENCE;
  const table = Array.from({ length: 4096 }, (_, i) =>
    voi ? Math.round(65535 * Math.sqrt(i / 4095)) : Math.round(60000 * (i / 4095) ** 2),
  );
  return {
    name,
    series,
    rows,
    columns,
    bitsAllocated: 16 as const,
    bitsStored: 12,
    photometric: 'MONOCHROME2',
    pixels,
    extra: {
      ...(voi ? {} : { '00281050': { vr: 'DS', Value: [20000] }, '00281051': { vr: 'DS', Value: [40000] } }),
      [sequence]: {
        vr: 'SQ',
        Value: [{ '00283002': { vr: 'US', Value: [4096, 0, 16] }, '00283006': { vr: 'US', Value: table } }],
      },
    },
  };
}
