/** Wires the scheduler to this server's configuration, archive holdings, outbox and sources. */
import type { Config } from '../config/schema.js';
import { parseSources } from '../sources/index.js';
import type { Comparison } from './compare.js';
import { compareNow } from './reconcile.js';
import { planReconcile } from './reconcile-plan.js';
import { type Drift, parseReconcileSchedule, ReconcileScheduler } from './schedule.js';
import { parseSince, resolveTargets } from './targets.js';

export interface ScheduledReconcilePorts {
  held(studyUid: string): Promise<boolean>;
  queueSync(studyUid: string): void;
  fetchFromSource(source: string, studyUid: string): void | Promise<void>;
  record(drift: Drift): void;
  onError(err: Error): void;
}

/** Validates `sections.reconcile`; undefined when no schedule is configured. */
export function scheduledReconcile(config: Config, ports: ScheduledReconcilePorts): ReconcileScheduler | undefined {
  const schedule = parseReconcileSchedule(config.sections.reconcile);
  if (!schedule) return undefined;
  const sources = parseSources(config.sections.sources);
  return new ReconcileScheduler({
    schedule,
    record: ports.record,
    onError: ports.onError,
    compare: async () => {
      const targets = resolveTargets({}, config);
      const { comparison: c } = await compareNow(targets, {
        since: parseSince(schedule.since, new Date()),
        timeoutMs: 30_000,
      });
      const source = sources.find((s) =>
        s.kind === 'dicomweb'
          ? s.url === targets.dicomweb?.url
          : targets.dicomweb === undefined && s.aet === targets.dimse?.aet,
      )?.name;
      const held = await heldOf(c, ports.held);
      const bring = planReconcile({
        comparison: { ...c, notInPacs: [] },
        held: (uid) => held.has(uid),
        ...(source ? { source } : {}),
        deleteOrphans: false,
      });
      return {
        counts: {
          pacsStudies: c.matched.length + c.missingInFhir.length,
          matched: c.matched.length,
          missingInFhir: c.missingInFhir.length,
          mismatched: c.mismatched.length,
          notInPacs: c.notInPacs.length,
        },
        bring,
      };
    },
    apply: async (actions) => {
      let n = 0;
      for (const a of actions) {
        if (a.kind === 'queue-sync') ports.queueSync(a.studyUid);
        else if (a.kind === 'fetch-from-source') await ports.fetchFromSource(a.source, a.studyUid);
        else continue;
        n++;
      }
      return n;
    },
  });
}

/** The studies of the comparison to bring over that the archive holds (planReconcile is pure). */
export async function heldOf(
  c: Pick<Comparison, 'missingInFhir' | 'mismatched'>,
  held: (studyUid: string) => Promise<boolean>,
): Promise<Set<string>> {
  const out = new Set<string>();
  for (const uid of [...c.missingInFhir, ...c.mismatched.map((m) => m.studyInstanceUid)])
    if (await held(uid)) out.add(uid);
  return out;
}
