/** The `stroke` section of the config file (docs/stroke.md). */
import { ConfigError } from '../../core/errors.js';
import {
  type CodeRef,
  DEFAULT_HEAD_STUDY_RULE,
  DEFAULT_LAST_KNOWN_WELL,
  GUIDELINES,
  type Guideline,
} from '../../clinical/stroke/index.js';

export interface StrokeConfig {
  /** Observation codes (`system|code`) whose value is the last-known-well time. */
  lastKnownWell: CodeRef[];
  guideline: Guideline;
  /** Run the check when a head CT/MR ImagingStudy is written and when an AI result for it arrives. */
  automatic: boolean;
  /** Modalities of a head study. */
  modalities: string[];
  /** Case-insensitive regular expression over body part, procedure code/text and description. */
  headPattern: string;
}

export const STROKE_DEFAULTS: StrokeConfig = {
  lastKnownWell: DEFAULT_LAST_KNOWN_WELL,
  guideline: 'aha-2026',
  automatic: true,
  ...DEFAULT_HEAD_STUDY_RULE,
};

const KNOWN = ['lastKnownWell', 'guideline', 'automatic', 'modalities', 'headPattern'];

export function parseStrokeConfig(section: unknown): StrokeConfig {
  if (section === undefined) return STROKE_DEFAULTS;
  if (!section || typeof section !== 'object' || Array.isArray(section))
    throw new ConfigError('config "stroke" must be an object');
  const out = { ...STROKE_DEFAULTS };
  for (const [key, value] of Object.entries(section)) {
    if (key === 'lastKnownWell') {
      const list = Array.isArray(value) ? value : [value];
      out.lastKnownWell = list.map((v) => {
        const bar = typeof v === 'string' ? v.indexOf('|') : -1;
        if (bar <= 0 || bar === (v as string).length - 1)
          throw new ConfigError('config "stroke.lastKnownWell" must be "system|code" or a list of them');
        return { system: (v as string).slice(0, bar), code: (v as string).slice(bar + 1) };
      });
    } else if (key === 'guideline') {
      if (!GUIDELINES.includes(value as Guideline))
        throw new ConfigError(`config "stroke.guideline" must be one of ${GUIDELINES.join(', ')}`);
      out.guideline = value as Guideline;
    } else if (key === 'automatic') {
      if (typeof value !== 'boolean') throw new ConfigError('config "stroke.automatic" must be true or false');
      out.automatic = value;
    } else if (key === 'modalities') {
      if (!Array.isArray(value) || !value.every((m) => typeof m === 'string' && /^[A-Z]{2,16}$/.test(m)))
        throw new ConfigError('config "stroke.modalities" must be a list of DICOM modality codes (e.g. ["CT", "MR"])');
      out.modalities = value;
    } else if (key === 'headPattern') {
      try {
        new RegExp(value as string, 'i');
      } catch {
        throw new ConfigError('config "stroke.headPattern" must be a regular expression');
      }
      if (typeof value !== 'string') throw new ConfigError('config "stroke.headPattern" must be a string');
      out.headPattern = value;
    } else {
      throw new ConfigError(`config "stroke.${key}" is not known (known: ${KNOWN.join(', ')})`);
    }
  }
  return out;
}
