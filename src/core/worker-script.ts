import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';

/**
 * V8 options that size or tune the whole process: a Worker refuses them in its execArgv
 * (ERR_WORKER_INVALID_EXEC_ARGV), so `node --max-semi-space-size=8 dist/cli/main.js serve` must not
 * hand them on to our threads (each thread's limits are its own resourceLimits).
 */
const PROCESS_WIDE =
  /^--(max[-_]old[-_]space[-_]size|max[-_]semi[-_]space[-_]size|min[-_]semi[-_]space[-_]size|max[-_]heap[-_]size|initial[-_]heap[-_]size|initial[-_]old[-_]space[-_]size|v8[-_]pool[-_]size|stack[-_]size|expose[-_]gc|heap[-_]growing[-_]percent)(=|$)/;
const TAKES_VALUE = /^--(max|min|initial|v8|stack|heap)[-_]/;

/** The parent's node options a worker thread takes: less -e/--input-type (main script only) and PROCESS_WIDE. */
export function workerExecArgv(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (/^(-e|--eval|-p|--print|--input-type)$/.test(a)) i++;
    else if (PROCESS_WIDE.test(a)) {
      if (!a.includes('=') && TAKES_VALUE.test(a) && argv[i + 1] !== undefined && !argv[i + 1]!.startsWith('-')) i++;
    } else if (!/^(--eval|--print|--input-type)=/.test(a)) out.push(a);
  }
  return out;
}

/**
 * V8 limits of our long-lived service threads (audit writer, audit projection, WAL checkpoints).
 * Each thread is an isolate of its own whose young generation V8 lets grow to 48 MB (16 MB semi-
 * spaces) under allocation and then keeps resident for the life of the thread; these threads
 * allocate little per message, so a 3 MB young generation (1 MB semi-spaces, V8's floor: 2 MB of
 * new space committed, against 4 MB with 6) costs a few more scavenges on those threads, none on
 * the main thread; no old-space limit is set (a long catch-up must not crash the thread).
 * Measured under P3 (three such threads run while C-STOREs arrive): docs/ingest-memory.md,
 * session 21.
 */
export const SERVICE_THREAD_LIMITS = { maxYoungGenerationSizeMb: 3 } as const;

export interface WorkerScript {
  script: URL | string;
  eval: boolean;
  execArgv: string[];
}

/** Starts one of our long-lived service threads: its script, its name, SERVICE_THREAD_LIMITS. */
export function startServiceThread(from: WorkerScript, name: string, workerData?: unknown): Worker {
  const { script, eval: isEval, execArgv } = from;
  return new Worker(script, {
    eval: isEval,
    execArgv,
    ...(workerData === undefined ? {} : { workerData }),
    name,
    resourceLimits: SERVICE_THREAD_LIMITS,
  });
}

/**
 * How to start the worker thread whose entry is `<name>.js|.ts` beside `moduleUrl`. From the
 * compiled `dist/`: the .js file. From the sources (vitest, tsx): the .ts file, which a worker
 * thread cannot load by itself on Node 20 (neither vitest's transform nor tsx's `--import` hooks
 * reach a worker's entry script), so a small bootstrap loads it through tsx's `tsImport` (tsx is a
 * dev dependency, present wherever the sources run).
 */
export function workerScript(name: string, moduleUrl: string): WorkerScript {
  const execArgv = workerExecArgv(process.execArgv);
  if (!/\.[cm]?ts$/.test(new URL(moduleUrl).pathname))
    return { script: new URL(`./${name}.js`, moduleUrl), eval: false, execArgv };
  const worker = new URL(`./${name}.ts`, moduleUrl).href;
  let pkgFile: string;
  try {
    pkgFile = createRequire(moduleUrl).resolve('tsx/package.json');
  } catch (e) {
    throw new Error(
      `a worker thread needs tsx to run from the TypeScript sources (or run the compiled dist/): ${(e as Error).message}`,
      { cause: e },
    );
  }
  const exports = (
    JSON.parse(readFileSync(pkgFile, 'utf8')) as { exports?: Record<string, { import?: { default?: string } }> }
  ).exports;
  const api = exports?.['./esm/api']?.import?.default;
  if (!api) throw new Error(`cannot find tsx's ESM API in ${pkgFile} to start a worker thread from the sources`);
  const tsxApi = pathToFileURL(join(dirname(pkgFile), api)).href;
  const bootstrap = `import(${JSON.stringify(tsxApi)}).then(({ tsImport }) => tsImport(${JSON.stringify(worker)}, ${JSON.stringify(moduleUrl)}))`;
  return { script: bootstrap, eval: true, execArgv };
}
