import { describe, expect, it } from 'vitest';
import { GOLDEN_FIXTURE, tid1500Report } from '../../ai-results/sr/test-support.js';
import { FhirServerError, type FhirClient } from '../../fhir/client/index.js';
import type { Bundle, FhirResource } from '../../fhir/types.js';
import { RetryLater } from './failures.js';
import { planSrResults, writeSrResults, type SrReport } from './sr-results.js';

const STUDY = GOLDEN_FIXTURE.study;
const imagingStudy = { resourceType: 'ImagingStudy', id: 'is-1', subject: { reference: 'Patient/p-1' } };

/** Just the reads and the transaction the SR step uses. */
function fakeClient(
  o: { reports?: FhirResource[]; studies?: FhirResource[]; transaction?: (b: Bundle) => Promise<Bundle> } = {},
) {
  const sent: Bundle[] = [];
  const client = {
    baseUrl: 'http://fhir.test',
    async searchAll(type: string) {
      return type === 'DiagnosticReport' ? (o.reports ?? []) : (o.studies ?? [imagingStudy]);
    },
    async transaction(b: Bundle) {
      sent.push(b);
      return o.transaction ? o.transaction(b) : { resourceType: 'Bundle', type: 'transaction-response', entry: [] };
    },
  } as unknown as FhirClient;
  return { client, sent };
}

const plan = () => planSrResults([tid1500Report(GOLDEN_FIXTURE)]);
const ctx = (client: FhirClient) => ({
  client,
  studyUid: STUDY,
  transaction: true,
  timezone: 'Europe/Zurich',
  now: () => Date.parse('2025-03-10T09:00:00Z'),
});

describe('TID 1500 reports of a synced study → FHIR results', () => {
  it('finds the reports among the instances and notes the SRs it does not use', () => {
    const other = { ...tid1500Report(GOLDEN_FIXTURE), '0040A504': { vr: 'SQ', Value: [] } } as ReturnType<
      typeof tid1500Report
    >;
    other['0040A043'] = {
      vr: 'SQ',
      Value: [{ '00080100': { vr: 'SH', Value: ['113701'] }, '00080102': { vr: 'SH', Value: ['DCM'] } }],
    };
    const ct = { '00080016': { vr: 'UI', Value: ['1.2.840.10008.5.1.4.1.1.2'] } };
    const p = planSrResults([ct, tid1500Report(GOLDEN_FIXTURE), other]);
    expect(p.reports.map((r) => r.sopInstanceUid)).toEqual([GOLDEN_FIXTURE.srInstance]);
    expect(p.findings).toEqual([
      expect.objectContaining({
        rule: 'sr-tid1500',
        severity: 'info',
        tag: '0040A504',
        message: expect.stringContaining('not a TID 1500'),
      }),
    ]);
  });

  it('writes one transaction per report, with the SR as the DiagnosticReport identifier and its content time', async () => {
    const { client, sent } = fakeClient();
    expect(await writeSrResults(plan().reports, ctx(client))).toEqual([]);
    expect(sent).toHaveLength(1);
    const report = sent[0]!.entry!.find((e) => e.resource?.resourceType === 'DiagnosticReport')!;
    expect(report.request!.ifNoneExist).toBe(
      `identifier=${encodeURIComponent(`urn:dicom:uid|urn:oid:${GOLDEN_FIXTURE.srInstance}`)}`,
    );
    expect(report.resource).toMatchObject({
      subject: { reference: 'Patient/p-1' },
      imagingStudy: [{ reference: 'ImagingStudy/is-1' }],
      effectiveDateTime: '2025-03-10T08:15:00+01:00',
    });
  });

  it('skips a report already written (re-sync, duplicate store)', async () => {
    const { client, sent } = fakeClient({ reports: [{ resourceType: 'DiagnosticReport', id: 'dr-1' }] });
    expect(await writeSrResults(plan().reports, ctx(client))).toEqual([]);
    expect(sent).toHaveLength(0);
  });

  it('waits (RetryLater, a transient failure, with a warning finding) while the ImagingStudy is not in FHIR', async () => {
    const { client, sent } = fakeClient({ studies: [] });
    const error = await writeSrResults(plan().reports, ctx(client)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RetryLater);
    expect((error as RetryLater).findings).toEqual([
      expect.objectContaining({
        severity: 'warning',
        message: expect.stringContaining('waits'),
        sopInstanceUid: GOLDEN_FIXTURE.srInstance,
      }),
    ]);
    expect(sent).toHaveLength(0);
  });

  it('records a refusal by the server or a target without transactions as a finding, and retries server failures', async () => {
    const refused = fakeClient({
      transaction: async () => {
        throw new FhirServerError(
          422,
          { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'processing', diagnostics: 'no' }] },
          'transaction',
          1,
        );
      },
    });
    expect(await writeSrResults(plan().reports, ctx(refused.client))).toEqual([
      expect.objectContaining({ severity: 'warning', message: expect.stringContaining('not written') }),
    ]);
    const noTx = fakeClient();
    expect(await writeSrResults(plan().reports, { ...ctx(noTx.client), transaction: false })).toEqual([
      expect.objectContaining({ message: expect.stringContaining('transactions') }),
    ]);
    const down = fakeClient({
      transaction: async () => {
        throw new FhirServerError(
          503,
          { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'transient' }] },
          'transaction',
          1,
        );
      },
    });
    await expect(writeSrResults(plan().reports, ctx(down.client))).rejects.toBeInstanceOf(FhirServerError);
  });

  it('refuses a report about another study of another patient', async () => {
    const r = plan().reports[0]!;
    const elsewhere: SrReport = { ...r, input: { ...r.input, studyInstanceUid: '1.2.3.4.5' } };
    let n = 0;
    const client = {
      async searchAll(type: string) {
        if (type === 'DiagnosticReport') return [];
        return [{ ...imagingStudy, id: `is-${++n}`, subject: { reference: `Patient/p-${n}` } }];
      },
      async transaction() {
        throw new Error('must not write');
      },
    } as unknown as FhirClient;
    expect(await writeSrResults([elsewhere], ctx(client))).toEqual([
      expect.objectContaining({ message: expect.stringContaining('another patient') }),
    ]);
  });
});
