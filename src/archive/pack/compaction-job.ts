import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  type CompactionOptions,
  type CompactionProgress,
  DEFAULT_COMPACTION,
  compactPacks,
  newProgress,
} from './compaction.js';
import type { PackKeyIndex } from './pack-references.js';
import type { PackStore } from './pack-store.js';

export interface CompactionStatus {
  state: 'idle' | 'running' | 'done' | 'failed';
  /** The run started again at start-up because the previous one was cut short (a crash, a stop). */
  resumed?: boolean;
  startedAt?: string;
  finishedAt?: string;
  options?: CompactionOptions;
  progress?: CompactionProgress;
  error?: string;
}

/**
 * One compaction at a time in the server, in the background. While a run is on, a marker file
 * (`packs/compaction.json`, its options) says so: a server killed or stopped mid-run finds it at
 * the next start and runs again, which removes what the cut-short run left (compaction.ts).
 */
export class CompactionJob {
  private current: CompactionStatus = { state: 'idle' };
  private running: Promise<void> | undefined;
  private abort: AbortController | undefined;
  private readonly marker: string;

  constructor(
    private readonly packs: PackStore,
    private readonly index: PackKeyIndex,
    private readonly onEnd: (status: CompactionStatus) => void = () => undefined,
  ) {
    this.marker = join(packs.folder, 'compaction.json');
  }

  status(): CompactionStatus {
    return structuredClone(this.current);
  }

  /** Starts a run; false (nothing started) when one is running already. */
  start(options: CompactionOptions, resumed = false): boolean {
    if (this.running) return false;
    writeFileSync(this.marker, JSON.stringify(options), { mode: 0o600 });
    const progress = newProgress();
    const abort = new AbortController();
    this.abort = abort;
    this.current = {
      state: 'running',
      ...(resumed ? { resumed } : {}),
      startedAt: new Date().toISOString(),
      options,
      progress,
    };
    this.running = compactPacks(this.packs, this.index, options, progress, abort.signal).then(
      () => this.finish('done'),
      (e: unknown) => this.finish(abort.signal.aborted ? 'idle' : 'failed', e),
    );
    return true;
  }

  /** At start-up: a run cut short is started again with its options. */
  resumeInterrupted(): boolean {
    if (!existsSync(this.marker)) return false;
    let options: CompactionOptions;
    try {
      options = JSON.parse(readFileSync(this.marker, 'utf8')) as CompactionOptions;
    } catch {
      rmSync(this.marker, { force: true });
      return false;
    }
    return this.start(options, true);
  }

  /** Stops a run at its next step (server shutdown); the marker stays so the next start resumes it. */
  async stop(): Promise<void> {
    this.abort?.abort();
    await this.running;
  }

  /** Resolves when no run is on. */
  async idle(): Promise<void> {
    await this.running;
  }

  private finish(state: 'done' | 'failed' | 'idle', e?: unknown): void {
    if (state !== 'idle') rmSync(this.marker, { force: true });
    this.current = {
      ...this.current,
      state: state === 'idle' ? 'idle' : state,
      finishedAt: new Date().toISOString(),
      ...(e && state === 'failed' ? { error: (e as Error).message } : {}),
    };
    this.running = undefined;
    this.abort = undefined;
    this.onEnd(this.status());
  }
}

/** The administrators' control (the HTTP routes' port): a request's fields over the defaults. */
export function compactionControl(job: CompactionJob) {
  return {
    compactionStatus: () => job.status(),
    startCompaction: (r: { minReclaimRatio?: number; maxBytesPerSecond?: number; graceSeconds?: number }) =>
      job.start({
        ...DEFAULT_COMPACTION,
        ...(r.minReclaimRatio !== undefined ? { minReclaimRatio: r.minReclaimRatio } : {}),
        ...(r.maxBytesPerSecond !== undefined ? { maxBytesPerSecond: r.maxBytesPerSecond } : {}),
        ...(r.graceSeconds !== undefined ? { graceMs: r.graceSeconds * 1000 } : {}),
      }),
  };
}
