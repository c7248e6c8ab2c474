import { describe, expect, it } from 'vitest';
import { ANONYMOUS, type Principal } from '../../auth/principal.js';
import { smartDecisions } from '../../fhir/access/scope-access.js';
import { restrictToStudies } from '../dicomweb-routes.js';
import { authorize } from './access-control.js';

const p = (scope: string, extra: Partial<Principal> = {}): Principal => ({
  kind: 'client',
  clientId: 'c',
  scope,
  roles: [],
  ...extra,
});

describe('route authorization', () => {
  it('checks roles, resource scopes and DICOMweb needs', () => {
    expect(
      authorize({ kind: 'roles', roles: ['data-steward', 'administrator'] }, p('system/*.cruds'), smartDecisions),
    ).toMatch(/role data-steward or administrator/);
    expect(
      authorize({ kind: 'roles', roles: ['data-steward'] }, p('', { roles: ['data-steward'] }), smartDecisions),
    ).toBeUndefined();
    expect(
      authorize(
        { kind: 'resources', types: ['DiagnosticReport', 'Observation'], interactions: 'c' },
        p('system/DiagnosticReport.c'),
        smartDecisions,
      ),
    ).toMatch(/Observation\.c/);
    expect(
      authorize(
        { kind: 'resources', types: ['DiagnosticReport', 'Observation'], interactions: 'c' },
        p('system/DiagnosticReport.c system/Observation.cu'),
        smartDecisions,
      ),
    ).toBeUndefined();
    expect(authorize({ kind: 'dicomweb', need: 'read' }, p('system/ImagingStudy.r'), smartDecisions)).toBeDefined(); // QIDO needs s too
    expect(authorize({ kind: 'dicomweb', need: 'read' }, p('system/ImagingStudy.rs'), smartDecisions)).toBeUndefined();
    expect(
      authorize({ kind: 'dicomweb', need: 'read' }, p('system/ImagingStudy.read'), smartDecisions),
    ).toBeUndefined(); // v1
    expect(authorize({ kind: 'dicomweb', need: 'create' }, p('system/ImagingStudy.rs'), smartDecisions)).toBeDefined();
    expect(
      authorize({ kind: 'dicomweb', need: 'delete' }, p('system/ImagingStudy.cruds'), smartDecisions),
    ).toBeDefined(); // administrators only
    for (const rule of [
      { kind: 'dicomweb', need: 'delete' },
      { kind: 'roles', roles: ['administrator'] },
    ] as const)
      expect(authorize(rule, ANONYMOUS, smartDecisions)).toBeUndefined();
  });

  it('restricts a patient-bound token to its patient on DICOMweb', () => {
    const req = {} as { patientRestriction?: string };
    expect(
      authorize(
        { kind: 'dicomweb', need: 'read' },
        p('patient/ImagingStudy.rs', { patient: 'p-1' }),
        smartDecisions,
        req as never,
      ),
    ).toBeUndefined();
    expect(req.patientRestriction).toBe('p-1');
  });
});

describe('narrowing a QIDO query to visible studies', () => {
  const visible = new Set(['1.1', '1.2']);
  it('adds the visible studies, intersects a client list in either spelling, and says when nothing can match', () => {
    const q = new URLSearchParams('Modality=CT');
    expect(restrictToStudies(q, undefined, visible)).toBe(true);
    expect(q.get('StudyInstanceUID')).toBe('1.1,1.2');
    const asked = new URLSearchParams('0020000D=1.2,9.9');
    expect(restrictToStudies(asked, undefined, visible)).toBe(true);
    expect([...asked.entries()]).toEqual([['StudyInstanceUID', '1.2']]);
    expect(restrictToStudies(new URLSearchParams('StudyInstanceUID=9.9'), undefined, visible)).toBe(false);
    expect(restrictToStudies(new URLSearchParams(), '9.9', visible)).toBe(false);
    expect(restrictToStudies(new URLSearchParams(), '1.1', visible)).toBe(true);
    expect(restrictToStudies(new URLSearchParams(), undefined, new Set())).toBe(false);
  });
});
