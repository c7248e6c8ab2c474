import { randomUUID } from 'node:crypto';
import { userInfo } from 'node:os';
import {
  applyReconcile,
  compareNow,
  planReconcile,
  summarize,
  heldOf,
  type AssessTargets,
  type ReconcileAction,
} from '../assessment/index.js';
import { recordAccess } from '../audit/index.js';
import { OperationOutcomeError } from '../core/errors.js';
import { parseSources, type SourceSettings } from '../sources/index.js';
import { comparisonFlags } from './comparison-flags.js';
import { argumentError, parseCommandLine } from './options.js';
import { progressBar } from './progress.js';
import { openSharedStores } from './shared-stores.js';

const USAGE = `imaging-bridge reconcile [--dry-run | --apply] [--delete-orphans] [--fhir URL] [--fhir-auth …]
                         [--dicomweb URL] [--dicomweb-header "K: V"] [--dimse AET@HOST:PORT] [--since 30d] [--timeout 10s]
                         [--json] [--data-dir DIR | --database postgres://…] [--config FILE]

Compares the PACS with the FHIR server (as 'assess' does) and repairs the drift: studies missing
in FHIR or mismatched are queued for the bridge (or for the watched source when this archive does
not hold them), ImagingStudy resources whose study the PACS lacks are marked with meta.tag
urn:imaging-bridge:reconcile|not-in-pacs (deleted only with --delete-orphans). --dry-run (the
default) lists what --apply would do. Every change is audited. With --database (or
IMAGING_BRIDGE_DATABASE, or the config's "database") the queues and the audit chain are the
PostgreSQL ones, as serve's. See docs/assessment.md.`;

const FLAGS = {
  fhir: { type: 'string' },
  'fhir-auth': { type: 'string' },
  dicomweb: { type: 'string' },
  'dicomweb-header': { type: 'string', multiple: true },
  dimse: { type: 'string' },
  since: { type: 'string' },
  timeout: { type: 'string' },
  'dry-run': { type: 'boolean' },
  apply: { type: 'boolean' },
  'delete-orphans': { type: 'boolean' },
  json: { type: 'boolean' },
} as const;

const user = () => {
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
};

/** The watched source that is the compared PACS (same DICOMweb URL, or same AE title, host and port). */
function sourceOf(sources: SourceSettings[], t: AssessTargets): string | undefined {
  const trim = (u: string) => u.replace(/\/+$/, '');
  return sources.find((s) =>
    s.kind === 'dicomweb'
      ? t.dicomweb !== undefined && trim(s.url) === trim(t.dicomweb.url)
      : t.dicomweb === undefined &&
        t.dimse !== undefined &&
        s.aet === t.dimse.aet &&
        s.host === t.dimse.host &&
        s.port === t.dimse.port,
  )?.name;
}

function describe(a: ReconcileAction): string {
  switch (a.kind) {
    case 'queue-sync':
      return `queue ${a.studyUid} for the bridge (${a.reason})`;
    case 'fetch-from-source':
      return `queue ${a.studyUid} for source ${a.source} (${a.reason})`;
    case 'cannot-queue':
      return `cannot queue ${a.studyUid} (${a.reason}): ${a.why}`;
    case 'mark-orphan':
      return `mark ImagingStudy/${a.fhirId} (${a.studyUid}) as not in the PACS`;
    case 'delete-orphan':
      return `delete ImagingStudy/${a.fhirId} (${a.studyUid}), not in the PACS`;
    case 'already-marked':
      return `ImagingStudy/${a.fhirId} (${a.studyUid}) already marked`;
  }
}

export async function runReconcile(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    console.log(USAGE);
    return 0;
  }
  const bad = argumentError(args, FLAGS);
  if (bad) {
    console.error(`imaging-bridge reconcile: ${bad}\n\n${USAGE}`);
    return 2;
  }
  const { config, values } = parseCommandLine(args, env, FLAGS);
  if (values.apply && values['dry-run']) {
    console.error('imaging-bridge reconcile: --apply and --dry-run exclude each other');
    return 2;
  }
  const now = new Date();
  let comparison;
  try {
    comparison = comparisonFlags(values, config, now);
  } catch (e) {
    if (!(e instanceof OperationOutcomeError)) throw e;
    console.error(`imaging-bridge reconcile: ${e.message}`);
    return 2;
  }
  const { targets, since, timeoutMs } = comparison;
  let compared;
  try {
    compared = await compareNow(targets, { since, timeoutMs });
  } catch (e) {
    console.error(`imaging-bridge reconcile: ${(e as Error).message}`);
    return 1;
  }
  const stores = openSharedStores(config);
  try {
    const studies = await stores.studies();
    const source = sourceOf(parseSources(config.sections.sources), targets);
    const held = await heldOf(compared.comparison, async (uid) => (await studies.instances(uid)).length > 0);
    const actions = planReconcile({
      comparison: compared.comparison,
      held: (uid) => held.has(uid),
      ...(source ? { source } : {}),
      deleteOrphans: values['delete-orphans'] === true,
    });
    const counts = summarize(actions);
    const apply = values.apply === true;
    const c = compared.comparison;
    const head = `PACS ${compared.pacsStudies.length} studies since ${since.toISOString().slice(0, 10)}; matched ${c.matched.length}, missing in FHIR ${c.missingInFhir.length}, mismatched ${c.mismatched.length}, not in the PACS ${c.notInPacs.length}`;
    if (!apply) {
      if (values.json) console.log(JSON.stringify({ dryRun: true, counts, actions }, null, 2));
      else {
        console.log(`${head}\ndry run — nothing changed; --apply would:`);
        for (const a of actions) console.log(`  ${describe(a)}`);
        if (actions.length === 0) console.log('  nothing: FHIR and the PACS agree');
      }
      return 0;
    }
    const admin = await stores.bridge();
    const sources = await stores.sources();
    const log = await stores.audit();
    const actor = `cli:${user()}`;
    const bar = progressBar(process.stderr);
    const dates = new Map(compared.pacsStudies.filter((s) => s.date).map((s) => [s.uid, s.date!]));
    const result = await applyReconcile(actions, dates, {
      queueSync: (uid) => admin.outbox.enqueue(uid, 'reconcile'),
      fetchFromSource: (name, uid, date) => sources.requeue(name, uid, date, Date.now()),
      fhir: targets.fhir!,
      timeoutMs,
      progress: bar,
      audit: (action, outcome, detail) =>
        recordAccess(log.sink, {
          actor,
          requestId: randomUUID(),
          outcome: outcome === 'success' ? 'success' : 'serious',
          outcomeDesc: `reconcile ${action.studyUid}: ${detail}`.slice(0, 500),
          recorded: new Date(),
          server: { publicUrl: config.publicUrl, aeTitle: config.dicomAet },
          access: {
            kind: 'fhir',
            interaction:
              action.kind === 'delete-orphan' ? 'delete' : action.kind === 'mark-orphan' ? 'update' : 'operation',
            resourceType: 'ImagingStudy',
            ...('fhirId' in action ? { id: action.fhirId } : { operation: `reconcile-${action.kind}` }),
            query: `identifier=urn:dicom:uid|urn:oid:${action.studyUid}`,
          },
        }),
    });
    const summary = {
      applied: true,
      counts,
      done: result.done,
      failed: result.failed.map((f) => ({ ...f.action, detail: f.detail })),
    };
    if (values.json) console.log(JSON.stringify(summary, null, 2));
    else {
      console.log(`${head}\napplied: ${result.done} of ${actions.length} actions`);
      for (const [k, v] of Object.entries(counts)) if (v > 0) console.log(`  ${k}: ${v}`);
      for (const f of result.failed) console.log(`  FAILED ${describe(f.action)}: ${f.detail}`);
    }
    return result.failed.length > 0 ? 1 : 0;
  } finally {
    await stores.close();
  }
}
