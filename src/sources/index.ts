/** Watching existing PACS: the public API of src/sources. */
import type { Logger } from 'pino';
import type { Archive } from '../archive/archive.js';
import type { Config } from '../config/schema.js';
import type { BackgroundJob } from '../core/leased-job.js';
import { parseDimseSettings } from '../dimse/index.js';
import { DicomwebPacs } from './dicomweb-pacs.js';
import { DimsePacs } from './dimse-pacs.js';
import type { RemotePacs } from './pacs.js';
import { endpointOf, parseSources, type SourceEndpoint, type SourceSettings } from './settings.js';
import { SourceRunner, type SourceArchive } from './source-runner.js';
import type { SourceStateStore, SourceStatus } from './state-store.js';
import { StudyLocks } from './study-locks.js';

export { parseSources, type SourceEndpoint, type SourceSettings } from './settings.js';
export { PgSourceStateStore } from './pg-state-store.js';
export { SqliteSourceStateStore } from './sqlite-state-store.js';
export type { SourceStateStore, SourceStatus } from './state-store.js';

/** How the archive marks instances from a source (`source:<name>`). */
const SOURCE_PREFIX = 'source:';

export interface SourceView extends SourceStatus {
  configured: boolean;
  running: boolean;
  nextPollAt: number | null;
}

export interface Sources {
  /**
   * Registers the configured sources in the state store (queues the studies of a source whose
   * Endpoint choice changed for the FHIR sync again), then starts polling. After the DIMSE SCP
   * listens: C-MOVE sources need it.
   */
  start(): Promise<void>;
  /** Runs one poll of each source now and waits for it (tests, `sources poll`). */
  pollNow(): Promise<void>;
  status(): Promise<SourceView[]>;
  /**
   * For instances that came from a DICOMweb source (their archive `source` is `source:<name>`):
   * the PACS's DICOMweb base URL and the configured Endpoint choice; undefined for anything else.
   */
  dicomwebOf(instanceSource: string): { url: string; endpoint: SourceEndpoint } | undefined;
  /** dicomwebOf for every DICOMweb source, by instance source (`source:<name>`): plain data for a worker thread. */
  dicomwebSources(): [string, { url: string; endpoint: SourceEndpoint }][];
  close(): Promise<void>;
}

export interface SourcesDeps {
  archive: Archive;
  /** Where the sources' state is kept (the archive database, or PostgreSQL). */
  state: SourceStateStore;
  logger: Logger;
  clock?: () => number;
  /** Queues studies for the FHIR sync again: those of a source whose `endpoint` choice changed since the last start. */
  resync?: (studyUids: string[]) => Promise<void> | void;
  /**
   * Where a source's polling runs: several instances sharing PostgreSQL poll each source from one
   * of them (the holder of its lease, src/core/leased-job.ts). Absent: here.
   */
  guard?: (jobName: string, job: BackgroundJob) => { start(): void; close(): Promise<void> };
}

/** Validates `sections.sources` (ConfigError) and builds one runner per source; nothing polls before start(). */
export function openSources(config: Config, deps: SourcesDeps): Sources {
  const settings = parseSources(config.sections.sources);
  const clock = deps.clock ?? Date.now;
  const state = deps.state;
  const logger = deps.logger.child({ component: 'sources' });
  const locks = new StudyLocks();
  const archive = sourceArchive(deps.archive);
  const dimse = settings.some((s) => s.kind === 'dimse')
    ? parseDimseSettings(config, config.sections.dimse)
    : undefined;
  const runners = settings.map((s) => {
    const pacs: RemotePacs =
      s.kind === 'dicomweb'
        ? new DicomwebPacs(s, deps.archive)
        : new DimsePacs(
            s,
            { aeTitle: dimse!.aeTitle, maxPduLength: dimse!.maxPduLength, tls: dimse!.tls },
            deps.archive,
          );
    const runner = new SourceRunner(s, { pacs, archive, state, locks, logger, clock });
    // Remote rows of a source keep their fetcher even if its mode changed to copy.
    deps.archive.setRemoteFetcher(s.name, (instances) => runner.fetchOnDemand(instances));
    return runner;
  });
  const byName = new Map<string, SourceRunner>(runners.map((r) => [r.settings.name, r]));
  const pollers = runners.map((r) =>
    deps.guard ? deps.guard(`source-poll:${r.settings.name}`, r) : { start: () => r.start(), close: () => r.stop() },
  );
  const register = async (s: SourceSettings) => {
    await state.register({ name: s.name, kind: s.kind, mode: s.mode, endpoint: endpointOf(s) }, clock());
    if (s.kind === 'dicomweb' && (await state.endpointChoiceChanged(s.name, s.endpoint))) {
      const studies = await state.studiesOf(s.name);
      if (studies.length) {
        logger.info(
          { source: s.name, endpoint: s.endpoint, studies: studies.length },
          'endpoint choice changed: resync',
        );
        await deps.resync?.(studies);
      }
    }
  };
  return {
    start: async () => {
      for (const s of settings) await register(s);
      for (const p of pollers) p.start();
    },
    pollNow: async () => {
      await Promise.all(runners.map((r) => r.poll()));
    },
    status: () => statusView(state, byName, settings),
    dicomwebOf: (instanceSource) => {
      const s = instanceSource.startsWith(SOURCE_PREFIX)
        ? byName.get(instanceSource.slice(SOURCE_PREFIX.length))?.settings
        : undefined;
      return s?.kind === 'dicomweb' ? { url: s.url, endpoint: s.endpoint } : undefined;
    },
    dicomwebSources: () =>
      settings.flatMap((s) =>
        s.kind === 'dicomweb'
          ? [
              [`${SOURCE_PREFIX}${s.name}`, { url: s.url, endpoint: s.endpoint }] as [
                string,
                { url: string; endpoint: SourceEndpoint },
              ],
            ]
          : [],
      ),
    close: async () => {
      await Promise.all(pollers.map((p) => p.close()));
      await locks.idle();
    },
  };
}

/** Status from the database (what the CLI sees too), with the live state of running sources. */
export async function statusView(
  state: SourceStateStore,
  runners: Map<string, SourceRunner>,
  configured: SourceSettings[],
): Promise<SourceView[]> {
  const names = new Set(configured.map((s) => s.name));
  return (await state.status()).map((s) => {
    const r = runners.get(s.name);
    return {
      ...s,
      configured: names.has(s.name),
      running: r?.running ?? false,
      nextPollAt: r?.running ? (r.nextPollAt ?? null) : null,
    };
  });
}

function sourceArchive(archive: Archive): SourceArchive {
  return {
    instances: (scope) => archive.instances(scope),
    indexRemote: (json, ctx) => archive.indexRemote(json, ctx),
    heldCount: (studyUid) => archive.studyInstanceCount(studyUid),
  };
}
