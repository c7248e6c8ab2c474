import { describe, expect, it } from 'vitest';
import { TEST_BASE, testRegistry } from '../repository/test-support.js';
import type { FhirResource } from '../types.js';
import { dicomwebAccess, permitsAll, policyFor, resourceAllowed, typeAccess } from './scope-access.js';
import { ANONYMOUS, type Principal, type Role } from '../../auth/principal.js';

const who = (scope: string, o: { patient?: string; roles?: Role[] } = {}): Principal => ({
  kind: 'client',
  clientId: 'c1',
  scope,
  roles: o.roles ?? [],
  patient: o.patient,
});
const LAB_SYSTEM = 'http://terminology.hl7.org/CodeSystem/observation-category';
const obs = (patient: string, category: string, extra: Record<string, unknown> = {}): FhirResource => ({
  resourceType: 'Observation',
  id: `o-${patient}-${category}`,
  status: 'final',
  category: [{ coding: [{ system: LAB_SYSTEM, code: category }] }],
  code: { text: 'x' },
  subject: { reference: `Patient/${patient}` },
  ...extra,
});
const options = { registry: testRegistry(), baseUrl: TEST_BASE };

describe('AccessPolicy from a principal', () => {
  it("lets a patient-bound token see only its patient's compartment", () => {
    const policy = policyFor(who('patient/*.read', { patient: 'p1' }), options);
    expect(policy.canRead('Observation')).toBe(true);
    expect(policy.canWrite('Observation')).toBe(false);
    expect(policy.canSeePatient('p1')).toBe(true);
    expect(policy.canSeePatient('p2')).toBe(false);
    expect(policy.canSee(obs('p1', 'laboratory'))).toBe(true);
    expect(policy.canSee(obs('p2', 'laboratory'))).toBe(false);
    expect(policy.canSee({ resourceType: 'Patient', id: 'p1' })).toBe(true);
    expect(policy.canSee({ resourceType: 'Patient', id: 'p2' })).toBe(false);
    // An absolute reference to our own server counts too.
    expect(policy.canSee(obs('x', 'laboratory', { subject: { reference: `${TEST_BASE}/Patient/p1` } }))).toBe(true);
  });

  it('checks a v2 token suffix on each resource', () => {
    const policy = policyFor(who(`user/Observation.rs?category=${LAB_SYSTEM}|laboratory`), options);
    expect(policy.canSee(obs('p1', 'laboratory'))).toBe(true);
    expect(policy.canSee(obs('p1', 'vital-signs'))).toBe(false);
    expect(policyFor(who('user/Observation.rs?status=final'), options).canSee(obs('p1', 'x'))).toBe(true);
    expect(policyFor(who('user/Observation.rs?status=amended'), options).canSee(obs('p1', 'x'))).toBe(false);
    // A suffix only the index can judge (a date) hides the resource.
    expect(
      policyFor(who('user/Observation.rs?date=ge2020'), options).canSee(
        obs('p1', 'x', { effectiveDateTime: '2024-01-01' }),
      ),
    ).toBe(false);
    // A parameter the type does not have matches nothing.
    expect(policyFor(who('user/Observation.rs?nonsense=1'), options).canSee(obs('p1', 'x'))).toBe(false);
  });

  it('lets patient/ scopes read shared reference data outside the compartment, and nothing else there', () => {
    const p = who('patient/*.cruds', { patient: 'p1' });
    expect(typeAccess(p, 'Practitioner', 'r')).toMatchObject({ allowed: true, unrestricted: true });
    expect(typeAccess(p, 'Practitioner', 'c').allowed).toBe(false);
    expect(typeAccess(p, 'Subscription', 'r').allowed).toBe(false);
    expect(typeAccess(p, 'Observation', 'c')).toMatchObject({ allowed: true, grants: [{ patient: 'p1' }] });
  });

  it('unites grants: the compartment or the suffix', () => {
    const access = typeAccess(
      who('patient/Observation.rs user/Observation.rs?category=laboratory', { patient: 'p1' }),
      'Observation',
      'r',
    );
    expect(resourceAllowed(access, obs('p1', 'vital-signs'), testRegistry(), TEST_BASE)).toBe(true);
    expect(resourceAllowed(access, obs('p2', 'laboratory'), testRegistry(), TEST_BASE)).toBe(true);
    expect(resourceAllowed(access, obs('p2', 'vital-signs'), testRegistry(), TEST_BASE)).toBe(false);
  });

  it('keeps AuditEvent for administrators, read-only', () => {
    expect(typeAccess(who('system/*.cruds'), 'AuditEvent', 'r').allowed).toBe(false);
    expect(typeAccess(who('system/*.cruds', { roles: ['administrator'] }), 'AuditEvent', 's').allowed).toBe(true);
    expect(typeAccess(who('system/*.cruds', { roles: ['administrator'] }), 'AuditEvent', 'c').allowed).toBe(false);
    expect(typeAccess(who('system/Patient.rs', { roles: ['administrator'] }), 'AuditEvent', 'r').allowed).toBe(false);
    expect(policyFor(ANONYMOUS).canRead('AuditEvent')).toBe(true);
    expect(policyFor(ANONYMOUS).canWrite('AuditEvent')).toBe(false);
  });

  it('lets --auth none do everything else', () => {
    const policy = policyFor(ANONYMOUS, options);
    expect(policy.canRead('Observation') && policy.canWrite('DiagnosticReport') && policy.canSeePatient('any')).toBe(
      true,
    );
    expect(policy.canSee(obs('p9', 'x'))).toBe(true);
    expect(policy.principal).toBe(ANONYMOUS);
  });

  it("answers the edge's question: every listed interaction on a type", () => {
    expect(permitsAll(who('system/DiagnosticReport.c system/Observation.c'), 'Observation', 'c')).toBe(true);
    expect(permitsAll(who('system/Observation.c'), 'Observation', 'cr')).toBe(false);
  });
});

describe('DICOMweb access', () => {
  it('needs ImagingStudy.rs to query and retrieve, ImagingStudy.c to store', () => {
    expect(dicomwebAccess(who('system/ImagingStudy.rs'), 'read')).toEqual({ allowed: true });
    expect(dicomwebAccess(who('system/ImagingStudy.r'), 'read').allowed).toBe(false);
    expect(dicomwebAccess(who('system/ImagingStudy.rs'), 'create').allowed).toBe(false);
    expect(dicomwebAccess(who('system/ImagingStudy.c'), 'create')).toEqual({ allowed: true });
    expect(dicomwebAccess(who('system/*.read'), 'read')).toEqual({ allowed: true });
  });

  it('restricts a patient-bound token to its patient, and refuses one without a patient', () => {
    expect(dicomwebAccess(who('patient/ImagingStudy.rs', { patient: 'p1' }), 'read')).toEqual({
      allowed: true,
      patient: 'p1',
    });
    expect(dicomwebAccess(who('patient/ImagingStudy.rs'), 'read').allowed).toBe(false);
  });

  it('does not count scopes with a query suffix', () => {
    expect(dicomwebAccess(who('system/ImagingStudy.rs?status=available'), 'read').allowed).toBe(false);
  });

  it('lets only administrators with an unrestricted ImagingStudy.d delete', () => {
    expect(dicomwebAccess(who('system/*.cruds'), 'delete').allowed).toBe(false);
    expect(dicomwebAccess(who('system/*.cruds', { roles: ['administrator'] }), 'delete')).toEqual({ allowed: true });
    expect(dicomwebAccess(who('patient/*.cruds', { roles: ['administrator'], patient: 'p1' }), 'delete').allowed).toBe(
      false,
    );
    expect(dicomwebAccess(ANONYMOUS, 'delete')).toEqual({ allowed: true });
  });
});
