/**
 * The benchmark data sets as lazy, deterministic sequences of instances (header JSON +
 * pixel bytes on demand). Nothing here touches the disk; see generate.ts for the cache.
 */
import type { DicomJson } from '../src/dicom/types.js';
import {
  instanceJson,
  instanceUid,
  seriesSpec,
  studySpec,
  type DatasetName,
  type ImageSpec,
  type StudySpec,
} from './headers.js';
import { ctSlice, smallImage, stampedCopy } from './pixels.js';
import type { Modality } from './vocabulary.js';

export const DEFAULT_SEED = 1456;

export interface GeneratedInstance {
  studyUid: string;
  seriesUid: string;
  sopInstanceUid: string;
  json: DicomJson;
  /** Pixel data bytes (computed on each call; callers encode and drop them). */
  pixels(): Buffer;
}

export interface StudySetShape {
  studies: number;
  instancesPerStudy: number;
  patients: number;
  years: number;
}

export const SMALL10K_SHAPE: StudySetShape = { studies: 5_000, instancesPerStudy: 2, patients: 2_000, years: 15 };
export const SCALE_SHAPE: StudySetShape = { studies: 100_000, instancesPerStudy: 10, patients: 40_000, years: 15 };

const CT_SLICES = 400;
const CT_SIZE = 512;

function ctImage(slice: number, thickness: number): ImageSpec {
  const z = -50 - slice * thickness;
  return {
    rows: CT_SIZE,
    columns: CT_SIZE,
    bitsAllocated: 16,
    bitsStored: 12,
    pixelRepresentation: 0,
    windowCenter: -600,
    windowWidth: 1500,
    rescale: { intercept: -1024, slope: 1 },
    pixelSpacing: [0.703125, 0.703125],
    slice: { position: [-180, -180, z], thickness, location: z },
  };
}

/** CT400: one chest CT study, one series, 400 slices of 512×512 16-bit (~210 MB). */
export function* ct400Instances(seed = DEFAULT_SEED): Generator<GeneratedInstance> {
  yield* bigCtStudy(seed, 'CT400', CT_SLICES, (slice) => ctSlice(seed, slice, CT_SLICES, CT_SIZE));
}

/**
 * MEMORY: one CT study of `count` 512×512 16-bit instances (~512 KB each; 2,000 ≈ 1 GB),
 * cheap to produce on the fly (one phantom slice, stamped per instance).
 */
export function* memoryInstances(count: number, seed = DEFAULT_SEED): Generator<GeneratedInstance> {
  let base: Buffer | undefined;
  yield* bigCtStudy(seed, 'MEMORY', count, (slice) => {
    base ??= ctSlice(seed, 0, 2, CT_SIZE);
    return stampedCopy(base, slice + 1);
  });
}

function* bigCtStudy(
  seed: number,
  dataset: DatasetName,
  slices: number,
  pixels: (slice: number) => Buffer,
): Generator<GeneratedInstance> {
  const study = {
    ...studySpec(seed, dataset, 0, 1, { modality: 'CT' }),
    procedure: {
      description: 'CT CHEST W/O CONTRAST',
      bodyPart: 'CHEST',
      seriesDescription: 'AXIAL 1.25MM LUNG',
    },
  };
  const series = seriesSpec(dataset, 0, 2);
  for (let slice = 0; slice < slices; slice++) {
    const sop = instanceUid(dataset, 0, series.number, slice + 1);
    yield {
      studyUid: study.uid,
      seriesUid: series.uid,
      sopInstanceUid: sop,
      json: instanceJson(study, series, slice + 1, sop, ctImage(slice, 1.25)),
      pixels: () => pixels(slice),
    };
  }
}

function smallImageSpec(modality: Modality): ImageSpec {
  const eightBit = modality === 'US';
  const spec: ImageSpec = {
    rows: 64,
    columns: 64,
    bitsAllocated: eightBit ? 8 : 16,
    bitsStored: eightBit ? 8 : 12,
    pixelRepresentation: 0,
    windowCenter: eightBit ? 128 : 2048,
    windowWidth: eightBit ? 256 : 4096,
    pixelSpacing: modality === 'CT' || modality === 'MR' ? [3.5, 3.5] : [0.8, 0.8],
  };
  if (modality === 'CT') spec.rescale = { intercept: -1024, slope: 1 };
  return spec;
}

/** The study specs of a study set (SMALL10K, SCALE): cheap, used for queries too. */
export function studySetStudy(seed: number, dataset: DatasetName, shape: StudySetShape, index: number): StudySpec {
  return studySpec(seed, dataset, index, shape.patients, { years: shape.years });
}

function* studySetInstances(
  seed: number,
  dataset: DatasetName,
  shape: StudySetShape,
  withPixels: boolean,
): Generator<GeneratedInstance> {
  for (let s = 0; s < shape.studies; s++) {
    const study = studySetStudy(seed, dataset, shape, s);
    const series = seriesSpec(dataset, s, 1);
    for (let i = 1; i <= shape.instancesPerStudy; i++) {
      const image = smallImageSpec(study.modality);
      const sop = instanceUid(dataset, s, series.number, i);
      const json = instanceJson(study, series, i, sop, image);
      const pixels = withPixels
        ? () => smallImage(seed, sop, image.rows, image.columns, image.bitsAllocated)
        : () => Buffer.alloc(image.rows * image.columns * (image.bitsAllocated / 8));
      yield { studyUid: study.uid, seriesUid: series.uid, sopInstanceUid: sop, json, pixels };
    }
  }
}

/** SMALL10K: 5,000 studies × 2 instances of 64×64 over 2,000 patients, CT/MR/CR/US/DX, 2010–2024. */
export function smallInstances(
  seed = DEFAULT_SEED,
  shape: StudySetShape = SMALL10K_SHAPE,
): Generator<GeneratedInstance> {
  return studySetInstances(seed, 'SMALL10K', shape, true);
}

/**
 * SCALE: header JSON only (100k studies / 1M instances by default), for index-only loading.
 * The pixel data attribute stays in the JSON as a BulkDataURI; `pixels()` gives zeros.
 */
export function* scaleHeaders(seed = DEFAULT_SEED, shape: StudySetShape = SCALE_SHAPE): Generator<GeneratedInstance> {
  yield* studySetInstances(seed, 'SCALE', shape, false);
}
