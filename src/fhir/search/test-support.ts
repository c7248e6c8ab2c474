import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FhirRepository } from '../repository/repository.js';
import { find, ids, type OpenedRepository, type SuiteOptions, skipped, statusOf } from '../repository/test-support.js';
import type { FhirResource } from '../types.js';
import type { Condition } from './search-request.js';

const LOINC = 'http://loinc.org';
const MRN = 'urn:oid:1.2.3.4';

/** Search behaviour every FhirRepository implementation must have, over a small fixed dataset. */
export function fhirSearchSuite(
  name: string,
  open: () => Promise<OpenedRepository> | OpenedRepository,
  options: SuiteOptions = {},
): void {
  describe.skipIf(options.skip !== undefined)(`FhirRepository search: ${name}${skipped(options)}`, () => {
    let opened: OpenedRepository;
    let repo: FhirRepository;
    let anna: FhirResource, bob: FhirResource, zoe: FhirResource;
    let inr: FhirResource, glucose: FhirResource, bp: FhirResource;
    const q = (type: string, query: string) => find(repo, type, query);

    beforeEach(async () => {
      opened = await open();
      repo = opened.repo;
      anna = await repo.create({
        resourceType: 'Patient',
        identifier: [{ system: MRN, value: 'MRN-1' }],
        gender: 'female',
        birthDate: '1950-03-04',
        name: [{ family: 'Åberg', given: ['Anna', 'Maria'] }],
        active: true,
      });
      bob = await repo.create({
        resourceType: 'Patient',
        identifier: [{ system: MRN, value: 'MRN-2' }],
        gender: 'male',
        birthDate: '1980',
        name: [{ family: 'Berg', given: ['Bob'] }],
      });
      zoe = await repo.create({
        resourceType: 'Patient',
        gender: 'female',
        name: [{ family: 'Zimmerberg', given: ['Zoe'] }],
      });
      const obs = (subject: FhirResource, code: string, value: number, unit: string, effective: string) =>
        repo.create({
          resourceType: 'Observation',
          status: 'final',
          code: { coding: [{ system: LOINC, code }] },
          subject: { reference: `Patient/${subject.id}` },
          effectiveDateTime: effective,
          valueQuantity: { value, unit, system: 'http://unitsofmeasure.org', code: unit },
        });
      inr = await obs(anna, '6301-6', 2.5, '{INR}', '2024-05-01T10:00:00Z');
      glucose = await obs(anna, '2345-7', 140, 'mg/dL', '2024-05-02T08:30:00+02:00');
      bp = await obs(bob, '8480-6', 185, 'mm[Hg]', '2023-12-31');
    });
    afterEach(async () => {
      await opened.close();
    });

    it('matches tokens by code, system|code, |code and system|', async () => {
      expect(ids(await q('Patient', 'gender=female'))).toEqual(ids([anna, zoe]));
      expect(ids(await q('Patient', `identifier=${MRN}|MRN-1`))).toEqual([anna.id]);
      expect(ids(await q('Patient', 'identifier=MRN-2'))).toEqual([bob.id]);
      expect(await q('Patient', 'identifier=|MRN-2')).toHaveLength(0);
      expect(ids(await q('Patient', `identifier=${MRN}|`))).toEqual(ids([anna, bob]));
      expect(ids(await q('Observation', `code=${LOINC}|6301-6,${LOINC}|8480-6`))).toEqual(ids([inr, bp]));
      expect(ids(await q('Patient', 'active=true'))).toEqual([anna.id]);
    });

    it('finds for a list of token values the union of one search per value, in every form, and :not its complement', async () => {
      const lists: [string, string, string[]][] = [
        ['Patient', 'identifier', [`${MRN}|MRN-1`, `${MRN}|MRN-2`, `${MRN}|MRN-9`]],
        ['Patient', 'identifier', ['MRN-1', 'MRN-2', 'MRN-1']],
        ['Patient', 'identifier', ['|MRN-1', `${MRN}|MRN-2`]],
        ['Patient', 'identifier', [`${MRN}|`, 'urn:other|']],
        ['Patient', 'identifier', [`${MRN}|`, 'MRN-2']],
        ['Observation', 'code', [`${LOINC}|6301-6`, '8480-6', '|2345-7']],
        ['Patient', 'gender', ['female', 'male']],
      ];
      for (const [type, param, values] of lists) {
        const union = new Set<string>();
        for (const v of values) for (const r of await q(type, `${param}=${encodeURIComponent(v)}`)) union.add(r.id!);
        const list = values.map(encodeURIComponent).join(',');
        expect(ids(await q(type, `${param}=${list}`)), `${param}=${values}`).toEqual([...union].sort());
        const others = (await q(type, '')).filter((r) => !union.has(r.id!));
        expect(ids(await q(type, `${param}:not=${list}`)), `${param}:not=${values}`).toEqual(ids(others));
      }
      // The list checked per candidate (another condition drives), and beside an access condition.
      expect(ids(await q('Patient', 'gender=female&identifier=MRN-1,MRN-2'))).toEqual([anna.id]);
      expect(ids(await q('Patient', `identifier=${MRN}|MRN-1,${MRN}|MRN-2&birthdate=1980`))).toEqual([bob.id]);
    });

    it('applies :not and :missing', async () => {
      expect(ids(await q('Patient', 'gender:not=female'))).toEqual([bob.id]);
      expect(ids(await q('Patient', 'birthdate:missing=true'))).toEqual([zoe.id]);
      expect(ids(await q('Patient', 'birthdate:missing=false'))).toEqual(ids([anna, bob]));
    });

    it('matches strings by prefix without case or accents, :exact and :contains', async () => {
      expect(ids(await q('Patient', 'family=aberg'))).toEqual([anna.id]);
      expect(ids(await q('Patient', 'name=BER'))).toEqual([bob.id]);
      expect(ids(await q('Patient', 'family:contains=berg'))).toEqual(ids([anna, bob, zoe]));
      expect(ids(await q('Patient', 'family:exact=Berg'))).toEqual([bob.id]);
      expect(await q('Patient', 'family:exact=berg')).toHaveLength(0);
      expect(ids(await q('Patient', 'given=mar'))).toEqual([anna.id]);
    });

    it('compares dates as ranges with eq ne gt lt ge le sa eb ap', async () => {
      expect(ids(await q('Patient', 'birthdate=1950'))).toEqual([anna.id]);
      expect(ids(await q('Patient', 'birthdate=1950-03-04'))).toEqual([anna.id]);
      expect(await q('Patient', 'birthdate=1950-03-05')).toHaveLength(0);
      expect(ids(await q('Patient', 'birthdate=ne1950'))).toEqual([bob.id]);
      expect(ids(await q('Patient', 'birthdate=gt1960'))).toEqual([bob.id]);
      expect(ids(await q('Patient', 'birthdate=lt1960'))).toEqual([anna.id]);
      expect(ids(await q('Patient', 'birthdate=ge1980-06'))).toEqual([bob.id]);
      expect(ids(await q('Patient', 'birthdate=le1980-06'))).toEqual(ids([anna, bob]));
      expect(ids(await q('Patient', 'birthdate=sa1950-03-04'))).toEqual([bob.id]);
      expect(ids(await q('Patient', 'birthdate=eb1980'))).toEqual([anna.id]);
      expect(ids(await q('Patient', 'birthdate=ap1950-03-10'))).toEqual([anna.id]);
      // 08:30+02:00 is 06:30Z: before 07:00Z on that day.
      expect(ids(await q('Observation', 'date=lt2024-05-02T07:00:00Z&date=ge2024-05-02'))).toEqual([glucose.id]);
      expect(ids(await q('Observation', 'date=2024-05'))).toEqual(ids([inr, glucose]));
    });

    it('matches references as Type/id, bare id, and through one chained parameter', async () => {
      expect(ids(await q('Observation', `subject=Patient/${anna.id}`))).toEqual(ids([inr, glucose]));
      expect(ids(await q('Observation', `patient=${anna.id}`))).toEqual(ids([inr, glucose]));
      expect(ids(await q('Observation', `subject:Patient=${bob.id}`))).toEqual([bp.id]);
      expect(ids(await q('Observation', `subject=http://ib.test/fhir/Patient/${bob.id}`))).toEqual([bp.id]);
      expect(ids(await q('Observation', `subject:Patient.identifier=${MRN}|MRN-1`))).toEqual(ids([inr, glucose]));
      expect(ids(await q('Observation', 'patient.family=berg&code=8480-6'))).toEqual([bp.id]);
      expect(await statusOf(q('Observation', 'subject.organization.name=x'))).toBe(400);
    });

    it('compares quantities with prefixes, system and code', async () => {
      expect(ids(await q('Observation', 'value-quantity=2.5'))).toEqual([inr.id]);
      expect(ids(await q('Observation', 'value-quantity=gt150'))).toEqual([bp.id]);
      expect(ids(await q('Observation', 'value-quantity=ge140||mg/dL'))).toEqual([glucose.id]);
      expect(ids(await q('Observation', 'value-quantity=le200|http://unitsofmeasure.org|mm[Hg]'))).toEqual([bp.id]);
      expect(ids(await q('Observation', 'value-quantity=ap180'))).toEqual([bp.id]);
    });

    it('filters on _id and _lastUpdated', async () => {
      expect(ids(await q('Patient', `_id=${anna.id},${zoe.id}`))).toEqual(ids([anna, zoe]));
      expect(ids(await q('Patient', `_lastUpdated=ge${anna.meta!.lastUpdated}`))).toEqual(ids([anna, bob, zoe]));
      expect(await q('Patient', '_lastUpdated=lt2000-01-01')).toHaveLength(0);
    });

    it('sorts ascending and descending, missing values last, and pages with _count/_offset', async () => {
      expect((await q('Patient', '_sort=birthdate')).map((p) => p.id)).toEqual([anna.id, bob.id, zoe.id]);
      expect((await q('Patient', '_sort=-birthdate')).map((p) => p.id)).toEqual([bob.id, anna.id, zoe.id]);
      expect((await q('Patient', '_sort=family')).map((p) => p.id)).toEqual([anna.id, bob.id, zoe.id]);
      expect((await q('Patient', '_sort=family&_count=1&_offset=1')).map((p) => p.id)).toEqual([bob.id]);
    });

    it('reflects updates and deletes in the index', async () => {
      await repo.update({ ...bob, gender: 'other' });
      expect(ids(await q('Patient', 'gender=male'))).toEqual([]);
      expect(ids(await q('Patient', 'gender=other'))).toEqual([bob.id]);
      await repo.delete('Patient', zoe.id!);
      expect(ids(await q('Patient', 'gender=female'))).toEqual([anna.id]);
      expect(ids(await q('Patient', ''))).toEqual(ids([anna, bob]));
    });

    it('restricts to access conditions: a patient compartment, OR of AND groups, an empty id list', async () => {
      const { parseSearch } = await import('./parse-search.js');
      const { compartmentCondition } = await import('./compartment.js');
      const { testRegistry, TEST_BASE } = await import('../repository/test-support.js');
      const registry = testRegistry();
      const restricted = async (type: string, query: string, extra: Condition) => {
        const { request } = parseSearch(registry, type, new URLSearchParams(query), {
          defaultCount: 100,
          maxCount: 100,
          baseUrl: TEST_BASE,
        });
        request.conditions.push(extra);
        return ids((await repo.search(request)).resources);
      };
      const ofAnna = compartmentCondition(registry, 'Observation', anna.id!)!;
      expect(await restricted('Observation', '', ofAnna)).toEqual(ids([inr, glucose]));
      expect(await restricted('Observation', 'code=8480-6', ofAnna)).toEqual([]);
      expect(await restricted('Patient', '', compartmentCondition(registry, 'Patient', bob.id!)!)).toEqual([bob.id]);
      const gender = registry.get('Patient', 'gender')!;
      const female: Condition = { kind: 'token', param: gender, not: false, values: [{ code: 'female' }] };
      const mixed: Condition = {
        kind: 'any',
        groups: [[{ kind: 'id', ids: [zoe.id!], not: false }, female], [{ ...female, not: true }]],
      };
      expect(await restricted('Patient', '', mixed)).toEqual(ids([bob, zoe]));
      expect(await restricted('Patient', '', { kind: 'id', ids: [], not: false })).toEqual([]);
      expect(await restricted('Patient', '', { kind: 'id', ids: [], not: true })).toEqual(ids([anna, bob, zoe]));
    });

    it('answers AuditEvent patient from the agent and entity rows: search, :missing, chain, compartment, includes', async () => {
      const event = (agents: string[], entities: string[]) =>
        repo.create({
          resourceType: 'AuditEvent',
          type: { system: 'http://dicom.nema.org/resources/ontology/DCM', code: '110110' },
          recorded: '2024-05-03T10:00:00Z',
          agent: agents.map((reference, i) => ({ requestor: i === 0, who: { reference } })),
          source: { observer: { display: 'test' } },
          entity: entities.map((reference) => ({ what: { reference } })),
        });
      const list = await event(
        ['Practitioner/p1'],
        [`Patient/${anna.id}`, `Patient/${bob.id}`, `Observation/${inr.id}`],
      );
      const self = await event([`Patient/${zoe.id}`], []);
      const remote = await event(['Device/d1'], ['https://other.example/fhir/Patient/9']);
      const none = await event(['Practitioner/p1'], [`Observation/${bp.id}`]);
      expect(ids(await q('AuditEvent', `patient=Patient/${anna.id}`))).toEqual([list.id]);
      expect(ids(await q('AuditEvent', `patient=${bob.id}`))).toEqual([list.id]);
      expect(ids(await q('AuditEvent', `patient=Patient/${zoe.id}`))).toEqual([self.id]);
      expect(ids(await q('AuditEvent', 'patient=https://other.example/fhir/Patient/9'))).toEqual([remote.id]);
      expect(ids(await q('AuditEvent', `patient=${inr.id}`))).toEqual([]);
      expect(ids(await q('AuditEvent', `entity=Observation/${inr.id}`))).toEqual([list.id]);
      expect(ids(await q('AuditEvent', `entity=Patient/${anna.id}`))).toEqual([list.id]);
      expect(ids(await q('AuditEvent', `agent=Patient/${zoe.id}`))).toEqual([self.id]);
      expect(ids(await q('AuditEvent', 'patient:missing=true'))).toEqual([none.id]);
      expect(ids(await q('AuditEvent', 'patient:missing=false'))).toEqual(ids([list, self, remote]));
      expect(ids(await q('AuditEvent', 'patient.family=zimmer'))).toEqual([self.id]);
      expect(ids(await q('AuditEvent', `patient=Patient/${anna.id},Patient/${zoe.id}&date=2024-05-03`))).toEqual(
        ids([list, self]),
      );
      const { parseSearch } = await import('./parse-search.js');
      const { compartmentCondition } = await import('./compartment.js');
      const { testRegistry, TEST_BASE } = await import('../repository/test-support.js');
      const run = (type: string, query: string, extra?: Condition) => {
        const { request } = parseSearch(testRegistry(), type, new URLSearchParams(query), {
          defaultCount: 100,
          maxCount: 100,
          baseUrl: TEST_BASE,
        });
        if (extra) request.conditions.push(extra);
        return repo.search(request);
      };
      const ofZoe = compartmentCondition(testRegistry(), 'AuditEvent', zoe.id!)!;
      expect(ids((await run('AuditEvent', '', ofZoe)).resources)).toEqual([self.id]);
      const included = await run('AuditEvent', `_id=${list.id}&_include=AuditEvent:patient`);
      expect(ids(included.included)).toEqual(ids([anna, bob]));
      const rev = await run('Patient', `_id=${anna.id},${zoe.id}&_revinclude=AuditEvent:patient`);
      expect(ids(rev.included)).toEqual(ids([list, self]));
    });

    it('counts the total and adds _include and _revinclude resources', async () => {
      const { parseSearch } = await import('./parse-search.js');
      const { testRegistry, TEST_BASE } = await import('../repository/test-support.js');
      const run = (type: string, query: string) =>
        repo.search(
          parseSearch(testRegistry(), type, new URLSearchParams(query), {
            defaultCount: 1,
            maxCount: 10,
            baseUrl: TEST_BASE,
          }).request,
        );
      const page = await run('Observation', `code=6301-6,2345-7&_include=Observation:subject&_sort=date`);
      expect(page.total).toBe(2);
      expect(page.resources.map((r) => r.id)).toEqual([inr.id]);
      expect(page.included.map((r) => r.id)).toEqual([anna.id]);
      const rev = await run('Patient', `_id=${anna.id}&_revinclude=Observation:subject`);
      expect(ids(rev.included)).toEqual(ids([inr, glucose]));
      expect((await run('Patient', '_summary=count')).total).toBe(3);
      // A page past the end still answers the total; _total=none answers none.
      const past = await run('Observation', `code=6301-6,2345-7&_offset=5`);
      expect(past.resources).toEqual([]);
      expect(past.total).toBe(2);
      const second = await run('Observation', `code=6301-6,2345-7&_sort=date&_offset=1`);
      expect(second.resources.map((r) => r.id)).toEqual([glucose.id]);
      expect(second.total).toBe(2);
      const none = await run('Observation', `code=6301-6,2345-7&_total=none`);
      expect(none.total).toBeUndefined();
      expect(none.resources).toHaveLength(1);
    });
  });
}
