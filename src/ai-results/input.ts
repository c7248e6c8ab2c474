/**
 * The body of POST /api/ai-results, validated: every problem is reported at once (one
 * OperationOutcome issue each, with its path), and nothing is written unless all is well.
 */
import { invalid } from '../core/errors.js';
import type { OperationOutcomeIssue } from '../fhir/types.js';

export interface CodeInput {
  system?: string;
  code?: string;
  display?: string;
  text?: string;
}

export interface FindingInput {
  /** Text, or a coded concept. */
  code: CodeInput | string;
  bodySite?: CodeInput | string;
  laterality?: 'left' | 'right' | 'bilateral';
  /** 0..1 */
  confidence?: number;
  measurement?: { value: number; unit: string };
  /** Names the lesion across studies: a BodyStructure per patient and tracking id / UID. */
  trackingId?: string;
  /** DICOM Tracking Unique Identifier (112040); preferred over trackingId to find the BodyStructure. */
  trackingUid?: string;
  seriesUid?: string;
  instanceUids?: string[];
}

export interface AiResultInput {
  studyInstanceUid: string;
  model: { name: string; version: string; manufacturer?: string; [key: string]: unknown };
  findings: FindingInput[];
  conclusion?: string;
}

const UID = /^[0-2](\.(0|[1-9]\d*))+$/;
const LATERALITY = ['left', 'right', 'bilateral'];
const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const nonEmpty = (v: unknown): v is string => typeof v === 'string' && v.trim() !== '' && v.length <= 1024;
export const MAX_FINDINGS = 500;

export function parseAiResult(body: unknown): AiResultInput {
  const issues: OperationOutcomeIssue[] = [];
  const fail = (path: string, text: string) =>
    issues.push({ severity: 'error', code: 'invalid', diagnostics: `${path}: ${text}`, expression: [path] });
  if (!isObj(body))
    throw invalid([
      {
        severity: 'error',
        code: 'invalid',
        diagnostics: 'the body must be a JSON object with studyInstanceUid, model and findings',
      },
    ]);
  for (const key of Object.keys(body))
    if (!['studyInstanceUid', 'model', 'findings', 'conclusion'].includes(key))
      fail(key, 'unknown field (known: studyInstanceUid, model, findings, conclusion)');
  if (
    typeof body.studyInstanceUid !== 'string' ||
    !UID.test(body.studyInstanceUid) ||
    body.studyInstanceUid.length > 64
  )
    fail('studyInstanceUid', 'must be a DICOM UID (digits and dots, at most 64 characters)');
  const model = body.model;
  if (!isObj(model)) fail('model', 'must be an object with name and version');
  else {
    if (!nonEmpty(model.name)) fail('model.name', 'is required (a non-empty string)');
    if (!nonEmpty(model.version)) fail('model.version', 'is required (a non-empty string)');
    for (const [k, v] of Object.entries(model))
      if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean')
        fail(`model.${k}`, 'must be a string, number or boolean');
  }
  if (body.conclusion !== undefined && !nonEmpty(body.conclusion))
    fail('conclusion', 'must be a non-empty string when given');
  if (!Array.isArray(body.findings) || body.findings.length === 0) fail('findings', 'must be a non-empty list');
  else if (body.findings.length > MAX_FINDINGS) fail('findings', `at most ${MAX_FINDINGS} per request`);
  else body.findings.forEach((f, i) => checkFinding(f, `findings[${i}]`, fail));
  if (issues.length) throw invalid(issues);
  return body as unknown as AiResultInput;
}

function checkCode(v: unknown, path: string, fail: (p: string, t: string) => void): void {
  if (typeof v === 'string') {
    if (!nonEmpty(v)) fail(path, 'must not be empty');
    return;
  }
  if (!isObj(v)) return void fail(path, 'must be a string (text) or {system, code, display}');
  const has = nonEmpty(v.code) || nonEmpty(v.text) || nonEmpty(v.display);
  if (!has) fail(path, 'needs a code (with its system), a display or a text');
  if (v.code !== undefined && !nonEmpty(v.system)) fail(`${path}.system`, 'is required with a code');
  for (const k of Object.keys(v))
    if (!['system', 'code', 'display', 'text'].includes(k))
      fail(`${path}.${k}`, 'unknown field (known: system, code, display, text)');
}

function checkFinding(f: unknown, path: string, fail: (p: string, t: string) => void): void {
  if (!isObj(f)) return void fail(path, 'must be an object');
  const known = [
    'code',
    'bodySite',
    'laterality',
    'confidence',
    'measurement',
    'trackingId',
    'trackingUid',
    'seriesUid',
    'instanceUids',
  ];
  for (const k of Object.keys(f))
    if (!known.includes(k)) fail(`${path}.${k}`, `unknown field (known: ${known.join(', ')})`);
  if (f.code === undefined) fail(`${path}.code`, 'is required');
  else checkCode(f.code, `${path}.code`, fail);
  if (f.bodySite !== undefined) checkCode(f.bodySite, `${path}.bodySite`, fail);
  if (f.laterality !== undefined && !LATERALITY.includes(f.laterality as string))
    fail(`${path}.laterality`, `must be one of ${LATERALITY.join(', ')}`);
  if (f.confidence !== undefined && !(typeof f.confidence === 'number' && f.confidence >= 0 && f.confidence <= 1))
    fail(`${path}.confidence`, 'must be a number from 0 to 1');
  if (f.measurement !== undefined) {
    const m = f.measurement;
    if (!isObj(m) || typeof m.value !== 'number' || !Number.isFinite(m.value) || !nonEmpty(m.unit))
      fail(`${path}.measurement`, 'must be {value: number, unit: UCUM string}');
  }
  if (f.trackingId !== undefined && !nonEmpty(f.trackingId)) fail(`${path}.trackingId`, 'must be a non-empty string');
  if (
    f.trackingUid !== undefined &&
    !(typeof f.trackingUid === 'string' && UID.test(f.trackingUid) && f.trackingUid.length <= 64)
  )
    fail(`${path}.trackingUid`, 'must be a DICOM UID');
  if (f.seriesUid !== undefined && !(typeof f.seriesUid === 'string' && UID.test(f.seriesUid)))
    fail(`${path}.seriesUid`, 'must be a DICOM UID');
  if (
    f.instanceUids !== undefined &&
    !(Array.isArray(f.instanceUids) && f.instanceUids.every((u) => typeof u === 'string' && UID.test(u)))
  )
    fail(`${path}.instanceUids`, 'must be a list of DICOM UIDs');
  if (f.instanceUids !== undefined && f.seriesUid === undefined)
    fail(`${path}.seriesUid`, 'is required with instanceUids');
}
