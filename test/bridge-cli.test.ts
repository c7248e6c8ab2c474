import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runQuarantine } from '../src/cli/quarantine-command.js';
import { runSync } from '../src/cli/sync-command.js';
import { imagingStudies, stow } from './support/http.js';
import { waitFor } from './support/wait.js';
import { ctInstance, ROOT } from '../src/dicom/test-support.js';
import { cliInProcess } from './support/cli-in-process.js';
import { startTestServer, type TestServer } from './support/server.js';

let n = 0;
const uid = (kind: number) => `${ROOT}.79.${process.pid}.${kind}.${++n}`;

describe('imaging-bridge quarantine and sync commands', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({}, { configFile: { bridge: { debounceMs: 50, minIntervalMs: 100, pollMs: 20 } } });
  });
  afterAll(async () => server?.stop());

  it('lists a held study with its reasons, shows it, and releases it to a running server', async () => {
    const study = uid(1);
    const series = uid(2);
    expect(
      await stow(server.url, [
        ctInstance({ study, series, sop: uid(3), patientId: 'C1' }),
        ctInstance({ study, series, sop: uid(3), patientId: 'C2' }),
      ]),
    ).toBe(200);
    const dir = ['--data-dir', server.dataDir];
    const listed = await waitFor(
      async () => {
        const r = await cliInProcess(runQuarantine, ['list', ...dir]);
        return r.out.includes(study) ? r : undefined;
      },
      { timeoutMs: 15_000, what: 'the held study in quarantine list' },
    );
    expect(listed.out).toContain('conflicting-patient@00100020');
    const shown = await cliInProcess(runQuarantine, ['show', study, ...dir]);
    expect(JSON.parse(shown.out).findings.some((f: { rule: string }) => f.rule === 'conflicting-patient')).toBe(true);

    const released = await cliInProcess(runQuarantine, ['release', study, '--comment', 'same patient, typo', ...dir]);
    expect(released.code).toBe(0);
    await waitFor(
      async () => ((await imagingStudies(`${server.url}/fhir`, study))[0]?.numberOfInstances === 2 ? true : undefined),
      { timeoutMs: 15_000, what: 'the released study in FHIR' },
    );
    expect((await cliInProcess(runQuarantine, ['release', uid(1), ...dir])).code).toBe(1);
  });

  it('reports the sync status and replays nothing when there is no dead letter', async () => {
    const status = await cliInProcess(runSync, ['status', '--data-dir', server.dataDir]);
    expect(status.code).toBe(0);
    expect(status.out).toMatch(/target: embedded .* usable, transaction yes/);
    expect(status.out).toMatch(/dead letters: 0/);
    expect((await cliInProcess(runSync, ['replay', '--data-dir', server.dataDir])).out).toContain(
      '0 dead letters queued again',
    );
  });
});
