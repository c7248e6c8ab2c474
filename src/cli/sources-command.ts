import { ConfigError } from '../core/errors.js';
import { parseSources, type SourceStatus } from '../sources/index.js';
import { parseCommandLine } from './options.js';
import { openSharedStores } from './shared-stores.js';

const USAGE = 'imaging-bridge sources status [--data-dir DIR | --database postgres://…] [--config FILE] [--json]';

/** `sources status`: the progress of every watched PACS, read where serve keeps it (the server may be running). */
export async function runSources(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const { config, values, positionals } = parseCommandLine(args, env, { json: { type: 'boolean' } });
  if (values.help || positionals[0] !== 'status' || positionals.length !== 1) {
    if (values.help) {
      console.log(USAGE);
      return 0;
    }
    throw new ConfigError(`usage: ${USAGE}`);
  }
  const configured = parseSources(config.sections.sources);
  const stores = openSharedStores(config);
  try {
    const known = await (await stores.sources()).status();
    const names = new Set(known.map((s) => s.name));
    const rows = [
      ...known.map((s) => ({ ...s, configured: configured.some((c) => c.name === s.name) })),
      ...configured
        .filter((c) => !names.has(c.name))
        .map((c) => ({ name: c.name, kind: c.kind, mode: c.mode, configured: true, neverStarted: true })),
    ];
    if (values.json) {
      console.log(JSON.stringify({ sources: rows }, null, 2));
      return 0;
    }
    if (rows.length === 0) {
      console.log('no sources: add a "sources" list to the config file (see docs/sources.md)');
      return 0;
    }
    for (const r of rows)
      console.log('neverStarted' in r ? `${r.name} (${r.kind}, ${r.mode}): configured, not started yet` : describe(r));
    return 0;
  } finally {
    await stores.close();
  }
}

function describe(s: SourceStatus & { configured: boolean }): string {
  const when = (t: number | null) => (t === null ? 'never' : new Date(t).toISOString());
  const lines = [
    `${s.name} (${s.kind}, ${s.mode}) ${s.endpoint}${s.configured ? '' : ' [no longer configured]'}`,
    `  last poll:       ${when(s.lastPollAt)}${s.lastError ? ` — FAILED: ${s.lastError}` : ''}`,
    `  last good poll:  ${when(s.lastPollOkAt)} (window from ${s.lastWindowFrom || 'the beginning'})`,
    `  last reconcile:  ${when(s.lastReconcileAt)}`,
    `  studies:         ${s.studies.done} done, ${s.studies.queued} queued, ${s.studies.fetching} fetching, ${s.studies.failed} failed`,
    `  instances:       ${s.instancesFetched} ${s.mode === 'copy' ? 'copied' : 'indexed'}`,
  ];
  for (const f of s.failures.slice(0, 5))
    lines.push(`  failed study ${f.studyUid} (${f.attempts} attempts): ${f.error}`);
  return lines.join('\n');
}
